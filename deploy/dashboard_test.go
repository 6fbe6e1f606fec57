package deploy_test

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/common/model"
)

// The parts of the Grafana dashboard the tests look at.
type (
	datasourceRef struct {
		Type string `json:"type"`
		UID  string `json:"uid"`
	}
	dashboardTarget struct {
		RefID        string         `json:"refId"`
		Expr         string         `json:"expr"`
		LegendFormat string         `json:"legendFormat"`
		Datasource   *datasourceRef `json:"datasource"`
		// Instant asks for the value at the end of the time range only;
		// otherwise Grafana runs a range query, one point per step.
		Instant bool `json:"instant"`
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
		ID          int            `json:"id"`
		Type        string         `json:"type"`
		Title       string         `json:"title"`
		Description string         `json:"description"`
		Datasource  *datasourceRef `json:"datasource"`
		// Interval is the panel's min interval: $__interval is never
		// shorter.
		Interval    string            `json:"interval"`
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
		Regex      string         `json:"regex"`
		Sort       int            `json:"sort"`
		Multi      bool           `json:"multi"`
		IncludeAll bool           `json:"includeAll"`
		// AllValue is what "All" puts in a query; without it, every
		// option, joined into a regex.
		AllValue *string `json:"allValue"`
		Hide     int     `json:"hide"`
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
	where   string
	expr    string
	panel   *dashboardPanel
	instant bool
}

// dashboardQueries returns every target expression of every panel.
func dashboardQueries(d dashboard) []dashboardQuery {
	var qs []dashboardQuery
	for i, p := range d.Panels {
		for _, tg := range p.Targets {
			qs = append(qs, dashboardQuery{fmt.Sprintf("panel %q query %s", p.Title, tg.RefID), tg.Expr, &d.Panels[i], tg.Instant})
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
	// The filters, each chained on those before it: the exporter, the
	// CodeArts project and the branch, from codearts_check_task_info.
	for _, f := range []struct{ name, selector, label string }{
		{"instance", "codearts_check_task_info", "instance"},
		{"project", `codearts_check_task_info{instance=~"$instance"}`, "project_id"},
		{"branch", `codearts_check_task_info{instance=~"$instance", project_id=~"$project"}`, "git_branch"},
	} {
		v := vars[f.name]
		m := labelValuesQuery.FindStringSubmatch(fmt.Sprint(v.Query))
		if v.Type != "query" || m == nil || m[1] != f.selector || m[2] != f.label {
			t.Errorf("want a query variable named %s over label_values(%s, %s), got %+v", f.name, f.selector, f.label, v)
		}
		checkFilterVariable(t, v)
	}
	// The task: chosen by its name, selected by its ID (names are
	// optional and not unique).
	task := vars["task"]
	if m := queryResultQuery.FindStringSubmatch(fmt.Sprint(task.Query)); task.Type != "query" || m == nil ||
		!strings.Contains(m[1], `codearts_check_task_info{instance=~"$instance", project_id=~"$project", git_branch=~"$branch"}`) ||
		!strings.Contains(m[1], `"task_name", "task_id"`) {
		t.Errorf("want a query variable named task over query_result of the filtered codearts_check_task_info, with a display label of task_name and task_id, got %+v", task)
	}
	if re, _, err := jsRegex(task.Regex); err != nil || re.SubexpIndex("value") < 0 || re.SubexpIndex("text") < 0 ||
		!strings.Contains(task.Regex, `task_id="(?<value>`) {
		t.Errorf("the task variable's regex %q must take the option's value from task_id and its text from the display label (%v)", task.Regex, err)
	}
	checkFilterVariable(t, task)
	// The per-task panels show these at most.
	for _, name := range []string{"shown", "worst"} {
		v := vars[name]
		m := queryResultQuery.FindStringSubmatch(fmt.Sprint(v.Query))
		if v.Type != "query" || m == nil || !strings.HasPrefix(m[1], fmt.Sprintf("topk(%d, ", maxTasksShown)) || v.Hide != 2 || !v.IncludeAll || v.AllValue != nil {
			t.Errorf("want a hidden query variable named %s over query_result(topk(%d, ...)) whose All is its options, got %+v", name, maxTasksShown, v)
		}
		if re, _, err := jsRegex(v.Regex); err != nil || !strings.Contains(v.Regex, `task_id="(?<value>`) || re.SubexpIndex("value") < 0 {
			t.Errorf("variable %s: the regex %q must take the value from task_id (%v)", name, v.Regex, err)
		}
	}
	for _, v := range d.Templating.List {
		noTaskNameAggregation(t, "variable "+v.Name, fmt.Sprint(v.Query))
		if v.Type == "query" && (v.Datasource == nil || v.Datasource.UID != dashboardDatasource) {
			t.Errorf("variable %s does not query the %s data source", v.Name, dashboardDatasource)
		}
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
		if _, err := model.ParseDuration(p.Interval); p.Interval != "" && err != nil {
			t.Errorf("panel %q: min interval %q: %v", p.Title, p.Interval, err)
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
			where := fmt.Sprintf("panel %q query %s", p.Title, tg.RefID)
			noTaskNameAggregation(t, where, tg.Expr)
			if strings.Contains(tg.Expr, "codearts_check_") && !strings.Contains(tg.Expr, `instance=~"$instance"`) {
				t.Errorf("%s ignores the exporter variable: %s", where, tg.Expr)
			}
			// Per-task series go through the selection: the filters
			// themselves, or the tasks shown, which they chose.
			if strings.Contains(tg.Expr, "codearts_check_task_") {
				filtered := strings.Contains(tg.Expr, `codearts_check_task_info{instance=~"$instance", project_id=~"$project", git_branch=~"$branch", task_id=~"$task"}`)
				shown := strings.Contains(tg.Expr, `task_id=~"$shown"`) || strings.Contains(tg.Expr, `task_id=~"$worst"`)
				if !filtered && !shown {
					t.Errorf("%s is per task but ignores the project, branch and task variables: %s", where, tg.Expr)
				}
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
		lastError = lastError || strings.HasPrefix(tg.Expr, "codearts_check_task_last_error_info{")
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

// maxTasksShown is how many tasks a per-task panel shows at most: the
// tables and state timelines show the tasks of the hidden variables shown
// and worst, each a topk of this many.
const maxTasksShown = 50

// checkFilterVariable checks what makes a filter cheap at thousands of
// tasks: several values or All, and All as the regex .* rather than every
// value spelled out.
func checkFilterVariable(t *testing.T, v dashboardVariable) {
	t.Helper()
	if !v.Multi || !v.IncludeAll || v.AllValue == nil || *v.AllValue != ".*" {
		t.Errorf("variable %s: want multi, includeAll and allValue .*, got multi %v, includeAll %v, allValue %v", v.Name, v.Multi, v.IncludeAll, v.AllValue)
	}
	if v.Datasource == nil || v.Datasource.UID != dashboardDatasource {
		t.Errorf("variable %s does not query the %s data source", v.Name, dashboardDatasource)
	}
}

// aggregationLabels matches the label list of by (...) and without (...).
var aggregationLabels = regexp.MustCompile(`\b(by|without)\s*\(([^)]*)\)`)

// noTaskNameAggregation reports an aggregation by task_name: names are
// optional and not unique, so it merges different tasks that share one
// (or have none).
func noTaskNameAggregation(t *testing.T, where, expr string) {
	t.Helper()
	for _, m := range aggregationLabels.FindAllStringSubmatch(expr, -1) {
		for _, l := range strings.Split(m[2], ",") {
			if strings.TrimSpace(l) == "task_name" && m[1] == "by" {
				t.Errorf("%s aggregates by task_name, which is not unique: aggregate by task_id (with job and instance), or join task_name in with group_left: %s", where, expr)
			}
		}
	}
}
