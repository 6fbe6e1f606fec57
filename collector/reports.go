package collector

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/codearts-check-exporter/codearts_check_exporter/internal/api"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/codearts"
)

// Reports (quality.enabled): the report part of plan and record. A task's report (defects, quality gate, code
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
// collection is done, with what the deadline and the rate limit leave,
// stalest report first. A read that does not fit (the rate limit has no
// token for it before the deadline) is not an API error and is not counted;
// it waits for a later scrape. Report calls take a token only while a tenth
// of the collection's time is still left (api.WithSendBy), so that the last
// ones sent are answered, not cut off by the deadline.
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
// for at most until the deadline (execute.go).
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

// reportReserveDivisor: report calls take a rate limit token only until
// 1/reportReserveDivisor of the collection's time is left.
const reportReserveDivisor = 10

// reportMemory is what the exporter keeps of one task's reports.
type reportMemory struct {
	values *reportValues // the last good read; nil: none yet. Never modified: snapshots share it.
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

// ready reports whether the report should be read at now.
func (st *reportMemory) ready(now time.Time) bool {
	return !now.Before(st.notBefore) && (st.due || !now.Before(st.refresh))
}

// seeProgress notes a progress answer of status for the report policy:
// checkMoved, change detection saw last_check_time move to a newer time.
// It is part of record.
func (st *reportMemory) seeProgress(status int, checkMoved bool) {
	if status == codearts.StatusNeverChecked ||
		status == codearts.StatusChecking && st.hasStatus && st.status == codearts.StatusNeverChecked {
		// No check has finished: no report to read or serve. The first
		// check running counts as never checked still, so that its end
		// is the status change that reads the report.
		st.status, st.hasStatus = codearts.StatusNeverChecked, true
		st.values, st.due = nil, false
		return
	}
	// A check finished: the status changed to a result, or, with change
	// detection, last_check_time moved between two answers of the same
	// result (a whole check ran between them).
	if st.hasStatus && status != codearts.StatusChecking && (status != st.status || checkMoved) {
		st.due = true
	}
	st.status, st.hasStatus = status, true
}

// reportsDue returns the indexes of the tasks whose report is read in this
// collection: those whose progress this collection answered (answered[i]),
// whose report is ready, stalest first. It is part of the plan.
func reportsDue(tasks []*taskMemory, answered []bool, now time.Time) []int {
	var due []int
	for i, m := range tasks {
		if answered[i] && m.report.hasStatus && m.report.status != codearts.StatusNeverChecked && m.report.ready(now) {
			due = append(due, i)
		}
	}
	// Stalest first: never read, then the oldest read; among equals the
	// one asked for least recently (never: first), so that a read the
	// rate limit cut in half does not go again before one never tried;
	// stable, so that otherwise the order of the progress queries holds.
	slices.SortStableFunc(due, func(a, b int) int {
		sa, sb := &tasks[a].report, &tasks[b].report
		if c := sa.read.Compare(sb.read); c != 0 {
			return c
		}
		return sa.asked.Compare(sb.asked)
	})
	return due
}

// recordRead applies the outcome o of the report read of the task id, at
// now, to st, and notes what went wrong in failed; it returns false for a
// read left for a later scrape. It is part of record.
func (st *reportMemory) recordRead(id string, o outcome, now time.Time, refresh time.Duration, failed *errorSummary, logger *slog.Logger) bool {
	if o.asked {
		st.asked = now
	}
	switch {
	case o.err == nil:
		// nil when the answers carry no value: "no report yet".
		st.values = newReportValues(o.report, now)
		st.due, st.refused, st.failures = false, false, 0
		st.refresh, st.notBefore, st.read = now.Add(refresh), time.Time{}, now
		if gate := o.report.Summary.UnknownQualityGate; gate != "" && gate != st.unknownGate {
			logger.Debug("task report: is_access has a value the exporter does not know; codearts_check_task_quality_gate_passed is left out",
				"task_id", id, "is_access", gate)
		}
		st.unknownGate = o.report.Summary.UnknownQualityGate
	case !countingOf(o.err).sent:
		return false
	case codearts.ReportRefused(o.err):
		st.due = false
		st.refresh, st.notBefore = now.Add(refresh), now.Add(refresh)
		if !st.refused {
			st.refused = true
			logger.Warn("task report refused: grant the exporter's credentials the IAM permission "+codearts.ReportPermission+
				"; it is asked for again after quality.refresh_interval",
				"task_id", id, "permission", codearts.ReportPermission, "error_code", api.Code(o.err),
				"refresh_interval", refresh, "err", o.err)
		}
	default:
		st.failures++
		st.notBefore = now.Add(readBackoff(st.failures, refresh))
		failed.add(id, o.err)
	}
	return true
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

// readReport reads the report of the task id: the defects statistic, then
// the summary (the first failure ends it: the second call would meet the
// same trouble), noting whether the first call was sent, so that a read the
// rate limit cut in half still counts as asked for. Each call has its own
// reportCallTimeout.
func readReport(ctx context.Context, client *codearts.Client, id string) outcome {
	var o outcome
	var err error
	callCtx, cancel := context.WithTimeout(ctx, reportCallTimeout)
	o.report.Statistic, err = client.DefectsStatistic(callCtx, id)
	cancel()
	if err != nil {
		o.err, o.asked = fmt.Errorf("defects statistic: %w", err), countingOf(err).sent
		return o
	}
	o.asked = true
	callCtx, cancel = context.WithTimeout(ctx, reportCallTimeout)
	o.report.Summary, err = client.DefectsSummary(callCtx, id)
	cancel()
	if err != nil {
		o.err = fmt.Errorf("defects summary: %w", err)
	}
	return o
}
