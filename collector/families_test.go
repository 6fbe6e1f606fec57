package collector

import (
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/codearts-check-exporter/codearts_check_exporter/config"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/simulator"
)

// listSource is a TaskSource serving a fixed list, duplicates and all.
type listSource []config.Task

func (l listSource) Tasks(*config.Config) []config.Task { return l }

// Series come out sorted by task ID whatever order the tasks are listed
// and queried in, each task's labels are its own, and the answer parses.
func TestTaskSeriesSortedByID(t *testing.T) {
	sim := simulator.New(simulator.Options{})
	ids := []string{"c3", "a1", "b2", "e5", "d4"}
	for i, id := range ids {
		sim.SetTask(simulator.Task{ID: id, Status: simulator.IntPtr(i % 4), Ratio: simulator.StrPtr("50%")})
	}
	env := newTestEnv(t, sim, []string{"unused"}, nil)
	var tasks listSource
	for _, id := range ids {
		tasks = append(tasks, config.Task{ID: id, Name: "name-" + id, ProjectID: "p-" + id, GitBranch: "b-" + id})
	}
	env.coll.tasks = tasks // before the first scrape: nothing reads it yet

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

// A task listed twice gets one set of series, not a broken answer, as a
// registry would have had it; a name that is not UTF-8 is repaired rather
// than written as it is.
func TestTaskListedTwiceAndBadName(t *testing.T) {
	sim := simulator.New(simulator.Options{})
	for _, id := range []string{"a1", "b2"} {
		sim.SetTask(simulator.Task{ID: id, Status: simulator.IntPtr(2)})
	}
	env := newTestEnv(t, sim, []string{"unused"}, nil)
	env.coll.tasks = listSource{{ID: "b2", Name: "bad\xffname"}, {ID: "a1"}, {ID: "b2", Name: "again"}}

	resp, err := http.Get(env.exporter.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("HTTP %d, %v", resp.StatusCode, err)
	}
	text := string(body)
	if n := strings.Count(text, "codearts_check_task_status{"); n != 2 {
		t.Errorf("%d task_status series, want 2 (one per task):\n%s", n, text)
	}
	if !strings.Contains(text, `task_name="bad`+"\uFFFD"+`name"`) {
		t.Errorf("task_name not repaired to valid UTF-8:\n%s", text)
	}
	if strings.Contains(text, `task_name="again"`) {
		t.Errorf("the second entry of b2 is exported:\n%s", text)
	}
	res := env.scrape(0)
	if got := res.mustValue("codearts_check_up"); got != 1 {
		t.Errorf("up = %v, want 1", got)
	}
}
