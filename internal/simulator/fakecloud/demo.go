package fakecloud

import (
	"math"
	"net/http"
	"strconv"
	"time"
)

// Demo tasks for the exporter's --demo mode and for dashboard/alert tests.
//
// Nine tasks, all in one CodeArts project (DemoProjectID), which the task
// list serves (but for the deleted one), so that the demo can discover it:
//
//	backend-api           cycles, always succeeds          (offset   0s)
//	web-frontend          cycles, always succeeds          (offset  90s)
//	payment-service       cycles, always fails             (offset  30s)
//	notification-service  cycles, always fails             (offset 120s)
//	mobile-app            cycles, succeeds on even cycles and fails on odd
//	                      ones; reports free text while checking (offset 60s)
//	search-service        cycles, always succeeds          (offset  15s:
//	                      checking from the start, so that with change
//	                      detection its progress is read, and its
//	                      failures show, in the demo's first minute);
//	                      every 4th progress request for it fails with
//	                      HTTP 200 CC.00050012 (retry later), so the demo
//	                      shows API errors; the retry that follows succeeds
//	data-pipeline         never checked: task_status null, ratio/info null
//	legacy-monolith       stopped: task_status 3, ratio/info null; its
//	                      last check ended 30 days before the demo
//	                      started and failed its quality gate with 4
//	                      critical defects (demoStaleReport)
//	retired-batch         deleted: progress and report calls answer
//	                      HTTP 200 CC.00050014, so that the last error
//	                      metric and the dashboard's "Last error" column
//	                      have data
//
// The cycling tasks' reports change each time a check of theirs ends
// (report.go). legacy-monolith's fixed report makes the quality alerts
// deterministic: at every moment one quality gate has failed
// (CodeArtsCheckQualityGateFailed) and one task has not finished a check
// for more than 7 days (CodeArtsCheckNoRecentCheck).
//
// A cycling task's position in its cycle is p = (elapsed + offset) mod
// 180s, elapsed being the clock minus the time NewDemo was called:
//
//	0s  <= p < 65s   checking (0): ratio climbs one step every 5s through
//	                 k/12 of 100% — "0%", "8.3%", "16.7%", "25%", "33.3%",
//	                 ... "91.7%", "100%" — info "running"
//	65s <= p < 180s  result: succeeded (2) with "100%"/"success", or
//	                 failed (1) with ratio and info null
//
// The two always-succeeding tasks are 90s apart, as are the two
// always-failing ones, and the result phase (115s) is longer than 90s, so
// at every moment — including the first minute — at least one task reports
// succeeded and at least one failed. State is computed from the clock on
// each request: there is no background goroutine, and a given clock always
// yields the same answers. search-service's failures count its requests
// instead, so they are as frequent at any scrape interval: with nine
// tasks, about 3% of the demo's requests fail, below the 5% at which
// CodeArtsCheckAPIErrors fires.
const (
	demoPeriod   = 180 * time.Second
	demoStep     = 5 * time.Second
	demoSteps    = 12 // ratio = k/demoSteps for k = 0..demoSteps
	demoChecking = (demoSteps + 1) * demoStep
)

// DemoProjectID is the CodeArts project of every demo task.
const DemoProjectID = "7d3e5c1a9b2f4e6d8c0a1b3c5d7e9f20"

// DemoDeletedTaskID is the demo's deleted task (retired-batch), one of
// DemoTaskIDs that the service no longer knows.
const DemoDeletedTaskID = "6a0e2c4f8b1d3a5c7e9f0b2d4c6e8a1f"

type demoOutcome int

const (
	demoSucceeds demoOutcome = iota
	demoFails
	demoAlternates // even cycles succeed, odd cycles fail
)

// demoTask is a clock-driven task: base carries the identity fields.
type demoTask struct {
	base         Task
	offset       time.Duration
	outcome      demoOutcome
	checkingInfo string
	failEvery    int // > 0: every failEvery-th progress request answers demoFault
}

// demoFault is how a flaky demo task fails: an error the exporter retries,
// inside an HTTP 200 body as the service sends it.
func demoFault() *Error {
	return ServiceError(http.StatusOK, "CC.00050012", "retry later")
}

type demoSpec struct {
	id, name, branch string
	offset           time.Duration
	outcome          demoOutcome
	checkingInfo     string
	failEvery        int
	static           *Task // non-nil: a task that never changes
	stale            bool  // its report is demoStaleReport
	deleted          bool  // configured but gone: CC.00050014
}

