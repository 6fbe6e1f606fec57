package deploy_test

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// The parts of the Grafana dashboard the tests look at.
type (
	datasourceRef struct {
		Type string `json:"type"`
		UID  string `json:"uid"`
	}
	dashboardTarget struct {
		RefID      string         `json:"refId"`
		Expr       string         `json:"expr"`
		Datasource *datasourceRef `json:"datasource"`
	}
	fieldConfig struct {
		Defaults struct {
			Mappings []valueMapping `json:"mappings"`
			Custom   map[string]any `json:"custom"`
		} `json:"defaults"`
		Overrides []struct {
			Matcher struct {
				ID      string `json:"id"`
				Options any    `json:"options"`
			} `json:"matcher"`
			Properties []struct {
				ID    string          `json:"id"`
				Value json.RawMessage `json:"value"`
			} `json:"properties"`
		} `json:"overrides"`
	}
	valueMapping struct {
		Type    string `json:"type"`
		Options map[string]struct {
			Text string `json:"text"`
		} `json:"options"`
	}
	dashboardPanel struct {
		ID          int               `json:"id"`
		Type        string            `json:"type"`
		Title       string            `json:"title"`
		Datasource  *datasourceRef    `json:"datasource"`
		Targets     []dashboardTarget `json:"targets"`
		FieldConfig fieldConfig       `json:"fieldConfig"`
		GridPos     struct{ X, Y, W, H int }
		// Transformations keep their options raw: each kind has its own.
		Transformations []transformation `json:"transformations"`
	}
	transformation struct {
		ID      string          `json:"id"`
		Options json.RawMessage `json:"options"`
	}
	dashboardVariable struct {
		Type       string         `json:"type"`
		Name       string         `json:"name"`
		Query      any            `json:"query"`
		Datasource *datasourceRef `json:"datasource"`
	}
	dashboard struct {
		UID        string           `json:"uid"`
		Title      string           `json:"title"`
		Panels     []dashboardPanel `json:"panels"`
		Templating struct {
			List []dashboardVariable `json:"list"`
		} `json:"templating"`
	}
)

const dashboardDatasource = "${datasource}"

func loadDashboard(t *testing.T) dashboard {
	t.Helper()
	var d dashboard
	if err := json.Unmarshal(readFile(t, "grafana/codearts-check.json"), &d); err != nil {
		t.Fatalf("grafana/codearts-check.json: %v", err)
	}
	if len(d.Panels) == 0 {
		t.Fatal("grafana/codearts-check.json has no panels")
	}
	return d
}

// dashboardQuery is one PromQL expression of the dashboard, with where it
// comes from for messages.
type dashboardQuery struct {
	where string
	expr  string
}

// dashboardQueries returns every target expression of every panel.
func dashboardQueries(d dashboard) []dashboardQuery {
	var qs []dashboardQuery
	for _, p := range d.Panels {
		for _, tg := range p.Targets {
			qs = append(qs, dashboardQuery{fmt.Sprintf("panel %q query %s", p.Title, tg.RefID), tg.Expr})
		}
	}
	return qs
}

// labelValuesQuery matches Grafana's label_values(selector, label).
var labelValuesQuery = regexp.MustCompile(`^label_values\((.+),\s*([a-zA-Z_][a-zA-Z0-9_]*)\)$`)

