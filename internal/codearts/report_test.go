package codearts

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/codearts-check-exporter/codearts_check_exporter/internal/api"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/simulator"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit"
)

var simReport = simulator.Report{
	Critical: 1, Major: 2, Minor: 3, Suggestion: 4,
	Unresolved: 10, Resolved: 5, Dismissed: 1,
	CheckStart:       time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC),
	CheckEnd:         time.Date(2026, 2, 3, 4, 6, 11, 0, time.UTC),
	CodeLines:        55777,
	CodeLinesTotal:   63371,
	DuplicationRatio: "3.25%",
	CommentRatio:     "12.5%",
	IsAccess:         "0",
}

// readReport makes both report calls as the collector does, the statistic
// first; the first failure ends it.
func readReport(c *Client, taskID string) (Report, error) {
	st, err := c.DefectsStatistic(context.Background(), taskID)
	if err != nil {
		return Report{}, fmt.Errorf("defects statistic: %w", err)
	}
	sum, err := c.DefectsSummary(context.Background(), taskID)
	if err != nil {
		return Report{}, fmt.Errorf("defects summary: %w", err)
	}
	return Report{Statistic: st, Summary: sum}, nil
}

// The client reads the same report from both summary shapes, over HTTP
// with an IAM token, and counts each call under its endpoint.
func TestReportBothShapes(t *testing.T) {
	e := newRetryEnv(t)
	e.sim.SetTask(simulator.Task{ID: retryTask, Name: "web", GitBranch: "main", Status: simulator.IntPtr(2)})
	e.sim.SetReport(retryTask, simReport)
	want := Report{
		Statistic: DefectsStatistic{
			Severity:       map[string]int64{"critical": 1, "major": 2, "minor": 3, "suggestion": 4},
			Status:         map[string]int64{"unresolved": 10, "resolved": 5, "dismissed": 1},
			LastCheckStart: simReport.CheckStart,
			LastCheckEnd:   simReport.CheckEnd,
		},
		Summary: DefectsSummary{TaskName: "web", GitBranch: "main", CodeLines: 55777, HasCodeLines: true,
			DuplicationRatio: 0.0325, HasDuplicationRatio: true, CommentRatio: 0.125, HasCommentRatio: true,
			HasQualityGate: true, LastCheckTime: simReport.CheckStart},
	}
	for _, shape := range []simulator.SummaryShape{simulator.SummarySchema, simulator.SummaryExample} {
		e.sim.SetSummaryShape(shape)
		got, err := readReport(e.client, retryTask)
		if err != nil {
			t.Fatalf("shape %d: %v", shape, err)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) || !sameSummary(got.Summary, want.Summary) {
			t.Errorf("shape %d:\ngot  %+v\nwant %+v", shape, got, want)
		}
	}
	for _, endpoint := range []string{EndpointDefectsStatistic, EndpointDefectsSummary} {
		if got := testkit.Counter(t, e.metrics, "codearts_check_api_requests_total", "endpoint", endpoint, "status_class", "2xx"); got != 2 {
			t.Errorf("%s 2xx requests = %v, want 2", endpoint, got)
		}
	}
	if got := e.sim.ReportRequests(retryTask); got != 4 {
		t.Errorf("simulator saw %d report calls, want 4", got)
	}
}

// The statistic's query (time_info_switch) is signed with AK/SK and the
// gateway accepts the signature; without the times the statistic would
// have no check start and end.
func TestDefectsStatisticSigned(t *testing.T) {
	client, sim, _ := newListClient(t, 1)
	sim.SetTask(simulator.Task{ID: "t000", ProjectID: listProject, Status: simulator.IntPtr(2)})
	st, err := client.DefectsStatistic(context.Background(), "t000")
	if err != nil {
		t.Fatal(err)
	}
	if sim.SignatureFailures() != 0 || sim.SignedRequests() != 1 {
		t.Errorf("signed %d, refused %d; want 1, 0", sim.SignedRequests(), sim.SignatureFailures())
	}
	rep, _ := sim.Report("t000")
	if st.LastCheckEnd.IsZero() || !st.LastCheckEnd.Equal(rep.CheckEnd) {
		t.Errorf("check end %v, want the simulator's %v", st.LastCheckEnd, rep.CheckEnd)
	}
	if st.Severity["critical"] != int64(rep.Critical) {
		t.Errorf("critical %d, want %d", st.Severity["critical"], rep.Critical)
	}
}

