package fakecloud

import (
	"fmt"
	"hash/fnv"
	"net/http"
	"time"
)

// CodeArts Check's report calls (CodeArts Check API reference):
//
//   - ShowTaskDefectsStatisticV2, GET /v2/tasks/{task_id}/defects-statistic
//     [?time_info_switch=true]: open defects by severity and status, and
//     the latest check's start and end (only with time_info_switch=true);
//   - ShowTaskDetailV2, GET /v2/tasks/{task_id}/defects-summary: code size
//     and quality, in one of the two shapes its API reference page shows
//     (SetSummaryShape).
//
// A request goes through, in order: authentication, task lookup (unknown
// task: HTTP 200 + CC.00050014), the task's permission (DenyReports),
// Hooks.Intercept, then the task's report.
//
// A task's report is the one SetReport gave it, or else one made up from
// the task's ID and the number of checks it has finished, so that it
// changes exactly when a check finishes: for a demo task, each time its
// cycle enters the result phase; for another task, each time FinishCheck is
// called. A task never checked (task_status null) and never finished has an
// empty report: no defects and no check times.

// SummaryShape is the shape of the defects-summary answer.
type SummaryShape int

const (
	// SummarySchema is the API reference's schema and the SDK's model: a flat
	// object, snake_case names, typed fields (the default).
	SummarySchema SummaryShape = iota
	// SummaryExample is the API reference's example: {"result":{"info":{...}}},
	// camelCase names, every number a string, and the last check's time in
	// Beijing time without a zone.
	SummaryExample
)

// Denial is how the API refuses a report to credentials without the
// permission codeartscheck:task:getReport.
type Denial int

const (
	DenyNone       Denial = iota
	DenyPermission        // HTTP 200 + CC.00050010 "current user does not have permission"
	DenyForbidden         // HTTP 403 + APIGW.0302, the gateway's IAM policy check
)

// Report is a task's report as the two report calls serve it.
type Report struct {
	Critical, Major, Minor, Suggestion int // open defects by severity
	Unresolved, Resolved, Dismissed    int // defects by status; resolved is also sent split into fixed and solved
	// CheckStart and CheckEnd are the latest check's; zero: not sent.
	CheckStart, CheckEnd      time.Time
	CodeLines, CodeLinesTotal int
	// DuplicationRatio and CommentRatio are sent as they are, e.g.
	// "3.25%"; "" is not sent.
	DuplicationRatio, CommentRatio string
	// IsAccess is the quality gate's verdict as sent: "1" passed, "0"
	// failed (made-up reports; "success" and "error" with SetGateWords), or
	// anything a test sets; "" is not sent.
	IsAccess string
}

// reportState is the report calls' side of the server, guarded by Server.mu.
type reportState struct {
	shape    SummaryShape
	fixed    map[string]Report       // by task ID (SetReport)
	finished map[string]int          // checks finished by FinishCheck, by task ID
	endedAt  map[string]time.Time    // when FinishCheck last ended a check, by task ID
	denials  map[string]Denial       // by task ID; "" = every task
	answers  map[string]ReportAnswer // by task ID; "" = every task (reportbody.go)
	words    bool                    // made-up reports say success/error (SetGateWords)
}

// reportCheckDuration is how long a check of a task that FinishCheck
// finishes took: as long as a demo task's checking phase.
const reportCheckDuration = demoChecking

// staticCheckEnd is when the latest check of a task that has a status but
// was never finished by FinishCheck ended.
var staticCheckEnd = time.Date(2026, 1, 1, 0, 1, 5, 0, time.UTC)

// SetSummaryShape selects the shape of every defects-summary answer.
func (s *Server) SetSummaryShape(shape SummaryShape) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reports.shape = shape
}

// SetReport fixes the report of taskID: checks finishing no longer change
// it. ClearReport undoes it.
func (s *Server) SetReport(taskID string, r Report) {
	s.mu.Lock()
	defer s.mu.Unlock()
	initMap(&s.reports.fixed)[taskID] = r
}

// ClearReport makes the report of taskID the made-up one again.
func (s *Server) ClearReport(taskID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.reports.fixed, taskID)
}

// FinishCheck ends a check of a task that is not a demo task: its status
// becomes succeeded (2, "100%", "success") or failed (1, ratio and info
// null), and its report becomes that of its next check, which ended now.
// It reports false, changing nothing, for an unknown or demo task.
func (s *Server) FinishCheck(taskID string, succeeded bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tasks[taskID]
	if !ok {
		return false
	}
	s.seedCheckHistory(t)
	if succeeded {
		t.Status, t.Ratio, t.Info = IntPtr(2), StrPtr("100%"), StrPtr("success")
	} else {
		t.Status, t.Ratio, t.Info = IntPtr(1), nil, nil
	}
	t.NoProgress, t.NullProgress = false, false
	s.tasks[taskID] = t
	initMap(&s.reports.finished)[taskID]++
	initMap(&s.reports.endedAt)[taskID] = s.now()
	s.finishCheck(taskID, s.now())
	return true
}

// DenyReports makes report calls for taskID (every task when taskID is
// "") refused as d says; DenyNone for a task exempts it from a denial of
// every task. Progress calls are not affected.
func (s *Server) DenyReports(taskID string, d Denial) {
	s.mu.Lock()
	defer s.mu.Unlock()
	initMap(&s.reports.denials)[taskID] = d
}

