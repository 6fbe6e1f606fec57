package discovery

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"go.uber.org/goleak"

	"github.com/codearts-check-exporter/codearts_check_exporter/collector"
	"github.com/codearts-check-exporter/codearts_check_exporter/config"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/api"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/clientcache"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/simulator"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit/stdkit"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const (
	projectA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	projectB = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	testAK   = "AKDISCOVERY000000001"
	testSK   = "sk-discovery-secret"
)

// env is the exporter's real stack (handler, collector, discoverer, client,
// AK/SK signing) in front of a simulator, over loopback HTTP.
type env struct {
	t        *testing.T
	sim      *simulator.Server
	sc       *config.SafeConfig
	clients  *clientcache.Cache
	disc     *Discoverer
	coll     *collector.Scraper
	metrics  *api.Metrics
	exporter *httptest.Server
}

// newEnv serves a simulator whose project A holds n tasks a-0000, a-0001,
// ... named web-0, web-1, ...; edit may change the configuration (which
// lists project A) before validation.
func newEnv(t *testing.T, n int, edit func(*config.Config)) *env {
	t.Helper()
	sim := simulator.New(simulator.Options{})
	api1 := testkit.Simulator(t, sim)
	sim.AddAccessKey(simulator.AccessKey{ID: testAK, Secret: testSK, ProjectID: simulator.DefaultProjectID})
	sim.AddProject(projectA)
	for i := range n {
		sim.SetTask(simulator.Task{ID: fmt.Sprintf("a-%04d", i), Name: fmt.Sprintf("web-%d", i), ProjectID: projectA,
			GitBranch: "main", Status: simulator.IntPtr(2)})
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	e := &env{t: t, sim: sim, metrics: api.NewMetrics()}
	e.sc = config.NewSafeConfig(prometheus.NewRegistry())
	e.clients = clientcache.New(e.metrics, logger)
	e.setConfig(func(c *config.Config) {
		c.Endpoint = api1.URL
		if edit != nil {
			edit(c)
		}
	})
	// As in main: the discoverer and the collector share the configuration
	// in force and the client cache, and the discoverer is the collector's
	// task source.
	e.disc = New(e.sc.Get, e.clients, logger)
	coll := collector.New(e.sc.Get, e.clients, e.disc, e.disc, e.metrics, logger)
	e.coll = coll
	static := prometheus.NewRegistry()
	static.MustRegister(e.metrics, e.disc)
	e.exporter = httptest.NewServer(collector.Handler(coll, static, logger, collector.HandlerOpts{}))
	t.Cleanup(func() {
		e.exporter.Close()
		coll.Close()
		e.clients.Close()
	})
	return e
}

// setConfig validates and puts in force a configuration made from the
// default one (project A, AK/SK) by edit.
func (e *env) setConfig(edit func(*config.Config)) {
	e.t.Helper()
	c := &config.Config{
		Auth: config.Auth{AKSK: &config.AKSK{
			AccessKey: testAK, SecretKey: testSK, ProjectID: simulator.DefaultProjectID,
		}},
		Discovery: &config.Discovery{Projects: []string{projectA}},
		Timeout:   model.Duration(10 * time.Second),
	}
	if prev := e.sc.Get(); prev != nil {
		c.Endpoint = prev.Endpoint
	}
	edit(c)
	if err := c.Validate(); err != nil {
		e.t.Fatalf("test config: %v", err)
	}
	e.sc.Set(c)
	if _, err := e.clients.For(c); err != nil {
		e.t.Fatalf("test client: %v", err)
	}
}

func (e *env) taskIDs() []string {
	var ids []string
	for _, task := range e.disc.Tasks(e.sc.Get()) {
		ids = append(ids, task.ID)
	}
	return ids
}

// scrape GETs /metrics and parses it.
func (e *env) scrape() map[string]*dto.MetricFamily {
	e.t.Helper()
	resp, err := http.Get(e.exporter.URL + "/metrics")
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return families
}

// series returns the label sets (name=value, sorted, comma-joined) of a
// family with their values.
func series(families map[string]*dto.MetricFamily, name string) map[string]float64 {
	out := map[string]float64{}
	mf := families[name]
	if mf == nil {
		return out
	}
	for _, m := range mf.GetMetric() {
		var labels []string
		for _, l := range m.GetLabel() {
			labels = append(labels, l.GetName()+"="+l.GetValue())
		}
		sort.Strings(labels)
		v := m.GetGauge().GetValue() + m.GetCounter().GetValue() + m.GetUntyped().GetValue()
		out[strings.Join(labels, ",")] = v
	}
	return out
}

func TestPagingUnderEveryReadingOfOffset(t *testing.T) {
	for _, c := range []struct {
		name        string
		mode        simulator.OffsetMode
		tasks       int
		maxRequests int
	}{
		{"pages from 0", simulator.OffsetPage0, 250, 3},
		{"pages from 1", simulator.OffsetPage1, 250, 4},
		{"item offset", simulator.OffsetItems, 250, 4},
		{"pages from 0, exact pages", simulator.OffsetPage0, 300, 3},
		{"item offset, exact pages", simulator.OffsetItems, 300, 4},
		{"one page", simulator.OffsetItems, 100, 1},
		{"empty project", simulator.OffsetPage1, 0, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, c.tasks, nil)
			e.sim.SetOffsetMode(c.mode)
			e.disc.Refresh(context.Background())
			ids := e.taskIDs()
			if len(ids) != c.tasks {
				t.Fatalf("discovered %d tasks, want %d", len(ids), c.tasks)
			}
			for i, id := range ids {
				if want := fmt.Sprintf("a-%04d", i); id != want {
					t.Fatalf("task %d is %s, want %s (listing order, no duplicates)", i, id, want)
				}
			}
			if got := e.sim.TaskListRequests(projectA); got > c.maxRequests {
				t.Errorf("%d list requests, want at most %d", got, c.maxRequests)
			}
		})
	}
}

