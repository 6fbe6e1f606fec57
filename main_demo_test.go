package main

import (
	"strings"
	"testing"
	"time"

	"github.com/codearts-check-exporter/codearts_check_exporter/internal/simulator"
)

// --demo shows what a newcomer needs to see every metric move: its project
// is discovered (discovery metrics, task_info's project_id and git_branch)
// and search-service's calls fail now and then (api_errors_total by code),
// while its queries still succeed thanks to the retry; the deleted
// retired-batch always fails, so the last error has data.
func TestDemoDiscoversAndShowsAPIErrors(t *testing.T) {
	e := startExporter(t, "--demo")
	project := simulator.DemoProjectID
	names := simulator.DemoTaskNames()
	want := []string{
		`codearts_check_discovered_tasks{project_id="` + project + `"} 8`,
		`codearts_check_discovery_last_success_timestamp_seconds{project_id="` + project + `"}`,
		`codearts_check_api_errors_total{error_code="CC.00050012"}`,
	}
	deleted := simulator.DemoDeletedTaskID
	for _, id := range simulator.DemoTaskIDs() {
		if id != deleted {
			want = append(want, `project_id="`+project+`",task_id="`+id+`",task_name="`+names[id]+`"} 1`)
		}
	}
	// The deleted task is not listed, so discovery adds nothing to it.
	want = append(want,
		`codearts_check_task_info{git_branch="",project_id="",task_id="`+deleted+`",task_name="retired-batch"} 1`,
		`codearts_check_task_last_error_info{error_code="CC.00050014",task_id="`+deleted+`"} 1`)
	// Discovery lists in the background, and the flaky task fails on every
	// 4th of its requests: a few scrapes show both.
	var body string
	for deadline := time.Now().Add(30 * time.Second); ; {
		body = e.scrape(t)
		missing := ""
		for _, w := range want {
			if !strings.Contains(body, w) {
				missing = w
				break
			}
		}
		if missing == "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 30s of scrapes /metrics still lacks %s:\n%s", missing, body)
		}
		time.Sleep(20 * time.Millisecond) // a polling interval, not a wait for an event
	}
	if strings.Count(body, `git_branch=""`) != 1 {
		t.Errorf("a demo task but the deleted one has no git_branch:\n%s", body)
	}
	if v, ok := metricValue(body, taskSeries("codearts_check_task_query_success", deleted)); !ok || v != 0 {
		t.Errorf("retired-batch: query_success %v (found %v), want 0: it was deleted", v, ok)
	}
	for _, id := range simulator.DemoTaskIDs() {
		if id == deleted {
			continue
		}
		if v, ok := metricValue(body, taskSeries("codearts_check_task_query_success", id)); !ok || v != 1 {
			t.Errorf("%s: query_success %v (found %v), want 1: the flaky task's errors are retried", names[id], v, ok)
		}
	}
}
