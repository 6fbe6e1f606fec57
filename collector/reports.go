package collector

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/codearts-check-exporter/codearts_check_exporter/internal/api"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/codearts"
)

// Reports (quality.enabled): the report part of plan and record;
// docs/reports.md states when a report is read. Only a task this collection
// answered is read (a deleted task would cost a failed call every scrape),
// never one never checked (the API's zeros would pass for a clean task).

const (
	failedReadRetry      = time.Minute // the first back-off of a failed read
	reportReserveDivisor = 10
)

// reportCallTimeout bounds each report call: the service answers in well
// under a second, and one that hangs must not spend the scrape's deadline.
var reportCallTimeout = 5 * time.Second

// reportMemory is what the exporter keeps of one task's reports.
type reportMemory struct {
	values      *reportValues // the last good read; nil: none. Never modified: snapshots share it.
	status      int           // the last progress answer's (never checked while the first check runs)
	hasStatus   bool
	due         bool      // first seen, or a check finished: read at the next chance
	refresh     time.Time // read from then on, due or not
	notBefore   time.Time // after a refusal or failure: no read before then
	refused     bool      // the refusal was logged
	asked       time.Time // when a read last sent a call
	read        time.Time // when the last good read came
	failures    int       // failed reads in a row
	unknownGate string    // the is_access value not understood last logged
}

// seeProgress notes a progress answer of status; checkMoved: change
// detection saw last_check_time move to a newer time.
func (st *reportMemory) seeProgress(status int, checkMoved bool) {
	if status == codearts.StatusNeverChecked ||
		status == codearts.StatusChecking && st.hasStatus && st.status == codearts.StatusNeverChecked {
		// No check has finished. The first check running counts as never
		// checked, so that its end is the change that reads a report.
		st.status, st.hasStatus = codearts.StatusNeverChecked, true
		st.values, st.due = nil, false
		return
	}
	if st.hasStatus && status != codearts.StatusChecking && (status != st.status || checkMoved) {
		st.due = true
	}
	st.status, st.hasStatus = status, true
}

// readsDue returns the reads of this collection, of tasks it answered: the
// reports due, stalest first, then the histories due. A task whose reports
// or history are off is never due (recordProgress).
func readsDue(mems []*taskMemory, results []outcome, now time.Time) []call {
	var reports, histories []call
	for i, m := range mems {
		st, h := &m.report, &m.history
		if results[i].err == nil && st.hasStatus && st.status != codearts.StatusNeverChecked &&
			!now.Before(st.notBefore) && (st.due || !now.Before(st.refresh)) {
			reports = append(reports, call{kind: reportCall, task: i})
		}
		if results[i].err == nil && h.due && !now.Before(h.notBefore) {
			histories = append(histories, call{kind: historyCall, task: i})
		}
	}
	// Among equals, the one asked least recently: a read the rate limit cut
	// in half does not go again before one never tried.
	slices.SortStableFunc(reports, func(a, b call) int {
		sa, sb := &mems[a.task].report, &mems[b.task].report
		return cmp.Or(sa.read.Compare(sb.read), sa.asked.Compare(sb.asked))
	})
	return append(reports, histories...)
}

// recordRead applies the outcome o of the report read of the task id at
// now, noting failures in failed; false: the read was left for later.
func (st *reportMemory) recordRead(id string, o outcome, now time.Time, refresh time.Duration, failed errorSummary,
	logger *slog.Logger) bool {
	if o.asked {
		st.asked = now
	}
	switch {
	case o.err == nil:
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
// failedReadRetry, doubled for each failure after the first, up to limit.
func readBackoff(n int, limit time.Duration) time.Duration {
	d := failedReadRetry
	for i := 1; i < n && d < limit; i++ {
		d *= 2
	}
	return max(failedReadRetry, min(d, limit))
}

// readReport reads the defects statistic, then the summary, of the task
// id. The first failure ends it; asked: the first call was sent.
func readReport(ctx context.Context, client *codearts.Client, id string) outcome {
	var o outcome
	var err error
	callCtx, cancel := context.WithTimeout(ctx, reportCallTimeout)
	o.report.Statistic, err = client.DefectsStatistic(callCtx, id)
	cancel()
	if o.asked = countingOf(err).sent; err != nil {
		o.err = fmt.Errorf("defects statistic: %w", err)
		return o
	}
	callCtx, cancel = context.WithTimeout(ctx, reportCallTimeout)
	defer cancel()
	if o.report.Summary, err = client.DefectsSummary(callCtx, id); err != nil {
		o.err = fmt.Errorf("defects summary: %w", err)
	}
	return o
}