func TestIncludeExcludeAndMetrics(t *testing.T) {
	e := newEnv(t, 12, func(c *config.Config) {
		c.Discovery.Include = "web-1.*" // web-1, web-10, web-11
		c.Discovery.Exclude = "web-11"  // anchored: web-11 only
	})
	e.disc.Refresh(context.Background())
	if got := strings.Join(e.taskIDs(), " "); got != "a-0001 a-0010" {
		t.Errorf("tasks = %s, want a-0001 a-0010", got)
	}
	f := e.scrape()
	if got := series(f, "codearts_check_discovered_tasks"); got["project_id="+projectA] != 2 {
		t.Errorf("codearts_check_discovered_tasks = %v, want 2", got)
	}
	if got := series(f, "codearts_check_discovery_last_success_timestamp_seconds")["project_id="+projectA]; got < float64(time.Now().Add(-time.Hour).Unix()) {
		t.Errorf("last success timestamp = %v, want about now", got)
	}
	info := series(f, "codearts_check_task_info")
	want := "git_branch=main,project_id=" + projectA + ",task_id=a-0010,task_name=web-10"
	if _, ok := info[want]; !ok || len(info) != 2 {
		t.Errorf("task_info = %v, want 2 series including {%s}", info, want)
	}
}

// Static entries win: a discovered task that is also configured keeps its
// configured name and job_id, gains project and branch, and appears once.
func TestStaticTasksWin(t *testing.T) {
	e := newEnv(t, 3, func(c *config.Config) {
		c.Tasks = []config.Task{{ID: "a-0001", Name: "configured", JobID: "job-7"}, {ID: "static-only"}}
	})
	e.sim.SetTask(simulator.Task{ID: "static-only", Status: simulator.IntPtr(0)})
	e.disc.Refresh(context.Background())
	tasks := e.disc.Tasks(e.sc.Get())
	if len(tasks) != 4 {
		t.Fatalf("tasks = %+v, want 4", tasks)
	}
	if got := tasks[0]; got != (config.Task{ID: "a-0001", Name: "configured", JobID: "job-7", ProjectID: projectA, GitBranch: "main"}) {
		t.Errorf("configured task = %+v", got)
	}
	if e.sc.Get().Tasks[0].ProjectID != "" {
		t.Error("Tasks changed the configuration in force")
	}
	f := e.scrape()
	info := series(f, "codearts_check_task_info")
	for _, want := range []string{
		"git_branch=main,project_id=" + projectA + ",task_id=a-0001,task_name=configured",
		"git_branch=,project_id=,task_id=static-only,task_name=",
	} {
		if _, ok := info[want]; !ok {
			t.Errorf("missing task_info{%s} in %v", want, info)
		}
	}
	if n := len(series(f, "codearts_check_task_status")); n != 4 {
		t.Errorf("%d task_status series, want 4 (no duplicates)", n)
	}
	if got := e.sim.LastQuery("a-0001").Get("job_id"); got != "job-7" {
		t.Errorf("configured job_id not used: %q", got)
	}
}