// A report refused for lack of permission, either way the API says it, is
// recognised as such, not retried, and counted once under its code.
func TestReportRefused(t *testing.T) {
	setRetryTiming(t, time.Millisecond)
	for _, tc := range []struct {
		denial simulator.Denial
		code   string
	}{
		{simulator.DenyPermission, "CC.00050010"},
		{simulator.DenyForbidden, "APIGW.0302"},
	} {
		t.Run(tc.code, func(t *testing.T) {
			e := newRetryEnv(t)
			e.sim.SetTask(okTask())
			e.sim.DenyReports(retryTask, tc.denial)
			_, err := readReport(e.client, retryTask)
			if !ReportRefused(err) || api.Code(err) != tc.code {
				t.Fatalf("err = %v (code %q, refused %v), want a refusal with %s", err, api.Code(err), ReportRefused(err), tc.code)
			}
			if got := e.sim.ReportRequests(retryTask); got != 1 {
				t.Errorf("simulator saw %d report calls, want 1 (no retry, no second call)", got)
			}
			if got := testkit.ErrorCount(t, e.metrics, tc.code); got != 1 {
				t.Errorf("%s counted %v times, want 1", tc.code, got)
			}
			// The credentials were good: progress still works, with no
			// new token.
			iam := e.sim.IAMRequests()
			if _, err := e.client.Progress(context.Background(), retryTask, ""); err != nil {
				t.Errorf("progress after a refused report: %v", err)
			}
			if e.sim.IAMRequests() != iam {
				t.Error("a refused report made the client fetch a new token")
			}
		})
	}
}

func TestReportRefusedOnlyForPermission(t *testing.T) {
	for _, err := range []error{
		nil,
		&api.Error{Code: "CC.00050014", HTTPStatus: 200},
		&api.Error{Code: "APIGW.0301", HTTPStatus: 401},
		&api.Error{Code: api.CodeNetwork},
		fmt.Errorf("context: %w", context.DeadlineExceeded),
	} {
		if ReportRefused(err) {
			t.Errorf("ReportRefused(%v) = true", err)
		}
	}
	if !ReportRefused(fmt.Errorf("defects summary: %w", &api.Error{Code: "http_403", HTTPStatus: 403})) {
		t.Error("a wrapped bare 403 is not a refusal")
	}
}

// Report calls make one attempt (the collector backs failed reads off per
// task) and share the token renewal of progress calls.
func TestReportOneAttemptAndRenewsToken(t *testing.T) {
	setRetryTiming(t, time.Millisecond)
	e := newRetryEnv(t)
	e.sim.SetTask(okTask())
	for _, fault := range []simulator.FaultKind{simulator.FaultRetryLater, simulator.FaultThrottled} {
		e.sim.ResetStats()
		e.sim.SetReportFault(retryTask, simulator.Fault{Kind: fault, Times: 1})
		if _, err := e.client.DefectsStatistic(context.Background(), retryTask); !Retryable(err) {
			t.Fatalf("%v once: %v, want its retryable error", fault, err)
		}
		if got := e.sim.ReportRequests(retryTask); got != 1 {
			t.Errorf("%v once: simulator saw %d calls, want 1", fault, got)
		}
	}
	e.sim.SetReportFault(retryTask, simulator.Fault{Kind: simulator.FaultTokenExpired, Times: 1})
	iam := e.sim.IAMRequests()
	if _, err := e.client.DefectsSummary(context.Background(), retryTask); err != nil {
		t.Fatalf("after an expired token: %v", err)
	}
	if e.sim.IAMRequests() != iam+1 {
		t.Errorf("IAM requests %d → %d, want one new token", iam, e.sim.IAMRequests())
	}
	// An answer that is not a report is an invalid response, not a
	// clean task.
	e.sim.SetReportFault(retryTask, simulator.Fault{Kind: simulator.FaultWrongType})
	if _, err := e.client.DefectsSummary(context.Background(), retryTask); api.Code(err) != api.CodeInvalidResponse {
		t.Errorf("wrong-type body: %v, want %s", err, api.CodeInvalidResponse)
	}
}

// Each hostile ID reaches exactly its own task's report calls.
func TestReportURLCannotBeRedirected(t *testing.T) {
	e := newRetryEnv(t)
	for _, id := range hostileIDs {
		task := okTask()
		task.ID = id
		e.sim.SetTask(task)
		if _, err := readReport(e.client, id); err != nil {
			t.Errorf("task %q: %v", id, err)
			continue
		}
		if got := e.sim.ReportRequests(id); got != 2 {
			t.Errorf("task %q: simulator saw %d report calls for it, want 2", id, got)
		}
	}
	if got := e.sim.ReportRequests(""); got != 2*len(hostileIDs) {
		t.Errorf("report calls in all: %d, want %d", got, 2*len(hostileIDs))
	}
}

