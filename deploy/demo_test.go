package deploy_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"

	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit/stdkit"
)

// expectation is what an expression must return against the demo.
type expectation int

const (
	// hasData: at least one series.
	hasData expectation = iota
	// noData: nothing. Used for alerts that must not fire on a healthy
	// demo: a result would be a false alarm.
	noData
	// evaluates: only has to evaluate without error.
	evaluates
)

// alertsOnDemo says what each alert's expression returns against the demo
// (internal/simulator/fakecloud/demo.go), and why. A new alert must be added here.
var alertsOnDemo = map[string]struct {
	want expectation
	why  string
}{
	"CodeArtsCheckFailed": {hasData, "payment-service and notification-service always fail, and one of them is failed at every moment"},
	// A task must finish at least 4 checks that succeeded or failed
	// within the 6-hour window: the demo's tasks finish one per 180 s
	// cycle, so 12 minutes at least, far beyond the test's 45 s.
	"CodeArtsCheckFailingOften": {evaluates, "it needs 4 finished checks of a task: 12 minutes of the demo at least"},
	// The expression without its `for: 1h` matches any checking task whose
	// progress has not moved since Prometheus started, which depends on
	// where the demo's tasks are in their cycle.
	"CodeArtsCheckStuck":            {evaluates, "depends on the demo's timing"},
	"CodeArtsCheckExporterDown":     {noData, "the exporter is up"},
	"CodeArtsCheckAPIDown":          {noData, "the simulator answers every task, search-service after a retry"},
	"CodeArtsCheckTaskQueryFailing": {hasData, "retired-batch was deleted: every query of it answers CC.00050014 (search-service's failures are retried at once and the retry succeeds)"},
	"CodeArtsCheckAPIErrors":        {hasData, "retired-batch's CC.00050014, one failed call every scrape, is far above the alert's 5% (search-service's CC.00050012, about 3%, is below)"},
	"CodeArtsCheckAPIThrottled":     {noData, "the demo never throttles"},
	// A rise needs a demo check to end with more critical defects than the
	// check before it within the hour, which happens at moments that
	// depend on how long the test has run.
	"CodeArtsCheckNewCriticalDefects": {evaluates, "depends on the demo's timing"},
	"CodeArtsCheckQualityGateFailed":  {hasData, "legacy-monolith's fixed report failed its quality gate"},
	"CodeArtsCheckNoRecentCheck":      {hasData, "legacy-monolith's last check ended 30 days before the demo started"},
}

// dashboardNotOnDemo lists the dashboard queries that may return nothing
// against the demo, and why; every other query must return data. The demo
// is built so that every panel is filled: only a column that is empty on a
// healthy setup belongs here.
var dashboardNotOnDemo = map[string]string{}

// grafanaVariables replaces Grafana's variables in q with what Grafana
// would put there for a Prometheus that scrapes every scrapeInterval, and
// the dashboard's own variables with values. $__interval is at least the
// panel's min interval ("interval": a panel of checks per day steps by a
// day however short the range), and $__rate_interval, as Grafana makes
// it, the larger of $__interval plus a scrape interval and four scrape
// intervals.
func grafanaVariables(q dashboardQuery, scrapeInterval time.Duration, values map[string]string) string {
	interval := scrapeInterval
	if q.panel != nil && q.panel.Interval != "" {
		// TestDashboard checks that every min interval parses.
		if floor, err := model.ParseDuration(q.panel.Interval); err == nil {
			interval = max(interval, time.Duration(floor))
		}
	}
	all := map[string]string{
		"__rate_interval": promDuration(max(4*scrapeInterval, interval+scrapeInterval)),
		"__interval":      promDuration(interval),
		"__range":         "5m",
	}
	for k, v := range values {
		all[k] = v
	}
	return substituteVariables(q.expr, all)
}

// promDuration writes d as PromQL does, in whole milliseconds.
func promDuration(d time.Duration) string {
	return fmt.Sprintf("%dms", d.Milliseconds())
}