// A failing refresh keeps the last good list and is counted; a listing
// that fails half-way is not taken as a shorter list.
func TestFailedRefreshKeepsLastGoodList(t *testing.T) {
	e := newEnv(t, 150, nil)
	e.disc.Refresh(context.Background())
	before := series(e.scrape(), "codearts_check_discovery_last_success_timestamp_seconds")

	e.sim.RemoveProject(projectA)
	e.disc.Refresh(context.Background())
	if n := len(e.taskIDs()); n != 150 {
		t.Fatalf("after CC.00050013: %d tasks, want the last good 150", n)
	}
	e.sim.AddProject(projectA)
	e.sim.SetTaskListFault(projectA, simulator.Fault{Kind: simulator.FaultInvalidJSON})
	e.disc.Refresh(context.Background())
	if n := len(e.taskIDs()); n != 150 {
		t.Fatalf("after an invalid answer: %d tasks, want the last good 150", n)
	}

	f := e.scrape()
	errs := series(f, "codearts_check_api_errors_total")
	if errs["error_code=CC.00050013"] != 1 || errs["error_code=invalid_response"] != 1 {
		t.Errorf("api errors = %v, want CC.00050013 and invalid_response once each", errs)
	}
	if got := series(f, "codearts_check_discovery_last_success_timestamp_seconds"); got["project_id="+projectA] != before["project_id="+projectA] {
		t.Errorf("last success moved on failed refreshes: %v -> %v", before, got)
	}
	if got := series(f, "codearts_check_discovered_tasks")["project_id="+projectA]; got != 150 {
		t.Errorf("discovered_tasks = %v, want 150", got)
	}
}

// A project that never listed shows 0 for both gauges.
func TestUnknownProjectFromTheStart(t *testing.T) {
	e := newEnv(t, 1, func(c *config.Config) { c.Discovery.Projects = []string{projectA, projectB} })
	e.disc.Refresh(context.Background())
	f := e.scrape()
	if got := series(f, "codearts_check_discovery_last_success_timestamp_seconds"); got["project_id="+projectB] != 0 || got["project_id="+projectA] == 0 {
		t.Errorf("last success = %v, want 0 for B only", got)
	}
	if got := series(f, "codearts_check_discovered_tasks"); got["project_id="+projectB] != 0 || got["project_id="+projectA] != 1 {
		t.Errorf("discovered_tasks = %v", got)
	}
	if got := series(f, "codearts_check_api_errors_total")["error_code=CC.00050013"]; got != 1 {
		t.Errorf("CC.00050013 counted %v times, want 1", got)
	}
}

// A task that leaves the list leaves the metrics.
func TestTaskDisappearsWithItsSeries(t *testing.T) {
	e := newEnv(t, 3, nil)
	e.disc.Refresh(context.Background())
	f := e.scrape()
	if _, ok := series(f, "codearts_check_task_status")["task_id=a-0001"]; !ok {
		t.Fatal("a-0001 not scraped after discovery")
	}

	e.sim.RemoveTask("a-0001")
	e.disc.Refresh(context.Background())
	f = e.scrape()
	for name, mf := range f {
		for _, m := range mf.GetMetric() {
			if testkit.HasLabels(m, "task_id", "a-0001") {
				t.Errorf("%s still has a series for the removed task", name)
			}
		}
	}
	if n := len(series(f, "codearts_check_task_status")); n != 2 {
		t.Errorf("%d task_status series, want 2", n)
	}
}

