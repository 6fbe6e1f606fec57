package codearts

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/codearts-check-exporter/codearts_check_exporter/internal/api"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/auth"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/simulator"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit"
)

// loggedClient is a Client on sim, over loopback, logging at debug level
// into the returned buffer; limit, when not nil, is its rate limit.
func loggedClient(t *testing.T, sim *simulator.Server, limit *api.RateLimit) (*Client, *testkit.Buffer) {
	t.Helper()
	ts := testkit.Simulator(t, sim)
	caller := &api.Caller{Client: &http.Client{Transport: &http.Transport{}}, Limit: limit}
	t.Cleanup(caller.Client.CloseIdleConnections)
	iam := auth.NewIAM(*testkit.IAM(ts.URL), caller, slog.New(slog.NewTextHandler(io.Discard, nil)))
	t.Cleanup(iam.Close)
	logs := &testkit.Buffer{}
	client, err := NewClient(ts.URL, caller, iam,
		WithLogger(slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	if err != nil {
		t.Fatal(err)
	}
	return client, logs
}

// failedLines returns the "API call failed" lines of logs.
func failedLines(logs *testkit.Buffer) []string {
	var lines []string
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Contains(line, `msg="API call failed"`) {
			lines = append(lines, line)
		}
	}
	return lines
}

// wantLines fails the test unless there are n lines, each holding every
// one of want.
func wantLines(t *testing.T, lines []string, n int, want ...string) {
	t.Helper()
	if len(lines) != n {
		t.Errorf("%d failed-call lines, want %d:\n%s", len(lines), n, strings.Join(lines, "\n"))
	}
	for _, line := range lines {
		for _, w := range want {
			if !strings.Contains(line, w) {
				t.Errorf("failed-call line without %s: %s", w, line)
			}
		}
	}
}

// Every call path logs its failed attempts, each once, with what the call
// was for: the task of a report call, the project of a task list page,
// whose retries (withRetries) are attempts of their own.
func TestFailedCallsLogged(t *testing.T) {
	setRetryTiming(t, time.Millisecond)
	ctx := context.Background()
	t.Run("report", func(t *testing.T) {
		sim := simulator.New(simulator.Options{})
		sim.SetTask(okTask())
		sim.SetReportFault(retryTask, simulator.Fault{Kind: simulator.FaultNoPermission})
		client, logs := loggedClient(t, sim, nil)
		if _, err := client.DefectsStatistic(ctx, retryTask); api.Code(err) != "CC.00050010" {
			t.Fatalf("defects statistic: %v, want CC.00050010", err)
		}
		wantLines(t, failedLines(logs), 1, "level=DEBUG", "task_id="+retryTask, "endpoint="+EndpointDefectsStatistic,
			"http_status=200", "error_code=CC.00050010")
	})
	t.Run("task list", func(t *testing.T) {
		const project = "feedfacefeedfacefeedfacefeedface"
		sim := simulator.New(simulator.Options{})
		sim.AddProject(project)
		sim.SetTaskListFault(project, simulator.Fault{Kind: simulator.FaultBusy})
		client, logs := loggedClient(t, sim, nil)
		if _, err := client.TaskList(ctx, project, 0, MaxTaskListLimit); api.Code(err) != "CC.00000000" {
			t.Fatalf("task list: %v, want CC.00000000", err)
		}
		if n := sim.TaskListRequests(project); n != MaxAttempts() {
			t.Fatalf("%d task list requests, want %d", n, MaxAttempts())
		}
		wantLines(t, failedLines(logs), MaxAttempts(), "project_id="+project, "endpoint=task_list",
			"http_status=400", "error_code=CC.00000000")
	})
}

// A call the API refuses with 401 is made once more with a fresh token:
// the refused attempt is logged, and the second only if it fails too.
func TestRefusedAttemptLoggedOnce(t *testing.T) {
	ctx := context.Background()
	for _, times := range []int{1, 0} {
		sim := simulator.New(simulator.Options{})
		sim.SetTask(okTask())
		sim.SetFault(retryTask, simulator.Fault{Kind: simulator.FaultTokenExpired, Times: times})
		client, logs := loggedClient(t, sim, nil)
		_, err := client.Progress(ctx, retryTask, "")
		attempts := sim.TaskRequests(retryTask)
		failed := attempts
		if err == nil {
			failed--
		}
		if attempts != 2 || failed != 2-times {
			t.Fatalf("fault for %d requests: %d attempts, %v; want 2 attempts, %d failed", times, attempts, err, 2-times)
		}
		wantLines(t, failedLines(logs), failed, "task_id="+retryTask, "endpoint=progress", "http_status=401",
			"error_code=CC.00000003")
	}
}

// A call the budget did not send is not a failed call: nothing is logged.
func TestCallOverTheRateLimitNotLogged(t *testing.T) {
	sim := simulator.New(simulator.Options{})
	sim.SetTask(okTask())
	// One call an hour: the IAM token request takes it.
	client, logs := loggedClient(t, sim, hourly())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := client.Progress(ctx, retryTask, ""); api.Code(err) != api.CodeBudget {
		t.Fatalf("progress: %v, want %s", err, api.CodeBudget)
	}
	if sim.IAMRequests() != 1 {
		t.Fatalf("%d IAM requests, want the one the budget allowed", sim.IAMRequests())
	}
	if logs.String() != "" {
		t.Errorf("logged:\n%s", logs)
	}
}

// A client without WithLogger fails a call as one with it does: the
// failure path copes with no logger.
func TestFailedCallWithoutLogger(t *testing.T) {
	sim := simulator.New(simulator.Options{})
	sim.SetTask(okTask())
	sim.SetFault(retryTask, simulator.Fault{Kind: simulator.FaultBusy})
	e := newRetryEnvFor(t, sim)
	if _, err := e.client.Progress(context.Background(), retryTask, ""); api.Code(err) != "CC.00000000" {
		t.Fatalf("progress: %v, want CC.00000000", err)
	}
}

// hourly is a rate limit of one call an hour.
func hourly() *api.RateLimit {
	l := api.NewRateLimit()
	l.SetMax(1.0 / 3600)
	return l
}
