package collector

import (
	"errors"
	"log/slog"
	"slices"
	"time"

	"github.com/codearts-check-exporter/codearts_check_exporter/config"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/api"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/codearts"
)

// Reports (quality.enabled). A task's report (defects, quality gate, code
// size: two API calls) only changes when a check finishes, so it is not
// read on every scrape but:
//
//   - when the exporter first sees the task;
//   - when the task's progress shows that a check finished since the last
//     read: its status changed, and is not 0 (checking). That covers the
//     end of a check seen while it ran (0 -> 2) and a whole check run
//     between two scrapes (2 -> 1);
//   - otherwise once per quality.refresh_interval.
//
// Only for a task whose progress this collection answered: the API did not
// answer for the others, and a deleted task would cost a failed report
// call on every scrape. Never for a task that was never checked
// (task_status null, or checking for the first time): it has no report,
// and whatever the report calls answer for it (zeros) would pass for a
// clean task. Its first finished check is a status change, which reads it.
//
// A report whose answers carry none of the values the exporter serves
// ({}, nulls: no defect count, time, size, gate, name or branch) is "no
// report yet": not an error, and no report series at all, until a check
// finishes or refresh_interval passes.
//
// Progress comes first: reports are read after every progress query of the
// collection is done, with what the deadline and the API budget leave,
// stalest report first. A read that does not fit (the budget has no token
// for it before the deadline) is not an API error and is not counted; it
// waits for a later scrape. Report calls take a token only while a tenth of
// the collection's time is still left (api.WithBudgetDeadline), so that the
// last ones sent are answered, not cut off by the deadline.
//
// A refused read (codearts.ReportRefused: the permission
// codeartscheck:task:getReport is missing) is counted by api.Caller like any
// failed call, logged once per task naming the permission, and not asked
// again for that task before refresh_interval; progress is not affected.
// Another failed read (a throttle, a busy service, an invalid answer, a
// timeout) is not retried within the read: the task backs off,
// failedReadRetry after the first failure, twice as long after each next
// one, up to refresh_interval; a good read ends the back-off.
//
// Each report call has its own timeout (reportCallTimeout, never beyond
// the collection's deadline), so that a report endpoint that hangs cannot
// hold the scrape; and the reads, like the progress queries, are waited
// for at most until the deadline (progress.go).
//
// The values served are those of the last good read, kept compactly per
// task (reportValues), as progress values are; they go when the task
// leaves the task set, or when quality.enabled is turned off.

// failedReadRetry is how long a task whose report read failed (other than
// refused, or not sent) waits before the next attempt, doubled for each
// failure in a row up to refresh_interval: a report the API keeps failing
// must not cost calls on every scrape.
const failedReadRetry = time.Minute

// reportCallTimeout bounds each report call. A report answer is small and
// the service answers it in well under a second; one that takes longer is
// stuck, and waiting for it would spend the scrape's deadline.
var reportCallTimeout = 5 * time.Second

// reportReserveDivisor: report calls take a budget token only until
// 1/reportReserveDivisor of the collection's time is left.
const reportReserveDivisor = 10

// reportBook is the Collector's report state, guarded by Collector.mu.
type reportBook struct {
	now   func() time.Time // time.Now; tests set a fake clock
	tasks map[string]*reportState
}

// reportState is what the exporter keeps of one task's reports.
type reportState struct {
	report *reportValues // the last good read; nil: none yet. Never modified: snapshots share it.
	// status is the task's status in the last progress answer, to spot a
	// check that finished; hasStatus is false until one was answered.
	status    int
	hasStatus bool
	due       bool      // first seen, or a check finished: read at the next chance
	refresh   time.Time // read at the next chance from then on, due or not
	notBefore time.Time // after a refusal or failure: no read before then
	refused   bool      // the refusal was logged; reset by a good read
	asked     time.Time // when a read last sent a call; zero: never
	read      time.Time // when the last good read (with or without a report) came; zero: never
	failures  int       // failed reads in a row, for the back-off
	// unknownGate is the is_access value not understood that was last
	// logged, so that a task's odd value is logged once, not every read.
	unknownGate string
}

// ready reports whether st's report should be read at now.
func (st *reportState) ready(now time.Time) bool {
	return !now.Before(st.notBefore) && (st.due || !now.Before(st.refresh))
}

