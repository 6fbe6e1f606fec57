package deploy_test

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"
)

// findPanel returns the dashboard's panel titled title, failing without it.
func findPanel(t *testing.T, d dashboard, title string) dashboardPanel {
	t.Helper()
	for _, p := range d.Panels {
		if p.Title == title {
			return p
		}
	}
	t.Fatalf("the dashboard has no panel %q", title)
	return dashboardPanel{}
}

// overrideProperty returns the value of property id in the byName override
// of field name, or nil.
func overrideProperty(p dashboardPanel, name, id string) json.RawMessage {
	for _, o := range p.FieldConfig.Overrides {
		if o.Matcher.ID != "byName" || o.Matcher.Options != name {
			continue
		}
		for _, prop := range o.Properties {
			if prop.ID == id {
				return prop.Value
			}
		}
	}
	return nil
}

// greyHex matches a colour whose red, green and blue are equal: a grey.
var greyHex = regexp.MustCompile(`^#([0-9a-fA-F]{2})([0-9a-fA-F]{2})([0-9a-fA-F]{2})$`)

// TestDashboardChecksPerDay checks the panel of issue 25's check counts:
// one bar per day, stacked, one series per result as the exporter names
// it, and unknown shown apart in grey under a name that says what it is,
// never folded into failed (nor any result into another).
func TestDashboardChecksPerDay(t *testing.T) {
	p := findPanel(t, loadDashboard(t), "Checks per day by result")
	if p.Type != "timeseries" || p.FieldConfig.Defaults.Custom["drawStyle"] != "bars" {
		t.Errorf("want a timeseries panel drawn as bars, got %s drawn as %v", p.Type, p.FieldConfig.Defaults.Custom["drawStyle"])
	}
	if stacking, _ := p.FieldConfig.Defaults.Custom["stacking"].(map[string]any); stacking["mode"] != "normal" {
		t.Errorf("the results are not stacked: %v", p.FieldConfig.Defaults.Custom["stacking"])
	}
	if d, err := model.ParseDuration(p.Interval); err != nil || time.Duration(d) != 24*time.Hour {
		t.Errorf("min interval %q, want 1d: one bar per day however short the time range (%v)", p.Interval, err)
	}
	if len(p.Targets) != 1 {
		t.Fatalf("%d queries, want one, by result", len(p.Targets))
	}
	q := p.Targets[0]
	// All results, each its own series: the query neither selects results
	// nor rewrites them (label_replace could fold unknown into failed).
	if !strings.HasPrefix(q.Expr, "sum by (result) (increase(codearts_check_task_checks_total{") ||
		!strings.Contains(q.Expr, "[$__interval])") || q.LegendFormat != "{{result}}" {
		t.Errorf("want sum by (result) (increase(codearts_check_task_checks_total{...}[$__interval]) ...) shown as {{result}}, got %q as %q", q.Expr, q.LegendFormat)
	}
	if strings.Contains(q.Expr, "result=") || strings.Contains(q.Expr, "result!") || strings.Contains(q.Expr, "label_") {
		t.Errorf("the query selects or rewrites results, so one may be folded into another: %s", q.Expr)
	}
	colors := map[string]string{}
	for _, result := range []string{"succeeded", "failed", "stopped", "unknown"} {
		var c struct {
			Mode       string `json:"mode"`
			FixedColor string `json:"fixedColor"`
		}
		if err := json.Unmarshal(overrideProperty(p, result, "color"), &c); err != nil || c.Mode != "fixed" || c.FixedColor == "" {
			t.Errorf("result %s has no fixed colour of its own (%v)", result, err)
		}
		colors[result] = c.FixedColor
	}
	if m := greyHex.FindStringSubmatch(colors["unknown"]); m == nil || m[1] != m[2] || m[2] != m[3] {
		t.Errorf("unknown is coloured %q, want a grey (#rrggbb with r = g = b)", colors["unknown"])
	}
	for _, result := range []string{"succeeded", "failed", "stopped"} {
		if colors[result] == colors["unknown"] {
			t.Errorf("unknown has the colour of %s", result)
		}
	}
	var name string
	if err := json.Unmarshal(overrideProperty(p, "unknown", "displayName"), &name); err != nil || name != "unknown (result not seen)" {
		t.Errorf("unknown is shown as %q, want \"unknown (result not seen)\" (%v)", name, err)
	}
}

// TestDashboardCheckDuration checks the duration quantiles: p50, p90 and
// p99 by histogram_quantile over the classic buckets, all exporters'
// buckets summed by le alone. The histogram has no task label, so the
// panel cannot follow the project, branch and task variables, and says so.
func TestDashboardCheckDuration(t *testing.T) {
	p := findPanel(t, loadDashboard(t), "Check duration")
	want := map[string]string{"0.5": "p50", "0.9": "p90", "0.99": "p99"}
	quantile := regexp.MustCompile(`^histogram_quantile\(([0-9.]+), sum by \(le\) \(increase\(codearts_check_check_duration_seconds_bucket\{instance=~"\$instance"\}\[\$__interval\]\)\)\)$`)
	for _, q := range p.Targets {
		m := quantile.FindStringSubmatch(q.Expr)
		if m == nil {
			t.Errorf("query %s: want histogram_quantile(φ, sum by (le) (increase(codearts_check_check_duration_seconds_bucket{instance=~\"$instance\"}[$__interval]))), got %s", q.RefID, q.Expr)
			continue
		}
		if want[m[1]] != q.LegendFormat {
			t.Errorf("query %s: quantile %s shown as %q", q.RefID, m[1], q.LegendFormat)
		}
		delete(want, m[1])
	}
	if len(want) > 0 {
		t.Errorf("missing quantiles %v", want)
	}
	if d, err := model.ParseDuration(p.Interval); err != nil || time.Duration(d) < time.Hour {
		t.Errorf("min interval %q, want an hour or more: checks are minutes apart, a shorter interval is mostly empty (%v)", p.Interval, err)
	}
	if !strings.Contains(p.Description, "only the Exporter variable") {
		t.Errorf("the description does not say that the panel follows only the Exporter variable: %q", p.Description)
	}
}
