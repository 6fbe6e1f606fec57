package deploy_test

import (
	"fmt"
	"os/exec"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v2"
)

type (
	rule struct {
		Alert       string            `yaml:"alert"`
		Record      string            `yaml:"record"`
		Expr        string            `yaml:"expr"`
		For         string            `yaml:"for"`
		Labels      map[string]string `yaml:"labels"`
		Annotations map[string]string `yaml:"annotations"`
	}
	ruleGroup struct {
		Name  string `yaml:"name"`
		Rules []rule `yaml:"rules"`
	}
	ruleFile struct {
		Groups []ruleGroup `yaml:"groups"`
	}
)

// loadRules returns every rule of alerts.yml, recording rules included.
func loadRules(t *testing.T) []rule {
	t.Helper()
	var f ruleFile
	loadYAML(t, "prometheus/alerts.yml", &f)
	var rules []rule
	for _, g := range f.Groups {
		rules = append(rules, g.Rules...)
	}
	return rules
}

// loadAlerts returns the alerting rules of alerts.yml.
func loadAlerts(t *testing.T) []rule {
	t.Helper()
	var alerts []rule
	for _, r := range loadRules(t) {
		if r.Alert != "" {
			alerts = append(alerts, r)
		}
	}
	if len(alerts) == 0 {
		t.Fatal("prometheus/alerts.yml has no alerts")
	}
	return alerts
}

func runPromtool(t *testing.T, args ...string) {
	t.Helper()
	promtool := requireTool(t, "promtool")
	cmd := exec.Command(promtool, args...)
	cmd.Dir = "prometheus"
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	t.Logf("promtool %s:\n%s", strings.Join(args, " "), out)
}

func TestPromtoolCheckRules(t *testing.T) {
	runPromtool(t, "check", "rules", "alerts.yml")
}

func TestPromtoolTestRules(t *testing.T) {
	runPromtool(t, "test", "rules", "alerts_test.yml")
}

// TestPromtoolCheckConfig also checks the rule files prometheus.yml loads.
func TestPromtoolCheckConfig(t *testing.T) {
	runPromtool(t, "check", "config", "prometheus.yml")
}

// TestAlertsTestCoverage checks that alerts_test.yml has, for every alert, a
// case where it fires and one where it does not.
func TestAlertsTestCoverage(t *testing.T) {
	var tests struct {
		Tests []struct {
			AlertRuleTest []struct {
				Alertname string `yaml:"alertname"`
				ExpAlerts []any  `yaml:"exp_alerts"`
			} `yaml:"alert_rule_test"`
		} `yaml:"tests"`
	}
	loadYAML(t, "prometheus/alerts_test.yml", &tests)
	firing, silent := map[string]bool{}, map[string]bool{}
	for _, tc := range tests.Tests {
		for _, a := range tc.AlertRuleTest {
			if len(a.ExpAlerts) > 0 {
				firing[a.Alertname] = true
			} else {
				silent[a.Alertname] = true
			}
		}
	}
	for _, a := range loadAlerts(t) {
		if !firing[a.Alert] {
			t.Errorf("alerts_test.yml has no case where %s fires", a.Alert)
		}
		if !silent[a.Alert] {
			t.Errorf("alerts_test.yml has no case where %s does not fire", a.Alert)
		}
	}
}

// githubAnchor returns the anchor GitHub gives a Markdown heading: lower
// case, punctuation other than - and _ dropped, spaces turned into -.
func githubAnchor(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(heading)) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || ('a' <= r && r <= 'z') || ('0' <= r && r <= '9'):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// TestAlertAnnotations checks what every alert must carry: a severity,
// summary, description, and a runbook_url whose anchor exists in the
// runbook (runbookFile); task alerts name the task from
// codearts_check_task_info.
func TestAlertAnnotations(t *testing.T) {
	anchors := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^#+\s+(.+)$`).FindAllStringSubmatch(string(readFile(t, "../"+runbookFile)), -1) {
		anchors[githubAnchor(m[1])] = true
	}
	seen := map[string]bool{}
	for _, a := range loadAlerts(t) {
		if seen[a.Alert] {
			t.Errorf("alert %s is defined twice", a.Alert)
		}
		seen[a.Alert] = true
		if !strings.HasPrefix(a.Alert, "CodeArtsCheck") {
			t.Errorf("alert %s: names start with CodeArtsCheck", a.Alert)
		}
		if s := a.Labels["severity"]; s != "warning" && s != "critical" {
			t.Errorf("alert %s: severity %q, want warning or critical", a.Alert, s)
		}
		for _, key := range []string{"summary", "description", "runbook_url"} {
			if strings.TrimSpace(a.Annotations[key]) == "" {
				t.Errorf("alert %s: no %s annotation", a.Alert, key)
			}
		}
		anchor := "alert-" + strings.ToLower(a.Alert)
		if want := runbookBase + "#" + anchor; a.Annotations["runbook_url"] != want {
			t.Errorf("alert %s: runbook_url %q, want %q", a.Alert, a.Annotations["runbook_url"], want)
		}
		if !anchors[anchor] {
			t.Errorf("alert %s: %s has no heading with anchor #%s (want \"## Alert: %s\")", a.Alert, runbookFile, anchor, a.Alert)
		}
		if strings.Contains(a.Expr, "codearts_check_task_") {
			if !strings.Contains(a.Expr, "group_left(task_name)") || !strings.Contains(a.Expr, "codearts_check_task_info") {
				t.Errorf("alert %s is about a task but does not join task_name from codearts_check_task_info", a.Alert)
			}
			if !strings.Contains(a.Annotations["description"], "$labels.task_name") {
				t.Errorf("alert %s: the description does not name the task ($labels.task_name)", a.Alert)
			}
		}
	}
	// The exporter-down alert selects the job that prometheus.yml and the
	// ServiceMonitor define.
	for _, a := range loadAlerts(t) {
		if strings.Contains(a.Expr, "up{") && !strings.Contains(a.Expr, fmt.Sprintf(`up{job=%q}`, jobName)) {
			t.Errorf("alert %s: %q does not select up{job=%q}", a.Alert, a.Expr, jobName)
		}
	}
}