func TestDashboard(t *testing.T) {
	d := loadDashboard(t)
	if d.UID == "" || d.Title == "" {
		t.Error("the dashboard needs a uid and a title, so that provisioning and links keep working")
	}

	vars := map[string]dashboardVariable{}
	for _, v := range d.Templating.List {
		vars[v.Name] = v
	}
	if ds := vars["datasource"]; ds.Type != "datasource" || ds.Query != "prometheus" {
		t.Errorf("want a datasource variable named datasource for prometheus, got %+v", ds)
	}
	task := vars["task"]
	m := labelValuesQuery.FindStringSubmatch(fmt.Sprint(task.Query))
	if task.Type != "query" || m == nil || m[1] != "codearts_check_task_info" || m[2] != "task_name" {
		t.Errorf("want a query variable named task over label_values(codearts_check_task_info, task_name), got %+v", task)
	}
	if task.Datasource == nil || task.Datasource.UID != dashboardDatasource {
		t.Errorf("the task variable does not query the %s data source", dashboardDatasource)
	}

	ids := map[int]bool{}
	types := map[string]int{}
	for _, p := range d.Panels {
		if ids[p.ID] {
			t.Errorf("panel %q: id %d used twice", p.Title, p.ID)
		}
		ids[p.ID] = true
		types[p.Type]++
		if p.GridPos.W == 0 || p.GridPos.H == 0 || p.GridPos.X+p.GridPos.W > 24 {
			t.Errorf("panel %q: gridPos %+v does not fit the 24-column grid", p.Title, p.GridPos)
		}
		if p.Type == "row" {
			// A row only groups the panels below it: no queries.
			if len(p.Targets) > 0 {
				t.Errorf("row %q has queries, which Grafana ignores", p.Title)
			}
			continue
		}
		if p.Datasource == nil || p.Datasource.UID != dashboardDatasource {
			t.Errorf("panel %q does not use the %s data source", p.Title, dashboardDatasource)
		}
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no queries", p.Title)
		}
		for _, tg := range p.Targets {
			if tg.Datasource == nil || tg.Datasource.UID != dashboardDatasource {
				t.Errorf("panel %q query %s does not use the %s data source", p.Title, tg.RefID, dashboardDatasource)
			}
			// Per-task series are filtered by the task variable, which
			// goes through the task's name.
			if strings.Contains(tg.Expr, "codearts_check_task_") && !strings.Contains(tg.Expr, `codearts_check_task_info{task_name=~"$task"}`) {
				t.Errorf("panel %q query %s is per task but ignores the task variable: %s", p.Title, tg.RefID, tg.Expr)
			}
		}
	}
	for _, typ := range []string{"table", "stat", "timeseries", "state-timeline"} {
		if types[typ] == 0 {
			t.Errorf("no %s panel", typ)
		}
	}

	// The table shows the state as coloured text named after every status
	// the exporter reports, and the progress as a bar gauge.
	var table *dashboardPanel
	for i := range d.Panels {
		if d.Panels[i].Type == "table" && d.Panels[i].Title == "Tasks" {
			table = &d.Panels[i]
		}
	}
	if table == nil {
		t.Fatal("no table of tasks")
	}
	cellTypes := map[string]string{}
	var stateMappings []valueMapping
	for _, o := range table.FieldConfig.Overrides {
		for _, prop := range o.Properties {
			switch prop.ID {
			case "custom.cellOptions":
				var cell struct {
					Type string `json:"type"`
				}
				if err := json.Unmarshal(prop.Value, &cell); err != nil {
					t.Fatal(err)
				}
				cellTypes[fmt.Sprint(o.Matcher.Options)] = cell.Type
			case "mappings":
				if err := json.Unmarshal(prop.Value, &stateMappings); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	// Which task fails, and why: the Last error column is the error_code
	// label of the task's last-error series.
	lastError := false
	for _, tg := range table.Targets {
		lastError = lastError || strings.HasPrefix(tg.Expr, "codearts_check_task_last_error_info ")
	}
	var organize struct {
		RenameByName map[string]string `json:"renameByName"`
	}
	for _, tr := range table.Transformations {
		if tr.ID == "organize" {
			if err := json.Unmarshal(tr.Options, &organize); err != nil {
				t.Fatal(err)
			}
		}
	}
	if !lastError || organize.RenameByName["error_code"] != "Last error" {
		t.Errorf("table: want a query of codearts_check_task_last_error_info whose error_code is the column Last error")
	}
	if cellTypes["State"] != "color-text" || cellTypes["Progress"] != "gauge" {
		t.Errorf("table cells %v: want State as color-text and Progress as gauge", cellTypes)
	}
	if len(stateMappings) != 1 {
		t.Fatalf("table: want one value mapping for the state, got %d", len(stateMappings))
	}
	for _, status := range []string{"-1", "0", "1", "2", "3"} {
		if stateMappings[0].Options[status].Text == "" {
			t.Errorf("table: status %s has no name in the state's value mapping", status)
		}
	}
}