// Listed IDs that could not be configured are not queried.
func TestUnusableListedIDsAreIgnored(t *testing.T) {
	e := newEnv(t, 1, nil)
	e.sim.SetTask(simulator.Task{ID: "../admin", Name: "evil", ProjectID: projectA})
	e.sim.SetTask(simulator.Task{ID: strings.Repeat("f", 33), Name: "long", ProjectID: projectA})
	e.disc.Refresh(context.Background())
	if got := strings.Join(e.taskIDs(), " "); got != "a-0000" {
		t.Errorf("tasks = %q, want a-0000 only", got)
	}
}

// Without discovery, the static tasks are all there is, and no discovery
// series are exported.
func TestNoDiscovery(t *testing.T) {
	e := newEnv(t, 2, func(c *config.Config) {
		c.Discovery = nil
		c.Tasks = []config.Task{{ID: "a-0000"}}
	})
	e.disc.Refresh(context.Background())
	if got := strings.Join(e.taskIDs(), " "); got != "a-0000" {
		t.Errorf("tasks = %q", got)
	}
	if e.sim.TaskListRequests(projectA) != 0 {
		t.Error("listed without discovery configured")
	}
	if f := e.scrape(); f["codearts_check_discovered_tasks"] != nil {
		t.Error("discovery series without discovery")
	}
}

// Run lists at once, lists again on Reload (following the new projects),
// and stops with its context.
func TestRunListsAtStartAndOnReload(t *testing.T) {
	e := newEnv(t, 2, func(c *config.Config) { c.Discovery.RefreshInterval = model.Duration(time.Hour) })
	e.sim.AddProject(projectB)
	e.sim.SetTask(simulator.Task{ID: "b-0000", Name: "other", ProjectID: projectB, Status: simulator.IntPtr(1)})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.disc.Run(ctx)
	}()
	stdkit.WaitFor(t, "the first listing", func() bool { return len(e.taskIDs()) == 2 })

	e.setConfig(func(c *config.Config) {
		c.Discovery.Projects = []string{projectA, projectB}
		c.Discovery.RefreshInterval = model.Duration(time.Hour)
	})
	e.disc.Reload()
	stdkit.WaitFor(t, "project B after the reload", func() bool { return len(e.taskIDs()) == 3 })
	if got := e.sim.TaskListRequests(projectA); got != 2 {
		t.Errorf("project A listed %d times, want 2 (start, reload)", got)
	}
	cancel()
	<-done
}

// Run refreshes on refresh_interval.
func TestRunRefreshesOnInterval(t *testing.T) {
	e := newEnv(t, 1, nil)
	// Far below the minimum a file may set (config.MinRefreshInterval), to
	// keep the test short: set after validation, before Run reads it.
	e.sc.Get().Discovery.RefreshInterval = model.Duration(10 * time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.disc.Run(ctx)
	}()
	stdkit.WaitFor(t, "three listings", func() bool { return e.sim.TaskListRequests(projectA) >= 3 })
	cancel()
	<-done
}

// A project whose listing fails at start is listed again soon, not at the
// next refresh_interval: until it is, its tasks are not queried at all.
// The retry lists only the project that failed.
func TestRunRetriesAFailedListingSoon(t *testing.T) {
	e := newEnv(t, 2, func(c *config.Config) {
		c.Discovery.Projects = []string{projectA, projectB}
		c.Discovery.RefreshInterval = model.Duration(time.Hour)
	})
	e.sim.AddProject(projectB)
	e.sim.SetTask(simulator.Task{ID: "b-0000", Name: "other", ProjectID: projectB, Status: simulator.IntPtr(1)})
	e.sim.SetTaskListFault(projectB, simulator.Fault{Kind: simulator.FaultInvalidJSON, Times: 2})
	e.disc.retryMin = 20 * time.Millisecond // the binary waits config.MinRefreshInterval
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.disc.Run(ctx)
	}()
	stdkit.WaitFor(t, "project B once its listing recovers", func() bool { return len(e.taskIDs()) == 3 })
	if got := e.sim.TaskListRequests(projectB); got != 3 {
		t.Errorf("project B listed %d times, want 3 (two failures, then the answer)", got)
	}
	if got := e.sim.TaskListRequests(projectA); got != 1 {
		t.Errorf("project A listed %d times, want 1: the retries are for the project that failed", got)
	}
	cancel()
	<-done
}