// startProcess starts a command that runs until the test ends, and kills
// it then; if the test failed, its output is logged.
func startProcess(t *testing.T, dir, name string, args ...string) {
	t.Helper()
	out, err := os.Create(filepath.Join(dir, filepath.Base(name)+".log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { out.Close() })
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			b, _ := os.ReadFile(out.Name())
			t.Logf("--- %s output ---\n%s", filepath.Base(name), b)
		}
	})
}

var httpClient = &http.Client{Timeout: 5 * time.Second}

func httpOK(u string) error {
	resp, err := httpClient.Get(u)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	return nil
}

// promAPI is a client of the test's Prometheus HTTP API.
type promAPI string

type promSample struct {
	Metric map[string]string `json:"metric"`
	// Value is an instant query's [timestamp, "value"].
	Value []any `json:"value"`
}

// get calls an API endpoint and decodes its data.
func (p promAPI) get(path string, params url.Values, data any) error {
	resp, err := httpClient.Get(string(p) + path + "?" + params.Encode())
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var body struct {
		Status    string          `json:"status"`
		ErrorType string          `json:"errorType"`
		Error     string          `json:"error"`
		Data      json.RawMessage `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return fmt.Errorf("%s: %s: %v", path, resp.Status, err)
	}
	if body.Status != "success" {
		return fmt.Errorf("%s: %s: %s", path, body.ErrorType, body.Error)
	}
	return json.Unmarshal(body.Data, data)
}

// query evaluates an instant query now.
func (p promAPI) query(expr string) ([]promSample, error) { return p.queryAt(expr, time.Time{}) }

// queryAt evaluates an instant query at a moment (zero: now).
func (p promAPI) queryAt(expr string, at time.Time) ([]promSample, error) {
	var data struct {
		ResultType string       `json:"resultType"`
		Result     []promSample `json:"result"`
	}
	params := url.Values{"query": {expr}}
	if !at.IsZero() {
		params.Set("time", unixSeconds(at))
	}
	if err := p.get("/api/v1/query", params, &data); err != nil {
		return nil, err
	}
	if data.ResultType != "vector" {
		return nil, fmt.Errorf("result type %s, want vector", data.ResultType)
	}
	return data.Result, nil
}

// promQuery is one expression to evaluate against the demo.
type promQuery struct {
	where string
	expr  string
	want  expectation
}

// TestExpressionsAgainstDemo evaluates every PromQL expression of the
// dashboard and the alerting rules in a real Prometheus server that scrapes
// the exporter in --demo mode every second, and loads the rules the way a
// user's Prometheus does.
func TestExpressionsAgainstDemo(t *testing.T) {
	requireTool(t, "prometheus") // before the build: skip at once without it
	exporter := testkit.Binary(t)
	dir := t.TempDir()
	start := time.Now()

	// Prometheus starts first: it takes a few seconds before it scrapes
	// (service discovery updates are throttled to every 5s), and the demo's
	// clock starts with the exporter, whose first state change (5s in)
	// the table's "Last change" column needs to see.
	exporterAddr := testkit.FreeAddr(t)
	alertsFile, err := filepath.Abs("prometheus/alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	api := startPrometheus(t, dir, time.Second, exporterAddr, alertsFile)

	exporterStart := time.Now()
	startProcess(t, dir, exporter, "--demo", "--web.listen-address="+exporterAddr)
	stdkit.Until(t, exporterStart.Add(10*time.Second), "exporter ready",
		func() error { return httpOK("http://" + exporterAddr + "/-/ready") })

	// All data must be there within this. The demo changes a task's state
	// 5s after it starts and another's 35s after; everything else takes a
	// couple of scrapes.
	deadline := exporterStart.Add(45 * time.Second)

	// The dashboard's variables, as Grafana fills them with "All" chosen:
	// the data is complete once every variable has options.
	d := loadDashboard(t)
	var values map[string]string
	stdkit.Until(t, deadline, "dashboard variables", func() error {
		v, listed, err := resolveVariables(api, d, time.Time{}, nil)
		if err != nil {
			return err
		}
		for name, options := range listed {
			if len(options) == 0 {
				return fmt.Errorf("variable %s has no options yet", name)
			}
		}
		values = v
		return nil
	})

	var queries []promQuery
	exempt := map[string]bool{}
	for _, q := range dashboardQueries(d) {
		want := hasData
		if _, ok := dashboardNotOnDemo[q.where]; ok {
			want = evaluates
			exempt[q.where] = true
		}
		expr := grafanaVariables(q, time.Second, values)
		if strings.Contains(expr, "$") {
			t.Errorf("%s: a Grafana variable the test does not know: %s", q.where, expr)
			continue
		}
		queries = append(queries, promQuery{q.where, expr, want})
	}
	for where := range dashboardNotOnDemo {
		if !exempt[where] {
			t.Errorf("dashboardNotOnDemo names %s, which the dashboard does not have", where)
		}
	}
	alerts := loadAlerts(t)
	for _, a := range alerts {
		e, ok := alertsOnDemo[a.Alert]
		if !ok {
			t.Errorf("alert %s: say in alertsOnDemo what it returns on the demo", a.Alert)
			continue
		}
		queries = append(queries, promQuery{"alert " + a.Alert + " (" + e.why + ")", a.Expr, e.want})
	}

	for _, q := range queries {
		stdkit.Until(t, deadline, q.where, func() error {
			samples, err := api.query(q.expr)
			if err != nil {
				// A bad expression does not get better by waiting.
				t.Fatalf("%s: %v\n%s", q.where, err, q.expr)
			}
			if q.want == hasData && len(samples) == 0 {
				return fmt.Errorf("no data yet from %s", q.expr)
			}
			return nil
		})
	}
	// By now the data is there; the alerts that must not fire do not.
	for _, q := range queries {
		if q.want != noData {
			continue
		}
		samples, err := api.query(q.expr)
		if err != nil {
			t.Errorf("%s: %v", q.where, err)
		} else if len(samples) > 0 {
			t.Errorf("%s returns %v on the healthy demo: a false alarm", q.where, samples)
		}
	}

	// Prometheus loaded the rules and evaluates them without error.
	stdkit.Until(t, deadline, "rules evaluated", func() error {
		var data struct {
			Groups []struct {
				Rules []struct {
					Name      string `json:"name"`
					Health    string `json:"health"`
					LastError string `json:"lastError"`
				} `json:"rules"`
			} `json:"groups"`
		}
		if err := api.get("/api/v1/rules", nil, &data); err != nil {
			return err
		}
		n := 0
		for _, g := range data.Groups {
			for _, r := range g.Rules {
				n++
				if r.Health == "err" {
					t.Fatalf("rule %s: %s", r.Name, r.LastError)
				}
				if r.Health != "ok" {
					return fmt.Errorf("rule %s: health %q", r.Name, r.Health)
				}
			}
		}
		if want := len(loadRules(t)); n != want {
			return fmt.Errorf("Prometheus has %d rules, alerts.yml %d", n, want)
		}
		return nil
	})

	// CodeArtsCheckFailed is active for a failing demo task, named.
	stdkit.Until(t, deadline, "CodeArtsCheckFailed active", func() error {
		var data struct {
			Alerts []struct {
				Labels map[string]string `json:"labels"`
				State  string            `json:"state"`
			} `json:"alerts"`
		}
		if err := api.get("/api/v1/alerts", nil, &data); err != nil {
			return err
		}
		for _, a := range data.Alerts {
			if a.Labels["alertname"] == "CodeArtsCheckFailed" && a.Labels["task_name"] != "" {
				return nil
			}
		}
		return fmt.Errorf("active alerts: %+v", data.Alerts)
	})

	t.Logf("%d expressions evaluated against the demo in %s", len(queries), time.Since(start).Round(time.Millisecond))
}
