package simulator

import (
	"context"
	"encoding/json"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/simulator/fakecloud"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit/stdkit"
)

const reportTask = "5f0e2a4c6b8d0f1e3a5c7b9d1f3e5a7c"

// reportGet sends GET /v2/tasks/{taskID}/{call}{query} with token.
func (e *env) reportGet(taskID, call, query, token string) response {
	e.t.Helper()
	req := e.newRequest(context.Background(), http.MethodGet, "/v2/tasks/"+url.PathEscape(taskID)+"/"+call+query, "")
	if token != "" {
		req.Header.Set("X-Auth-Token", token)
	}
	return e.do(req)
}

var fixedReport = Report{
	Critical: 1, Major: 2, Minor: 3, Suggestion: 4,
	Unresolved: 10, Resolved: 5, Dismissed: 1,
	CheckStart:       time.Date(2020, 9, 25, 12, 5, 0, 0, time.UTC),
	CheckEnd:         time.Date(2020, 9, 25, 12, 15, 0, 0, time.UTC),
	CodeLines:        55777,
	CodeLinesTotal:   63371,
	DuplicationRatio: "3.25%",
	CommentRatio:     "12.5%",
	IsAccess:         "0",
}

func TestReportBodies(t *testing.T) {
	e := newEnv(t, Options{})
	tok := e.token()
	e.sim.SetTask(Task{ID: reportTask, Name: "web", ProjectID: "p1", GitBranch: "main", Status: IntPtr(2)})
	e.sim.SetReport(reportTask, fixedReport)

	for _, tc := range []struct {
		name, call, query, want string
		shape                   SummaryShape
	}{
		{"statistic with times", "defects-statistic", "?time_info_switch=true",
			`{"severity":{"critical":1,"major":2,"minor":3,"suggestion":4},"status":{"unresolved":10,"resolved":5,"dismissed":1,"fixed":1,"solved":4},"last_check_time":"2020-09-25T12:05:00Z","last_check_finish_time":"2020-09-25T12:15:00Z"}`, 0},
		{"statistic without times", "defects-statistic", "",
			`{"severity":{"critical":1,"major":2,"minor":3,"suggestion":4},"status":{"unresolved":10,"resolved":5,"dismissed":1,"fixed":1,"solved":4}}`, 0},
		{"summary, schema shape", "defects-summary", "",
			`{"task_id":"` + reportTask + `","task_name":"web","creator_id":"0123456789abcdef0123456789abcdef","git_url":"https://codehub.example/p1/web.git","git_branch":"main","last_check_time":"2020-09-25T12:05:00Z","check_type":"full","trigger_type":"manual","code_line_total":63371,"code_line":55777,"issue_count":10,"code_quality":99,"risk_coefficient":19,"duplication_ratio":"3.25%","comment_ratio":"12.5%","critical_count":"1","major_count":"2","minor_count":"3","suggestion_count":"4","is_access":"0"}`,
			SummarySchema},
		// Beijing time: 12:05 UTC is 20:05 there.
		{"summary, example shape", "defects-summary", "",
			`{"result":{"info":{"taskName":"web","branch":"main","codeLineTotal":"63371","codeLine":"55777","lastCheckTime":"2020-09-25 20:05:00","codeQuality":"99.0","riskCoefficient":"19","duplicationRatio":"3.25%","commentRatio":"12.5%","isAccess":"0","defectInfo":{"criticalCount":"1","seriousCount":"2","normalCount":"3","promptCount":"4"},"defectStatusInfo":{"newCount":"10","solvedCount":"5","ignoredCount":"1"}}}}`,
			SummaryExample},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.sim.SetSummaryShape(tc.shape)
			r := e.reportGet(reportTask, tc.call, tc.query, tok)
			if r.status != http.StatusOK || string(r.body) != tc.want {
				t.Errorf("%d %s\nwant %s", r.status, r.body, tc.want)
			}
			if ct := r.header.Get("Content-Type"); ct != fakecloud.ContentTypeJSON {
				t.Errorf("Content-Type %q", ct)
			}
		})
	}
}