// plan updates the report state of tasks from this collection's progress
// results, forgets tasks no longer in the set, and returns the indexes of
// the tasks whose report should be read, stalest first. c.mu must be held.
func (q *reportBook) plan(tasks []config.Task, results []result) []int {
	now := q.now()
	kept := make(map[string]*reportState, len(tasks))
	var due []int
	for i, t := range tasks {
		st := q.tasks[t.ID]
		if st == nil {
			st = &reportState{due: true}
		}
		kept[t.ID] = st
		if results[i].err != nil {
			continue
		}
		status := results[i].progress.Status
		if status == codearts.StatusNeverChecked ||
			status == codearts.StatusChecking && st.hasStatus && st.status == codearts.StatusNeverChecked {
			// No check has finished: no report to read or serve. The
			// first check running counts as never checked still, so
			// that its end is the status change that reads the report.
			st.status, st.hasStatus = codearts.StatusNeverChecked, true
			st.report, st.due = nil, false
			continue
		}
		// A check finished: the status changed to a result, or, with
		// change detection, last_check_time moved between two answers of
		// the same result (a whole check ran between them).
		if st.hasStatus && status != codearts.StatusChecking && (status != st.status || results[i].checkMoved) {
			st.due = true
		}
		st.status, st.hasStatus = status, true
		if st.ready(now) {
			due = append(due, i)
		}
	}
	q.tasks = kept
	// Stalest first: never read, then the oldest read; among equals the
	// one asked for least recently (never: first), so that a read the
	// budget cut in half does not go again before one never tried, as in
	// schedule.go; stable, so that otherwise the order of the progress
	// queries holds.
	slices.SortStableFunc(due, func(a, b int) int {
		sa, sb := kept[tasks[a].ID], kept[tasks[b].ID]
		if c := sa.read.Compare(sb.read); c != 0 {
			return c
		}
		return sa.asked.Compare(sb.asked)
	})
	return due
}

// record applies the outcomes of this collection's reads to the report
// state and logs what went wrong. c.mu must be held.
func (q *reportBook) record(tasks []config.Task, reads []reportRead, refresh time.Duration, logger *slog.Logger) {
	failed := newErrorSummary()
	deferred := 0
	for _, r := range reads {
		id := tasks[r.task].ID
		st := q.tasks[id]
		switch {
		case st == nil:
			continue
		}
		if r.asked {
			st.asked = r.at
		}
		switch {
		case r.err == nil:
			// nil when the answers carry no value: "no report yet".
			st.report = newReportValues(r.report, r.at)
			st.due, st.refused, st.failures = false, false, 0
			st.refresh, st.notBefore, st.read = r.at.Add(refresh), time.Time{}, r.at
			if gate := r.report.Summary.UnknownQualityGate; gate != "" && gate != st.unknownGate {
				logger.Debug("task report: is_access has a value the exporter does not know; codearts_check_task_quality_gate_passed is left out",
					"task_id", id, "is_access", gate)
			}
			st.unknownGate = r.report.Summary.UnknownQualityGate
		case errors.Is(r.err, errNotStarted) || !wasSent(r.err):
			deferred++
		case codearts.ReportRefused(r.err):
			st.due = false
			st.refresh, st.notBefore = r.at.Add(refresh), r.at.Add(refresh)
			if !st.refused {
				st.refused = true
				logger.Warn("task report refused: grant the exporter's credentials the IAM permission "+codearts.ReportPermission+
					"; it is asked for again after quality.refresh_interval",
					"task_id", id, "permission", codearts.ReportPermission, "error_code", api.Code(r.err),
					"refresh_interval", refresh, "err", r.err)
			}
		default:
			st.failures++
			st.notBefore = r.at.Add(readBackoff(st.failures, refresh))
			failed.add(id, r.err)
		}
	}
	if deferred > 0 {
		logger.Debug("task report reads left for a later scrape: no time or API budget left after the progress queries",
			"tasks", deferred, "due_tasks", len(reads))
	}
	failed.logAs(logger, "task report reads failed", len(reads))
}

// readBackoff is how long a task waits after its nth failed read in a row:
// failedReadRetry, doubled for each failure after the first, at most
// refresh (and at least failedReadRetry, whatever refresh is).
func readBackoff(n int, refresh time.Duration) time.Duration {
	d := failedReadRetry
	for i := 1; i < n && d < refresh; i++ {
		d *= 2
	}
	return max(failedReadRetry, min(d, refresh))
}

// report returns the report served for the task id, nil if none. c.mu must
// be held.
func (q *reportBook) report(id string) *reportValues {
	if st := q.tasks[id]; st != nil {
		return st.report
	}
	return nil
}