// A demo task's report read through the client changes when, and only
// when, its progress shows a check finished.
func TestDemoReportFollowsChecks(t *testing.T) {
	var mu sync.Mutex
	// The real time, not a fixed date: the IAM client judges the
	// simulator's tokens by their expiry, which follows this clock.
	start := time.Now().UTC().Truncate(time.Second)
	now := start
	advance := func(d time.Duration) {
		mu.Lock()
		defer mu.Unlock()
		now = now.Add(d)
	}
	sim := simulator.NewDemo(func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return now
	})
	e := newRetryEnvFor(t, sim)
	id := simulator.DemoTaskIDs()[0] // backend-api: checking for the first 65 s of every 180 s
	first, err := readReport(e.client, id)
	if err != nil {
		t.Fatal(err)
	}
	advance(60 * time.Second) // still checking
	same, err := readReport(e.client, id)
	if err != nil || fmt.Sprint(same) != fmt.Sprint(first) {
		t.Fatalf("report changed while checking: %+v → %+v (%v)", first, same, err)
	}
	advance(10 * time.Second) // the check ended at 65 s
	p, err := e.client.Progress(context.Background(), id, "")
	if err != nil || p.Status != StatusSucceeded {
		t.Fatalf("progress %+v, %v; want succeeded", p, err)
	}
	next, err := readReport(e.client, id)
	if err != nil || fmt.Sprint(next) == fmt.Sprint(first) {
		t.Fatalf("report after the check finished: %+v (%v), same as before", next, err)
	}
	if want := start.Add(65 * time.Second); !next.Statistic.LastCheckEnd.Equal(want) {
		t.Errorf("check end %v, want %v", next.Statistic.LastCheckEnd, want)
	}
}

// {} and nulls from both report calls are a report with no values, not
// an error, in both summary shapes; the calls are counted as successes.
func TestEmptyReportOverHTTP(t *testing.T) {
	e := newRetryEnv(t)
	e.sim.SetTask(okTask())
	for _, answer := range []simulator.ReportAnswer{simulator.ReportEmpty, simulator.ReportNulls} {
		for _, shape := range []simulator.SummaryShape{simulator.SummarySchema, simulator.SummaryExample} {
			e.sim.SetSummaryShape(shape)
			e.sim.SetReportAnswer(retryTask, answer)
			rep, err := readReport(e.client, retryTask)
			if err != nil {
				t.Fatalf("answer %d, shape %d: %v", answer, shape, err)
			}
			if noValues := (DefectsStatistic{Severity: map[string]int64{}, Status: map[string]int64{}}); !reflect.DeepEqual(rep.Statistic, noValues) ||
				rep.Summary != (DefectsSummary{}) {
				t.Errorf("answer %d, shape %d: %+v, want no values", answer, shape, rep)
			}
		}
	}
	if got := testkit.ErrorCount(t, e.metrics, api.CodeInvalidResponse); got != 0 {
		t.Errorf("api_errors_total{invalid_response} = %v, want 0", got)
	}
	e.sim.SetReportAnswer(retryTask, simulator.ReportFull)
	if rep, err := readReport(e.client, retryTask); err != nil || len(rep.Statistic.Severity) == 0 || !rep.Summary.HasCodeLines {
		t.Errorf("full report: %+v, %v", rep, err)
	}
}

// Gate words and far-future times arrive as the decoder reads them.
func TestGateWordsAndFarFutureOverHTTP(t *testing.T) {
	e := newRetryEnv(t)
	e.sim.SetTask(okTask())
	far := time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)
	for isAccess, want := range map[string]bool{"success": true, "error": false} {
		rep := simReport
		rep.IsAccess, rep.CheckStart, rep.CheckEnd = isAccess, far, far
		e.sim.SetReport(retryTask, rep)
		got, err := readReport(e.client, retryTask)
		if err != nil {
			t.Fatal(err)
		}
		if !got.Summary.HasQualityGate || got.Summary.QualityGatePassed != want {
			t.Errorf("is_access %q: gate %v known %v", isAccess, got.Summary.QualityGatePassed, got.Summary.HasQualityGate)
		}
		if !got.Statistic.LastCheckEnd.Equal(far) || !got.Summary.LastCheckTime.Equal(far) {
			t.Errorf("times %v / %v, want %v", got.Statistic.LastCheckEnd, got.Summary.LastCheckTime, far)
		}
	}
	rep := simReport
	rep.IsAccess = "maybe"
	e.sim.SetReport(retryTask, rep)
	if got, err := readReport(e.client, retryTask); err != nil || got.Summary.HasQualityGate || got.Summary.UnknownQualityGate != "maybe" {
		t.Errorf("unknown gate: %+v, %v", got.Summary, err)
	}
}