// TestPrometheusRuleMatchesAlerts checks that the PrometheusRule for
// prometheus-operator holds exactly the groups of alerts.yml.
func TestPrometheusRuleMatchesAlerts(t *testing.T) {
	var plain struct {
		Groups any `yaml:"groups"`
	}
	loadYAML(t, "prometheus/alerts.yml", &plain)
	var pr struct {
		APIVersion string `yaml:"apiVersion"`
		Kind       string `yaml:"kind"`
		Spec       struct {
			Groups any `yaml:"groups"`
		} `yaml:"spec"`
	}
	loadYAML(t, "kubernetes/prometheusrule.yml", &pr)
	if pr.APIVersion != "monitoring.coreos.com/v1" || pr.Kind != "PrometheusRule" {
		t.Errorf("kubernetes/prometheusrule.yml is a %s %s, want a monitoring.coreos.com/v1 PrometheusRule", pr.APIVersion, pr.Kind)
	}
	if plain.Groups == nil {
		t.Fatal("prometheus/alerts.yml has no groups")
	}
	if !reflect.DeepEqual(plain.Groups, pr.Spec.Groups) {
		// Say which rule differs, not just that something does.
		var a, b ruleFile
		loadYAML(t, "prometheus/alerts.yml", &a)
		var bw struct {
			Spec ruleFile `yaml:"spec"`
		}
		loadYAML(t, "kubernetes/prometheusrule.yml", &bw)
		b = bw.Spec
		wantText, _ := yaml.Marshal(a)
		gotText, _ := yaml.Marshal(b)
		t.Errorf("kubernetes/prometheusrule.yml spec.groups differ from prometheus/alerts.yml; copy the groups over.\nalerts.yml:\n%s\nprometheusrule.yml:\n%s", wantText, gotText)
	}
}

