package deploy_test

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/codearts-check-exporter/codearts_check_exporter/internal/simulator"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit/stdkit"
)

// The fleet of TestDashboardAtScale: as many tasks as the exporter is
// built for, in a few CodeArts projects, on two branches, every name
// shared by two tasks (one per branch), as names are in real accounts.
const (
	scaleTasks    = 5000
	scaleProjects = 5
	// scaleInterval is Prometheus' scrape interval and timeout. The
	// exporter collects for half of it (its timeout), so that writing
	// and ingesting the 120,000 series of a scrape has the other half: a
	// scrape that outlasts Prometheus' timeout fails, and on a loaded
	// 2-core machine 5 s with a 4 s collection failed most scrapes.
	scaleInterval = 10 * time.Second
)

// scaleTask is the i-th task of the fleet: most succeeded, 1 in 100 never
// checked, checking or stopped, and 1 in 1,000 failed.
func scaleTask(i int, projects []string) simulator.Task {
	t := simulator.Task{
		ID:        scaleTaskID(i),
		Name:      fmt.Sprintf("service-%04d", i%(scaleTasks/2)),
		ProjectID: projects[i%len(projects)],
		GitBranch: "main",
		Status:    simulator.IntPtr(2),
		Ratio:     simulator.StrPtr("100%"),
		Info:      simulator.StrPtr("success"),
	}
	if i >= scaleTasks/2 {
		t.GitBranch = "release"
	}
	switch {
	case i%100 == 0:
		t.Status, t.Ratio, t.Info = nil, nil, nil
	case i%100 == 1:
		t.Status, t.Ratio, t.Info = simulator.IntPtr(0), simulator.StrPtr("40%"), simulator.StrPtr("running")
	case i%100 == 2:
		t.Status, t.Ratio, t.Info = simulator.IntPtr(3), nil, simulator.StrPtr("stopped")
	case i%1000 == 3:
		t.Status, t.Ratio, t.Info = simulator.IntPtr(1), nil, nil
	}
	return t
}

func scaleTaskID(i int) string { return fmt.Sprintf("%032x", 0xc0de0000+i) }

// Tasks the test changes or breaks, by index; all succeeded at first.
var (
	// scaleFailing fail their progress queries throughout: the Tasks
	// table's Last error column.
	scaleFailing = []int{10, 11, 12}
	// scaleFlipping fail a check once Prometheus has their first state:
	// the Last change column.
	scaleFlipping = []int{20, 21, 22, 23, 24}
	// scaleNamesake is a task and the task on the other branch with the
	// same name.
	scaleNamesake = []int{30, 30 + scaleTasks/2}
)

// dashboardSeriesBound is the most series a panel's query may return at
// any number of tasks: the per-task panels show at most maxTasksShown
// tasks, the others aggregate to a few series per exporter.
const dashboardSeriesBound = maxTasksShown