// A task never checked has a report with nothing in it: zero defects and
// no times, no gate verdict, no ratios.
func TestReportOfNeverCheckedTask(t *testing.T) {
	e := newEnv(t, Options{})
	tok := e.token()
	e.sim.SetTask(Task{ID: reportTask})
	r := e.reportGet(reportTask, "defects-statistic", "?time_info_switch=true", tok)
	if want := `{"severity":{"critical":0,"major":0,"minor":0,"suggestion":0},"status":{"unresolved":0,"resolved":0,"dismissed":0,"fixed":0,"solved":0}}`; string(r.body) != want {
		t.Errorf("statistic %s, want %s", r.body, want)
	}
	var summary map[string]any
	if err := json.Unmarshal(e.reportGet(reportTask, "defects-summary", "", tok).body, &summary); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"is_access", "duplication_ratio", "comment_ratio", "last_check_time"} {
		if v, ok := summary[k]; ok {
			t.Errorf("summary of a never-checked task has %s = %v", k, v)
		}
	}
}

// FinishCheck ends a check: the status shows it, and the report is new,
// ended at the clock's time; between checks it stays the same.
func TestReportChangesWhenCheckFinishes(t *testing.T) {
	clock := stdkit.NewClock(time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC))
	e := newEnv(t, Options{Now: clock.Now})
	e.sim.SetTask(Task{ID: reportTask, Status: IntPtr(0), Ratio: StrPtr("50%"), Info: StrPtr("running")})
	before, _ := e.sim.Report(reportTask)
	clock.Advance(time.Hour)
	if again, _ := e.sim.Report(reportTask); again != before {
		t.Fatalf("report changed without a check finishing: %+v, then %+v", before, again)
	}

	seen := map[Report]bool{before: true}
	for i, ok := range []bool{true, false, true} {
		clock.Advance(10 * time.Minute)
		if !e.sim.FinishCheck(reportTask, ok) {
			t.Fatal("FinishCheck refused a known task")
		}
		task, _ := e.sim.Task(reportTask)
		if want := map[bool]int{true: 2, false: 1}[ok]; task.Status == nil || *task.Status != want {
			t.Errorf("check %d: status %v, want %d", i, task.Status, want)
		}
		rep, _ := e.sim.Report(reportTask)
		if seen[rep] {
			t.Errorf("check %d: report %+v is one seen before", i, rep)
		}
		seen[rep] = true
		if !rep.CheckEnd.Equal(clock.Now()) || !rep.CheckStart.Before(rep.CheckEnd) {
			t.Errorf("check %d: ran %v to %v, want it to end now (%v)", i, rep.CheckStart, rep.CheckEnd, clock.Now())
		}
	}
	if e.sim.FinishCheck("no-such-task", true) {
		t.Error("FinishCheck accepted an unknown task")
	}
}

// A demo task's report changes exactly when its progress turns from
// checking to a result, and its latest check ended at that moment. Over
// the demo's tasks, critical defects go up and quality gates fail at some
// point, so that the alerts on them have something to show.
func TestDemoReportChangesWhenCheckFinishes(t *testing.T) {
	clock := stdkit.NewClock(demoStart)
	sim := NewDemo(clock.Now)
	var criticalUp, gateFailed bool
	for _, id := range DemoTaskIDs() {
		clock.Set(demoStart)
		prevTask, _ := sim.Task(id)
		prev, _ := sim.Report(id)
		for step := 0; step < 2*int(demoPeriod/demoStep); step++ {
			clock.Advance(demoStep)
			task, _ := sim.Task(id)
			rep, _ := sim.Report(id)
			finished := prevTask.Status != nil && *prevTask.Status == 0 && *task.Status != 0
			if changed := rep != prev; changed != finished {
				t.Fatalf("%s at +%v: report changed %v, check finished %v", DemoTaskNames()[id], clock.Now().Sub(demoStart), changed, finished)
			}
			if finished {
				if !rep.CheckEnd.Equal(clock.Now()) {
					t.Errorf("%s: check ended at %v, want %v", DemoTaskNames()[id], rep.CheckEnd, clock.Now())
				}
				criticalUp = criticalUp || rep.Critical > prev.Critical
			}
			gateFailed = gateFailed || rep.IsAccess == "0"
			prevTask, prev = task, rep
		}
	}
	if !criticalUp || !gateFailed {
		t.Errorf("over two cycles: critical defects went up %v, a gate failed %v; want both", criticalUp, gateFailed)
	}
}