// demoSpecs is the demo's fixed content; IDs are 32 lowercase hex like real
// task IDs and must never change (dashboards and docs may refer to them).
var demoSpecs = []demoSpec{
	{id: "3f9a1c7e5b2d4f608a1e3c5b7d9f1a2b", name: "backend-api", branch: "master", offset: 0, outcome: demoSucceeds, checkingInfo: "running"},
	{id: "8c2e4a6f0b1d3e5a7c9f2b4d6e8a0c1d", name: "web-frontend", branch: "main", offset: 90 * time.Second, outcome: demoSucceeds, checkingInfo: "running"},
	{id: "a41b7e9d2c5f8a0b3e6d9c1f4a7b0e2d", name: "payment-service", branch: "release/2.3", offset: 30 * time.Second, outcome: demoFails, checkingInfo: "running"},
	{id: "5d0f2b8e6a4c1e9d7b3f5a2c8e0d6b4a", name: "notification-service", branch: "master", offset: 120 * time.Second, outcome: demoFails, checkingInfo: "running"},
	{id: "e7c3a9f1d5b2e8c4a0f6d2b9e5c1a7f3", name: "mobile-app", branch: "develop", offset: 60 * time.Second, outcome: demoAlternates, checkingInfo: "Performing the check..."},
	{id: "c8f2d4b6a0e1c3f5d7b9a2e4c6f8d0b1", name: "search-service", branch: "main", offset: 15 * time.Second, outcome: demoSucceeds, checkingInfo: "running", failEvery: 4},
	{id: "1b6d8f0a2c4e6b8d0f1a3c5e7b9d2f4a", name: "data-pipeline", branch: "main",
		static: &Task{}},
	{id: "9e4c6a2f8d0b5e1c7a3f9d6b2e8c4a0f", name: "legacy-monolith", branch: "trunk",
		static: &Task{Status: IntPtr(3)}, stale: true},
	{id: DemoDeletedTaskID, name: "retired-batch", branch: "master", deleted: true},
}

// demoStaleReport is the report of a task last checked 30 days before
// start, which failed its quality gate.
func demoStaleReport(start time.Time) Report {
	end := start.Add(-30 * 24 * time.Hour)
	return Report{
		Critical: 4, Major: 17, Minor: 52, Suggestion: 130, Unresolved: 203, Resolved: 88, Dismissed: 9,
		CheckStart: end.Add(-42 * time.Minute), CheckEnd: end,
		CodeLines: 412000, CodeLinesTotal: 480000,
		DuplicationRatio: "11.40%", CommentRatio: "6.25%", IsAccess: "0",
	}
}

// NewDemo returns a simulator preloaded with the demo tasks described above,
// whose cycle starts at opts.Now() (nil = time.Now). The users are the
// options' (by default the default user and password).
func NewDemo(opts Options) *Server {
	s := New(opts)
	s.demoStart = s.now()
	s.AddProject(DemoProjectID)
	for _, sp := range demoSpecs {
		if sp.deleted {
			continue
		}
		base := Task{ID: sp.id, Name: sp.name, ProjectID: DemoProjectID, GitBranch: sp.branch}
		if sp.static != nil {
			t := *sp.static
			t.ID, t.Name, t.ProjectID, t.GitBranch = base.ID, base.Name, base.ProjectID, base.GitBranch
			s.tasks[t.ID] = t
			if sp.stale {
				initMap(&s.reports.fixed)[t.ID] = demoStaleReport(s.demoStart)
			}
			continue
		}
		s.demo[sp.id] = demoTask{base: base, offset: sp.offset, outcome: sp.outcome, checkingInfo: sp.checkingInfo, failEvery: sp.failEvery}
	}
	return s
}

// countDemoRequest counts a progress request for a demo task and reports
// whether it is one a flaky task fails: the 4th, 8th, ... request fails and
// the retry after it does not.
func (s *Server) countDemoRequest(taskID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.demo[taskID]
	if !ok || d.failEvery <= 0 {
		return false
	}
	s.demoRequests[taskID]++
	return s.demoRequests[taskID]%d.failEvery == 0
}

// DemoTaskIDs returns the demo's task IDs in a stable order.
func DemoTaskIDs() []string {
	ids := make([]string, len(demoSpecs))
	for i, sp := range demoSpecs {
		ids[i] = sp.id
	}
	return ids
}

// DemoTaskNames maps each demo task ID to its name.
func DemoTaskNames() map[string]string {
	names := make(map[string]string, len(demoSpecs))
	for _, sp := range demoSpecs {
		names[sp.id] = sp.name
	}
	return names
}

// at returns the task's state elapsed after the demo started. elapsed may
// be negative (a clock that went backwards) and still lands in the cycle.
func (d demoTask) at(elapsed time.Duration) Task {
	pos := elapsed + d.offset
	cycle := floorDiv(pos, demoPeriod)
	p := pos - cycle*demoPeriod

	t := d.base
	if p < demoChecking {
		k := int(p / demoStep)
		t.Status = IntPtr(0)
		t.Ratio = StrPtr(demoRatio(k))
		t.Info = StrPtr(d.checkingInfo)
		return t
	}
	fails := d.outcome == demoFails || (d.outcome == demoAlternates && cycle%2 != 0)
	if fails {
		t.Status = IntPtr(1)
		return t // ratio and info null, as the service reports failures
	}
	t.Status = IntPtr(2)
	t.Ratio = StrPtr("100%")
	t.Info = StrPtr("success")
	return t
}

// demoRatio formats k/demoSteps of 100% with at most one decimal, the way
// the service does ("33.3%", "50%").
func demoRatio(k int) string {
	v := math.Round(float64(k)*1000/demoSteps) / 10
	return strconv.FormatFloat(v, 'f', -1, 64) + "%"
}

// floorDiv is a / b rounded towards negative infinity (b > 0).
func floorDiv(a, b time.Duration) time.Duration {
	q := a / b
	if a%b < 0 {
		q--
	}
	return q
}
