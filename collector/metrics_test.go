package collector

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/client_golang/prometheus/testutil/promlint"

	"github.com/codearts-check-exporter/codearts_check_exporter/config"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/simulator"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit"
)

// Series come out sorted by task ID whatever order the tasks are listed
// and queried in, each task's labels are its own, and the answer parses.
func TestTaskSeriesSortedByID(t *testing.T) {
	sim := simulator.New(simulator.Options{})
	ids := []string{"c3", "a1", "b2", "e5", "d4"}
	for i, id := range ids {
		sim.SetTask(simulator.Task{ID: id, Status: simulator.IntPtr(i % 4), Ratio: simulator.StrPtr("50%")})
	}
	env := newTestEnv(t, sim, []string{"unused"}, nil)
	var tasks []config.Task
	for _, id := range ids {
		tasks = append(tasks, config.Task{ID: id, Name: "name-" + id, ProjectID: "p-" + id, GitBranch: "b-" + id})
	}
	env.coll.tasks = testkit.NewTaskList(tasks...) // before the first scrape: nothing reads it yet

	res := env.scrape(0)
	for _, name := range []string{"codearts_check_task_info", "codearts_check_task_query_success",
		"codearts_check_task_query_duration_seconds", "codearts_check_task_status",
		"codearts_check_task_progress_ratio", "codearts_check_task_last_success_timestamp_seconds"} {
		var got []string
		for _, m := range res.families[name].GetMetric() {
			for _, lp := range m.GetLabel() {
				if lp.GetName() == "task_id" {
					got = append(got, lp.GetValue())
				}
			}
		}
		if want := slices.Sorted(slices.Values(ids)); !slices.Equal(got, want) {
			t.Errorf("%s: task_id order %v, want %v", name, got, want)
		}
	}
	for i, id := range ids {
		res.mustValue("codearts_check_task_info", "task_id", id, "task_name", "name-"+id, "project_id", "p-"+id, "git_branch", "b-"+id)
		if got := res.mustValue("codearts_check_task_status", "task_id", id); got != float64(i%4) {
			t.Errorf("task_status{task_id=%q} = %v, want %d", id, got, i%4)
		}
	}
}

// A name that is not UTF-8 is repaired rather than written as it is, and
// the answer stays whole.
func TestBadNameRepaired(t *testing.T) {
	sim := simulator.New(simulator.Options{})
	for _, id := range []string{"a1", "b2"} {
		sim.SetTask(simulator.Task{ID: id, Status: simulator.IntPtr(2)})
	}
	env := newTestEnv(t, sim, []string{"unused"}, nil)
	env.coll.tasks = testkit.NewTaskList(config.Task{ID: "b2", Name: "bad\xffname"}, config.Task{ID: "a1"})
	var logs testkit.Buffer
	logged := httptest.NewServer(Handler(env.coll, prometheus.NewRegistry(), slog.New(slog.NewTextHandler(&logs, nil)), HandlerOpts{}))
	t.Cleanup(logged.Close)

	body := getOK(t, logged.URL+"/metrics")
	text := body
	if n := strings.Count(text, "codearts_check_task_status{"); n != 2 {
		t.Errorf("%d task_status series, want 2 (one per task):\n%s", n, text)
	}
	if !strings.Contains(text, `task_name="bad`+"\uFFFD"+`name"`) {
		t.Errorf("task_name not repaired to valid UTF-8:\n%s", text)
	}
	if logs.String() != "" {
		t.Errorf("errors logged:\n%s", logs.String())
	}
	res := env.scrape(0)
	if got := res.mustValue("codearts_check_up"); got != 1 {
		t.Errorf("up = %v, want 1", got)
	}
}

// /metrics, scraped over HTTP, passes promlint and serves the configured
// tasks' series with their help texts, next to the API counters.
func TestMetricsLintAndCompare(t *testing.T) {
	sim := simulator.New(simulator.Options{})
	sim.SetTask(simulator.Task{ID: "a1", Status: simulator.IntPtr(1), Ratio: simulator.StrPtr("50%")})
	sim.SetTask(simulator.Task{ID: "b2", Status: simulator.IntPtr(2)})
	env := newTestEnv(t, sim, []string{"a1", "b2"}, nil)
	env.cfg.Tasks[1].Name = "second"

	// Three task families with a series per task, three with a series
	// per answered task but progress_ratio, whose b2 is null; up and
	// scrape_duration_seconds; collection_tasks by progress and by
	// listing; and each task's report, first seen and complete: four
	// severities, three statuses, seven other series; the checks of
	// each task by its four results, and the histogram of check
	// durations (one family, no observation yet).
	res := env.scrape(0)
	count := 0
	for name, mf := range res.families {
		if strings.HasPrefix(name, "codearts_check_") && !strings.HasPrefix(name, "codearts_check_api_") {
			count += len(mf.GetMetric())
		}
	}
	if want := 3*2 + 2*2 + 1 + 2 + 2 + 2*(4+3+7) + 2*4 + 1; count != want {
		t.Errorf("%d series, want %d", count, want)
	}
	resp, err := http.Get(env.exporter.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	problems, err := promlint.New(resp.Body).Lint()
	resp.Body.Close()
	if err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", problems, err)
	}
	want := `# HELP codearts_check_task_info ` + taskInfoHelp + `
# TYPE codearts_check_task_info gauge
codearts_check_task_info{git_branch="",project_id="",task_id="a1",task_name=""} 1
codearts_check_task_info{git_branch="",project_id="",task_id="b2",task_name="second"} 1
# HELP codearts_check_task_progress_ratio ` + taskRatioHelp + `
# TYPE codearts_check_task_progress_ratio gauge
codearts_check_task_progress_ratio{task_id="a1"} 0.5
# HELP codearts_check_task_status ` + taskStatusHelp + `
# TYPE codearts_check_task_status gauge
codearts_check_task_status{task_id="a1"} 1
codearts_check_task_status{task_id="b2"} 2
# HELP codearts_check_up ` + upHelp + `
# TYPE codearts_check_up gauge
codearts_check_up 1
`
	if err := testutil.ScrapeAndCompare(env.exporter.URL+"/metrics", strings.NewReader(want), "codearts_check_task_info",
		"codearts_check_task_progress_ratio", "codearts_check_task_status", "codearts_check_up"); err != nil {
		t.Error(err)
	}
	res = env.scrape(0)
	if n := len(res.families["codearts_check_task_query_success"].GetMetric()); n != 2 {
		t.Errorf("%d task_query_success series, want 2", n)
	}
	res.mustValue("codearts_check_api_requests_total", "endpoint", "progress", "status_class", "2xx")
}