func TestReportDenials(t *testing.T) {
	e := newEnv(t, Options{})
	tok := e.token()
	e.sim.SetTask(Task{ID: reportTask, Status: IntPtr(2)})
	e.sim.SetTask(Task{ID: "other", Status: IntPtr(2)})
	for _, call := range []string{"defects-statistic", "defects-summary"} {
		e.sim.DenyReports(reportTask, DenyPermission)
		wantErr(t, e.reportGet(reportTask, call, "", tok), http.StatusOK, "CC.00050010", false)
		if r := e.reportGet("other", call, "", tok); r.status != http.StatusOK || strings.Contains(string(r.body), "error_code") {
			t.Errorf("%s of another task: %d %s", call, r.status, r.body)
		}
		e.sim.DenyReports("", DenyForbidden)
		e.sim.DenyReports(reportTask, DenyNone)
		wantErr(t, e.reportGet("other", call, "", tok), http.StatusForbidden, "APIGW.0302", true)
		if r := e.reportGet(reportTask, call, "", tok); r.status != http.StatusOK {
			t.Errorf("%s of the exempted task: %d %s", call, r.status, r.body)
		}
		e.sim.DenyReports("", DenyNone)
	}
	// Progress needs another permission, which is not denied.
	e.sim.DenyReports("", DenyPermission)
	if r := e.progress(reportTask, tok); r.status != http.StatusOK || strings.Contains(string(r.body), "error_code") {
		t.Errorf("progress while reports are denied: %d %s", r.status, r.body)
	}
}

func TestReportAuthUnknownTaskAndCounts(t *testing.T) {
	e := newEnv(t, Options{})
	tok := e.token()
	e.sim.SetTask(Task{ID: reportTask, Status: IntPtr(2)})
	wantErr(t, e.reportGet(reportTask, "defects-summary", "", ""), http.StatusUnauthorized, "APIGW.0301", true)
	wantErr(t, e.reportGet(reportTask, "defects-statistic", "", "not-a-token"), http.StatusUnauthorized, "APIGW.0301", true)
	wantErr(t, e.reportGet("missing", "defects-statistic", "", tok), http.StatusOK, "CC.00050014", false)
	// Only GET is routed.
	r := e.do(e.newRequest(context.Background(), http.MethodPost, "/v2/tasks/"+reportTask+"/defects-summary", "{}"))
	wantErr(t, r, http.StatusNotFound, "APIGW.0101", true)

	if got := e.sim.ReportRequests(reportTask); got != 2 {
		t.Errorf("ReportRequests(task) = %d, want 2", got)
	}
	if got := e.sim.ReportRequests(""); got != 3 {
		t.Errorf("ReportRequests(all) = %d, want 3", got)
	}
	if got := e.sim.TaskRequests(reportTask); got != 0 {
		t.Errorf("report calls counted as %d progress requests", got)
	}
	e.sim.ResetStats()
	if got := e.sim.ReportRequests(""); got != 0 {
		t.Errorf("after ResetStats, ReportRequests = %d", got)
	}
}

// Report faults are used up only by report calls; progress faults do not
// reach them.
func TestReportFaults(t *testing.T) {
	e := newEnv(t, Options{})
	tok := e.token()
	e.sim.SetTask(Task{ID: reportTask, Status: IntPtr(2)})
	e.sim.SetFault("", Fault{Kind: FaultBusy})
	e.sim.SetReportFault(reportTask, Fault{Kind: FaultThrottled, Times: 1})
	// A denied call does not use the fault up.
	e.sim.DenyReports(reportTask, DenyPermission)
	wantErr(t, e.reportGet(reportTask, "defects-summary", "", tok), http.StatusOK, "CC.00050010", false)
	e.sim.DenyReports(reportTask, DenyNone)
	wantErr(t, e.reportGet(reportTask, "defects-summary", "", tok), http.StatusTooManyRequests, "APIGW.0308", true)
	if r := e.reportGet(reportTask, "defects-statistic", "", tok); r.status != http.StatusOK || strings.Contains(string(r.body), "error_code") {
		t.Errorf("after the fault: %d %s", r.status, r.body)
	}
	wantErr(t, e.progress(reportTask, tok), http.StatusBadRequest, "CC.00000000", false)
}