// TestDashboardAtScale runs every query of the dashboard against 5,000
// tasks, in a real Prometheus server that scrapes the exporter in front of
// the simulator, with the dashboard's variables filled as Grafana fills
// them: every query answers, and none returns more than
// dashboardSeriesBound series (a range query's series are those of all its
// steps, which Grafana draws). Then a task chosen by the task variable
// comes alone, without the task on the other branch that shares its name.
// It logs what each query read, for deploy/README.md's table of costs.
func TestDashboardAtScale(t *testing.T) {
	requireTool(t, "prometheus")
	exporter := testkit.Binary(t)
	dir := t.TempDir()
	start := time.Now()

	sim := simulator.New(simulator.Options{})
	var projects []string
	for p := range scaleProjects {
		projects = append(projects, fmt.Sprintf("%032x", 0x5ca1e000+p))
		sim.AddProject(projects[p])
	}
	for i := range scaleTasks {
		sim.SetTask(scaleTask(i, projects))
	}
	for _, i := range scaleFailing {
		sim.SetFault(scaleTaskID(i), simulator.Fault{Kind: simulator.FaultNoPermission})
	}
	api := testkit.Simulator(t, sim)

	// A project whose first listing fails (a page past the timeout on a
	// loaded machine) has no tasks until discovery lists it again: every
	// 30 s, the least refresh_interval, rather than the default 10 min.
	exporterAddr := testkit.FreeAddr(t)
	config := fmt.Sprintf(`endpoint: %[1]s
auth:
  iam:
    endpoint: %[1]s
    domain_name: %[2]s
    username: %[3]s
    password: %[4]q
    project_name: %[5]s
discovery:
  projects: [%[6]s]
  refresh_interval: 30s
tasks: []
concurrency: 64
timeout: %[7]s
change_detection:
  enabled: true
`, api.URL, simulator.DefaultDomain, simulator.DefaultUser, simulator.DefaultPassword, simulator.DefaultProject,
		strings.Join(projects, ", "), promDuration(scaleInterval/2))
	configFile := filepath.Join(dir, "exporter.yml")
	if err := os.WriteFile(configFile, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	prom := startPrometheus(t, dir, scaleInterval, exporterAddr, "")
	startProcess(t, dir, exporter, "--config.file="+configFile, "--web.listen-address="+exporterAddr)
	// Discovery, the first scrape and the first report reads of 5,000
	// tasks take a few scrapes (about 20 s on an idle 2-core machine). On
	// a loaded one the first collections run out of time, and a report
	// read one of them cut short is tried again a minute later
	// (collector/reports.go, failedReadRetry): the wait allows for one
	// such round, and for a listing of discovery's tried again.
	deadline := time.Now().Add(90*time.Second + time.Minute)

	// Every task's state first: a check that fails next is then a change
	// Prometheus sees.
	scaleScrape(t, prom, deadline, func(at time.Time) error {
		return scaleCount(t, prom, at, "codearts_check_task_status", scaleTasks-len(scaleFailing))
	})
	var flipping []string
	for _, i := range scaleFlipping {
		flipping = append(flipping, scaleTaskID(i))
		if !sim.FinishCheck(scaleTaskID(i), false) {
			t.Fatalf("task %d is not in the simulator", i)
		}
	}

	d := loadDashboard(t)
	var lastChange *dashboardQuery
	for _, q := range dashboardQueries(d) {
		if q.where == `panel "Tasks" query C` {
			lastChange = &q
		}
	}
	if lastChange == nil {
		t.Fatal(`the dashboard has no panel "Tasks" with a query C, Last change`)
	}
	// Grafana's time range: from Prometheus' first scrape to end.
	rangeStart := start
	vars := func(values map[string]string, end time.Time) map[string]string {
		all := map[string]string{"__range": promDuration(end.Sub(rangeStart).Truncate(time.Second))}
		for k, v := range values {
			all[k] = v
		}
		return all
	}
	// The moment the rest of the test reads, end: a scrape with every
	// task's state and report (reports are read a few thousand a scrape,
	// after the progress queries), the failing tasks' errors and the
	// failed checks, at which Last change, run for the tasks whose check
	// failed, shows their change: its subquery looks at steps aligned to
	// the scrape interval, and a change shows once such a step follows it.
	failedChecks := strings.Join(flipping, "|")
	end := scaleScrape(t, prom, deadline, func(at time.Time) error {
		for _, c := range []struct {
			expr string
			want int
		}{
			{"codearts_check_task_status", scaleTasks - len(scaleFailing)},
			{"codearts_check_task_last_error_info", len(scaleFailing)},
			{fmt.Sprintf(`codearts_check_task_status{task_id=~%q} == 1`, failedChecks), len(flipping)},
			{`codearts_check_task_defects{severity="critical"}`, scaleTasks - scaleTasks/100 - len(scaleFailing)},
			{grafanaVariables(*lastChange, scaleInterval, vars(map[string]string{"instance": ".*", "shown": failedChecks}, at)), len(flipping)},
		} {
			if err := scaleCount(t, prom, at, c.expr, c.want); err != nil {
				return err
			}
		}
		return nil
	})
	values, listed, err := resolveVariables(prom, d, end, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The task variable lists every task by name and ID, the value its ID.
	if n := len(listed["task"]); n != scaleTasks {
		t.Errorf("the task variable lists %d tasks, want %d", n, scaleTasks)
	}
	for _, o := range listed["task"] {
		if o.value == scaleTaskID(scaleNamesake[0]) && o.text != fmt.Sprintf("service-%04d · %s", scaleNamesake[0], o.value) {
			t.Errorf("the task variable shows task %s as %q, want its name and ID", o.value, o.text)
		}
	}
	for _, name := range []string{"shown", "worst"} {
		if n := len(listed[name]); n != maxTasksShown {
			t.Errorf("variable %s lists %d tasks, want %d of the %d", name, n, maxTasksShown, scaleTasks)
		}
	}

	var costs []string
	series := map[string]int{}   // by query
	returned := map[string]int{} // by panel: series, or a table's rows
	tableRows := map[string]map[string]bool{}
	for _, q := range dashboardQueries(d) {
		expr := grafanaVariables(q, scaleInterval, vars(values, end))
		result, _, err := prom.evaluate(expr, q.instant, rangeStart, end, scaleInterval)
		if err != nil {
			t.Errorf("%s: %v\n%s", q.where, err, expr)
			continue
		}
		// What it reads at one step: the series it touches.
		touched, err := prom.cost(expr, end)
		if err != nil {
			t.Errorf("%s (instant): %v\n%s", q.where, err, expr)
			continue
		}
		series[q.where] = len(result)
		if q.panel.Type == "table" {
			if tableRows[q.panel.Title] == nil {
				tableRows[q.panel.Title] = map[string]bool{}
			}
			for _, s := range result {
				tableRows[q.panel.Title][s.Metric["instance"]+"/"+s.Metric["task_id"]] = true
			}
			returned[q.panel.Title] = len(tableRows[q.panel.Title])
		} else {
			returned[q.panel.Title] += len(result)
		}
		kind := "range"
		if q.instant {
			kind = "instant"
		}
		costs = append(costs, fmt.Sprintf("%-52s %-7s %3d series, %6d samples read at one step", q.where, kind, len(result), touched.Samples.TotalQueryableSamples))
	}
	for panel, n := range returned {
		if n > dashboardSeriesBound {
			t.Errorf("panel %q returns %d series (a table: rows) at %d tasks, want at most %d", panel, n, scaleTasks, dashboardSeriesBound)
		}
	}
	// The bound is what limits the per-task panels, not a lack of data.
	for _, panel := range []string{"Tasks", "Task quality"} {
		if returned[panel] != maxTasksShown {
			t.Errorf("table %q has %d rows, want %d: the tasks shown, out of %d", panel, returned[panel], maxTasksShown, scaleTasks)
		}
	}
	// The tasks that need a look come first: the failing ones and the
	// failed checks, whose state change Last change shows.
	if n := series[`panel "Tasks" query E`]; n < len(scaleFailing) {
		t.Errorf("the Last error column has %d tasks, want at least the %d failing ones", n, len(scaleFailing))
	}
	if n := series[`panel "Tasks" query C`]; n < len(flipping) {
		t.Errorf("the Last change column has %d tasks, want at least the %d whose check failed", n, len(flipping))
	}
	// The variables' queries, as Grafana runs them on each load.
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		expr := substituteVariables(fmt.Sprint(v.Query), values)
		if m := labelValuesQuery.FindStringSubmatch(expr); m != nil {
			expr = m[1]
		} else if m := queryResultQuery.FindStringSubmatch(expr); m != nil {
			expr = m[1]
		}
		touched, err := prom.cost(expr, end)
		if err != nil {
			t.Errorf("variable %s: %v\n%s", v.Name, err, expr)
			continue
		}
		costs = append(costs, fmt.Sprintf("%-52s %-7s %4d options, %6d samples read", "variable "+v.Name, "instant", len(listed[v.Name]), touched.Samples.TotalQueryableSamples))
	}
	if slowest, err := prom.queryAt(fmt.Sprintf("max_over_time(codearts_check_scrape_duration_seconds[%s])", promDuration(end.Sub(rangeStart))), end); err == nil && len(slowest) == 1 {
		costs = append(costs, "slowest collection: "+fmt.Sprint(slowest[0].Value[1])+" s")
	}
	t.Logf("%d tasks, range %s, step %s:\n%s", scaleTasks, end.Sub(rangeStart).Round(time.Second), scaleInterval, strings.Join(costs, "\n"))

	// One task chosen by its ID: its namesake on the other branch stays
	// out, in the table and in the timeline.
	chosen := scaleTaskID(scaleNamesake[0])
	values, _, err = resolveVariables(prom, d, end, map[string][]string{"task": {chosen}})
	if err != nil {
		t.Fatal(err)
	}
	for _, where := range []string{`panel "Tasks" query A`, `panel "Task state over time" query A`} {
		for _, q := range dashboardQueries(d) {
			if q.where != where {
				continue
			}
			result, _, err := prom.evaluate(grafanaVariables(q, scaleInterval, vars(values, end)), q.instant, rangeStart, end, scaleInterval)
			if err != nil {
				t.Fatalf("%s: %v", where, err)
			}
			var got []string
			for _, s := range result {
				got = append(got, s.Metric["task_id"]+" "+s.Metric["task_name"]+" "+s.Metric["git_branch"])
			}
			sort.Strings(got)
			if want := chosen + fmt.Sprintf(" service-%04d main", scaleNamesake[0]); len(got) != 1 || got[0] != want {
				t.Errorf("%s with task %s chosen returns %q, want only %q", where, chosen, got, want)
			}
		}
	}
	t.Logf("done in %s", time.Since(start).Round(time.Millisecond))
}

// scaleScrape waits until ready holds at the time of Prometheus' latest
// successful scrape of the exporter, and returns that time. ready sees
// each scrape once. What a query at that time returns never changes:
// Prometheus commits a scrape's samples together with its up and adds no
// sample older than its latest scrape, and a failed scrape (a collection
// late on a loaded machine) marks every series stale from its own time
// on, which a query at "now" would see as no series at all.
func scaleScrape(t *testing.T, prom promAPI, deadline time.Time, ready func(at time.Time) error) time.Time {
	t.Helper()
	expr := fmt.Sprintf("timestamp(up{job=%[1]q}) and up{job=%[1]q} == 1", jobName)
	var at time.Time
	var notReady error
	stdkit.Until(t, deadline, "a scrape with all the test reads", func() error {
		samples, err := prom.query(expr)
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		if len(samples) != 1 || len(samples[0].Value) != 2 {
			return fmt.Errorf("the latest scrape failed, or none happened yet: %s returns %v", expr, samples)
		}
		v, _ := samples[0].Value[1].(string)
		seconds, err := strconv.ParseFloat(v, 64)
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		latest := time.UnixMilli(int64(math.Round(seconds * 1000)))
		if latest.Equal(at) {
			return notReady // no new scrape since
		}
		at = latest
		notReady = ready(at)
		return notReady
	})
	return at
}

// scaleCount says whether expr has want series at the moment at.
func scaleCount(t *testing.T, prom promAPI, at time.Time, expr string, want int) error {
	t.Helper()
	samples, err := prom.queryAt(expr, at)
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	if len(samples) != want {
		return fmt.Errorf("%s: %d series, want %d", expr, len(samples), want)
	}
	return nil
}