// Report returns the report of taskID as the report calls would serve it
// now, and false for an unknown task.
func (s *Server) Report(taskID string) (Report, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lookupReport(taskID)
}

// lookupReport requires s.mu.
func (s *Server) lookupReport(taskID string) (Report, bool) {
	if r, ok := s.reports.fixed[taskID]; ok {
		return r, true
	}
	if d, ok := s.demo[taskID]; ok {
		// The latest check to have ended, k, started at cycle k's start.
		pos := s.now().Sub(s.demoStart) + d.offset
		k := floorDiv(pos-demoChecking, demoPeriod)
		start := s.demoStart.Add(time.Duration(k)*demoPeriod - d.offset)
		return s.reports.worded(madeUpReport(taskID, int(k), start, start.Add(demoChecking))), true
	}
	t, ok := s.tasks[taskID]
	if !ok {
		return Report{}, false
	}
	n := s.reports.finished[taskID]
	switch {
	case n > 0:
		end := s.reports.endedAt[taskID]
		return s.reports.worded(madeUpReport(taskID, n, end.Add(-reportCheckDuration), end)), true
	case t.Status == nil:
		return Report{}, true // never checked
	default:
		return s.reports.worded(madeUpReport(taskID, 0, staticCheckEnd.Add(-reportCheckDuration), staticCheckEnd)), true
	}
}

// SetGateWords makes made-up reports give the quality gate's verdict in
// the service's words for gate results (success, error) instead of 1 and
// 0. Reports set with SetReport are sent as they were given.
func (s *Server) SetGateWords(words bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reports.words = words
}

// worded is r with its verdict in words when SetGateWords asks for them.
func (rs *reportState) worded(r Report) Report {
	if rs.words {
		r.IsAccess = map[string]string{"1": "success", "0": "error"}[r.IsAccess]
	}
	return r
}

// madeUpReport is check k's report of task id: numbers that depend on the
// ID (so tasks differ) and on k (so each check's report differs). Critical
// defects cycle through base, base+1, base+2 over three checks, so they go
// both up and down; the quality gate fails when there are two or more.
func madeUpReport(id string, k int, start, end time.Time) Report {
	h := fnv.New32a()
	_, _ = h.Write([]byte(id))
	base := int(h.Sum32() % 1000)
	r := Report{
		Critical:       base%2 + mod(k, 3),
		Major:          2 + base%5 + mod(k, 4),
		Minor:          5 + base%11 + mod(k, 5),
		Suggestion:     10 + base%17,
		Resolved:       20 + base%7 + mod(k, 6),
		Dismissed:      1 + base%3,
		CheckStart:     start,
		CheckEnd:       end,
		CodeLinesTotal: 10000 + base*37 + 100*mod(k, 10),
		// Percentages with up to two decimals, as the service writes them.
		DuplicationRatio: fmt.Sprintf("%.2f%%", float64(100+base%400+25*mod(k, 4))/100),
		CommentRatio:     fmt.Sprintf("%.2f%%", float64(800+base%900)/100),
		IsAccess:         "1",
	}
	r.Unresolved = r.Critical + r.Major + r.Minor + r.Suggestion
	r.CodeLines = r.CodeLinesTotal * 9 / 10
	if r.Critical >= 2 {
		r.IsAccess = "0"
	}
	return r
}

// mod is a mod b in 0..b-1, also for negative a (b > 0).
func mod(a, b int) int {
	return ((a % b) + b) % b
}

// initMap makes *m if it is nil and returns it.
func initMap[K comparable, V any](m *map[K]V) map[K]V {
	if *m == nil {
		*m = map[K]V{}
	}
	return *m
}

// serveReport serves the report call named call for task id.
func (s *Server) serveReport(w http.ResponseWriter, r *http.Request, call, id string) {
	if call == CallDefectsStatistic {
		s.answerReport(w, r, call, id, func(rep Report) any {
			return renderStatistic(rep, r.URL.Query().Get("time_info_switch") == "true")
		})
		return
	}
	s.mu.Lock()
	shape := s.reports.shape
	s.mu.Unlock()
	s.answerReport(w, r, call, id, func(rep Report) any {
		t, _ := s.Task(id)
		return renderSummary(id, t, rep, shape)
	})
}

// answerReport runs a report request through its checks (see the top of
// this file) and answers it with render's body.
func (s *Server) answerReport(w http.ResponseWriter, r *http.Request, call, taskID string, render func(Report) any) {
	if e := s.authorize(r); e != nil {
		s.writeError(w, e)
		return
	}
	s.mu.Lock()
	rep, known := s.lookupReport(taskID)
	denial, denied := s.reports.denials[taskID]
	if !denied {
		denial = s.reports.denials[""]
	}
	s.mu.Unlock()
	switch {
	case !known:
		s.writeError(w, unknownTask())
	case denial == DenyPermission:
		s.writeError(w, ServiceError(http.StatusOK, "CC.00050010", "current user does not have permission"))
	case denial == DenyForbidden:
		s.writeError(w, GatewayError(http.StatusForbidden, "APIGW.0302",
			"The IAM user is not authorized to access the API: codeartscheck:task:getReport"))
	case s.intercept(w, r, call, taskID):
		// answered by the hook
	default:
		s.mu.Lock()
		answer, ok := s.reports.answers[taskID]
		if !ok {
			answer = s.reports.answers[""]
		}
		s.mu.Unlock()
		WriteJSON(w, http.StatusOK, answer.body(render(rep)))
	}
}