// Both report calls can answer {} or nulls, in either summary shape.
func TestReportAnswers(t *testing.T) {
	e := newEnv(t, Options{})
	tok := e.token()
	e.sim.SetTask(Task{ID: reportTask, Status: IntPtr(2)})
	for _, tc := range []struct {
		answer          ReportAnswer
		shape           SummaryShape
		statistic, summ string
	}{
		{ReportEmpty, SummarySchema, `{}`, `{}`},
		{ReportEmpty, SummaryExample, `{}`, `{}`},
		{ReportNulls, SummarySchema, `{"last_check_finish_time":null,"last_check_time":null,"severity":null,"status":null}`,
			`{"check_type":null,"code_line":null,"code_line_total":null,"code_quality":null,"comment_ratio":null,"creator_id":null,"critical_count":null,"duplication_ratio":null,"git_branch":null,"git_url":null,"is_access":null,"issue_count":null,"last_check_time":null,"major_count":null,"minor_count":null,"risk_coefficient":null,"suggestion_count":null,"task_id":null,"task_name":null,"trigger_type":null}`},
		{ReportNulls, SummaryExample, `{"last_check_finish_time":null,"last_check_time":null,"severity":null,"status":null}`,
			`{"result":{"info":{"branch":null,"codeLine":null,"codeLineTotal":null,"codeQuality":null,"commentRatio":null,"defectInfo":null,"defectStatusInfo":null,"duplicationRatio":null,"isAccess":null,"lastCheckTime":null,"riskCoefficient":null,"taskName":null}}}`},
	} {
		e.sim.SetSummaryShape(tc.shape)
		e.sim.SetReportAnswer("", tc.answer)
		if r := e.reportGet(reportTask, "defects-statistic", "?time_info_switch=true", tok); r.status != 200 || string(r.body) != tc.statistic {
			t.Errorf("answer %d shape %d: statistic %d %s", tc.answer, tc.shape, r.status, r.body)
		}
		if r := e.reportGet(reportTask, "defects-summary", "", tok); r.status != 200 || string(r.body) != tc.summ {
			t.Errorf("answer %d shape %d: summary %d %s", tc.answer, tc.shape, r.status, r.body)
		}
	}
	// A task's own ReportFull exempts it from an answer set for all.
	e.sim.SetReportAnswer(reportTask, ReportFull)
	if r := e.reportGet(reportTask, "defects-statistic", "", tok); !strings.Contains(string(r.body), `"severity":{`) {
		t.Errorf("exempt task: %s", r.body)
	}
}

// Made-up reports can give the gate in words; far-future times are sent
// as they are.
func TestReportGateWordsAndFarFuture(t *testing.T) {
	e := newEnv(t, Options{})
	tok := e.token()
	e.sim.SetTask(Task{ID: reportTask, Status: IntPtr(2)})
	e.sim.SetGateWords(true)
	rep, _ := e.sim.Report(reportTask)
	if rep.IsAccess != "success" && rep.IsAccess != "error" {
		t.Errorf("gate %q, want success or error", rep.IsAccess)
	}
	if r := e.reportGet(reportTask, "defects-summary", "", tok); !strings.Contains(string(r.body), `"is_access":"`+rep.IsAccess+`"`) {
		t.Errorf("summary %s does not send %q", r.body, rep.IsAccess)
	}
	far := fixedReport
	far.CheckStart = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)
	far.CheckEnd = far.CheckStart
	e.sim.SetReport(reportTask, far)
	if r := e.reportGet(reportTask, "defects-statistic", "?time_info_switch=true", tok); !strings.Contains(string(r.body), `"last_check_finish_time":"9999-12-31T23:59:59Z"`) {
		t.Errorf("statistic %s", r.body)
	}
}