// TestAlertmanagerConfig checks the example routing: failed and stuck
// checks reach the team receiver grouped by task, and every alert name the
// configuration mentions exists.
func TestAlertmanagerConfig(t *testing.T) {
	type route struct {
		Receiver string   `yaml:"receiver"`
		GroupBy  []string `yaml:"group_by"`
		Matchers []string `yaml:"matchers"`
	}
	var am struct {
		Route struct {
			route  `yaml:",inline"`
			Routes []route `yaml:"routes"`
		} `yaml:"route"`
		InhibitRules []struct {
			SourceMatchers []string `yaml:"source_matchers"`
			TargetMatchers []string `yaml:"target_matchers"`
			Equal          []string `yaml:"equal"`
		} `yaml:"inhibit_rules"`
		Receivers []struct {
			Name string `yaml:"name"`
		} `yaml:"receivers"`
	}
	loadYAML(t, "alertmanager/alertmanager.yml", &am)

	receivers := map[string]bool{}
	for _, r := range am.Receivers {
		receivers[r.Name] = true
	}
	if !receivers[am.Route.Receiver] {
		t.Errorf("the top route's receiver %q is not defined", am.Route.Receiver)
	}

	var alertNames []string
	for _, a := range loadAlerts(t) {
		alertNames = append(alertNames, a.Alert)
	}
	// matchAlertname returns the alerts of alerts.yml an alertname matcher
	// selects; other matchers select nothing here.
	matcher := regexp.MustCompile(`^\s*alertname\s*(=~|=)\s*"([^"]*)"\s*$`)
	matchAlertname := func(m string) []string {
		parts := matcher.FindStringSubmatch(m)
		if parts == nil {
			return nil
		}
		var out []string
		for _, name := range alertNames {
			if parts[1] == "=" && name == parts[2] {
				out = append(out, name)
			}
			if parts[1] == "=~" && regexp.MustCompile("^(?:"+parts[2]+")$").MatchString(name) {
				out = append(out, name)
			}
		}
		if len(out) == 0 {
			t.Errorf("alertmanager.yml: matcher %q selects none of the alerts in alerts.yml", m)
		}
		return out
	}

	routed := map[string]route{}
	for _, r := range am.Route.Routes {
		if !receivers[r.Receiver] {
			t.Errorf("route to %q: receiver not defined", r.Receiver)
		}
		for _, m := range r.Matchers {
			for _, name := range matchAlertname(m) {
				routed[name] = r
			}
		}
	}
	for _, name := range []string{"CodeArtsCheckFailed", "CodeArtsCheckStuck"} {
		r, ok := routed[name]
		if !ok || r.Receiver == am.Route.Receiver {
			t.Errorf("alertmanager.yml: %s is not routed to a team receiver of its own", name)
			continue
		}
		if !contains(r.GroupBy, "task_id") {
			t.Errorf("alertmanager.yml: the route for %s groups by %q, want by task_id", name, r.GroupBy)
		}
	}
	for _, ir := range am.InhibitRules {
		for _, m := range append(append([]string{}, ir.SourceMatchers...), ir.TargetMatchers...) {
			matchAlertname(m)
		}
		if len(ir.Equal) == 0 {
			t.Error("alertmanager.yml: an inhibit rule without equal mutes across all exporters")
		}
	}

	// amtool checks the file the way Alertmanager will read it. It is
	// optional outside CI (deploy/README.md): without it only this subtest
	// is skipped, and says why, while the checks above still count.
	t.Run("amtool check-config", func(t *testing.T) {
		out, err := exec.Command(requireTool(t, "amtool"), "check-config", "alertmanager/alertmanager.yml").CombinedOutput()
		if err != nil {
			t.Errorf("amtool check-config: %v\n%s", err, out)
		}
	})
}

// qualityFamilies are the series of a task's report that say how good its
// code is, not whether anything works.
var qualityFamilies = []string{"codearts_check_task_defects", "codearts_check_task_quality_gate_passed"}

// TestQualityAlertsDoNotPage checks that alerts on code quality are
// warnings, never critical (critical pages, and is for outages), and that
// they wait (a for:), so that the next check after a quick fix clears them
// unseen.
func TestQualityAlertsDoNotPage(t *testing.T) {
	quality := 0
	for _, a := range loadAlerts(t) {
		isQuality := false
		for _, f := range qualityFamilies {
			isQuality = isQuality || strings.Contains(a.Expr, f)
		}
		if !isQuality {
			continue
		}
		quality++
		if a.Labels["severity"] != "warning" {
			t.Errorf("alert %s is about code quality but has severity %q, want warning: it must not page", a.Alert, a.Labels["severity"])
		}
		if a.For == "" {
			t.Errorf("alert %s is about code quality but has no for:, so a check fixed minutes later still notifies", a.Alert)
		}
	}
	if quality < 2 {
		t.Errorf("found %d alerts on %v, want CodeArtsCheckNewCriticalDefects and CodeArtsCheckQualityGateFailed at least", quality, qualityFamilies)
	}
}

// recordName is Prometheus' naming of recording rules,
// level:metric:operations.
var recordName = regexp.MustCompile(`^[a-z0-9_]+:[a-z0-9_]+:[a-z0-9_]+$`)

// TestRecordingRules checks that every recording rule is named
// level:metric:operations, is read by an alert (a rule nothing reads only
// costs), and comes before every alert of its group that reads it, so that
// the alert sees this evaluation's value rather than the last one's.
func TestRecordingRules(t *testing.T) {
	var f ruleFile
	loadYAML(t, "prometheus/alerts.yml", &f)
	for _, g := range f.Groups {
		for i, r := range g.Rules {
			if r.Record == "" {
				continue
			}
			if !recordName.MatchString(r.Record) {
				t.Errorf("recording rule %s: want a name level:metric:operations", r.Record)
			}
			used := false
			for j, a := range g.Rules {
				if a.Alert == "" || !strings.Contains(a.Expr, r.Record) {
					continue
				}
				used = true
				if j < i {
					t.Errorf("alert %s reads %s but comes before it in group %s", a.Alert, r.Record, g.Name)
				}
			}
			if !used {
				t.Errorf("recording rule %s: no alert of group %s reads it", r.Record, g.Name)
			}
		}
	}
}
