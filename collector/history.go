package collector

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/codearts-check-exporter/codearts_check_exporter/config"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/api"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/codearts"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/namespace"
)

// Check history: every finished check of a task counted once, by result
// (codearts_check_task_checks_total), and its duration observed
// (codearts_check_check_duration_seconds,
// codearts_check_task_last_check_duration_seconds). The history part of
// plan and record; docs/history.md is the user's side.
//
// A check is counted when a progress answer reveals that it finished, at
// once, with the result that answer gives:
//
//   - the status went from checking (0) or never checked (null) to a
//     result (1 failed, 2 succeeded, 3 stopped), or from one result to
//     another;
//   - with change detection, the listing's last_check_time moved to a time
//     not accounted for while the status stayed the same result: a whole
//     check ran between two answers. That one is held for followWindow
//     first, because the time also moves when a check is queued, before
//     its status shows it (plan.go): if the status then shows a check
//     (checking, or another result) the held time was that check, which is
//     counted when it ends; if the window passes, or the time moves again,
//     the held check is counted with the result it showed. Counting it at
//     once would count a queued check twice.
//
// The first answer for a task after start-up is its baseline: nothing
// that ended before it is counted. A check running at the baseline is
// counted when it ends.
//
// For a task whose CodeArts project is known, with history.enabled, each
// revealed check makes a history read due (CheckRecord), made after the
// progress queries with what the deadline and the rate limit leave, like
// a report read and in the same run (scraper.go). It asks for the checks
// that started from the newest one accounted for (before any: the
// baseline less historyLookBack), and takes those that ended after the
// baseline, no later than the progress answers came, and started after the
// newest accounted for. The newest of them, as many as progress revealed
// and no history read has matched yet (pending), are the checks already
// counted: only their durations are observed. Each older one is a check
// whose result no answer showed (it ran, and another followed before the
// exporter saw it end): it is counted unknown, and its duration observed.
// A read that stopped at codearts.MaxCheckRecordPages counts what it read
// as unknown and stays due: the service's order is not documented, and the
// revealed checks are matched only against a read that saw every check
// since the last one accounted for.
//
// A failed read backs off as a report read does (readBackoff, up to
// historyBackoffCap); a refused one (codearts.ReportRefused: a missing
// permission) is logged once per task with its code, and waits
// historyBackoffCap. Either way no count is lost: progress counted the
// revealed checks, and the next read starts where the last good one
// ended. With history.enabled off, or no project, no history call is made
// and progress alone counts.

// historyLookBack is how far before the baseline the first read of a task
// asks from: the check that runs at the baseline started before it, and a
// code check lasts hours at most.
const historyLookBack = 24 * time.Hour

// historyBackoffCap bounds the back-off of failed history reads, and is
// how long a refused one waits.
const historyBackoffCap = time.Hour

// historyReadTimeout bounds one history read (up to
// codearts.MaxCheckRecordPages calls, never beyond the deadline): a page
// holds at most 1,000 small records.
var historyReadTimeout = 10 * time.Second

// The results a check is counted under, in the order of their names
// (the order of their series).
const (
	resultFailed = iota
	resultStopped
	resultSucceeded
	resultUnknown
	numResults
)

var resultNames = [numResults]string{"failed", "stopped", "succeeded", "unknown"}

// resultOf is the result index of a status, false for a status that is no
// result (checking, never checked, one the exporter does not know).
func resultOf(status int) (int, bool) {
	switch status {
	case codearts.StatusFailed:
		return resultFailed, true
	case codearts.StatusSucceeded:
		return resultSucceeded, true
	case codearts.StatusStopped:
		return resultStopped, true
	}
	return 0, false
}

// historyMemory is what the exporter keeps of a task's checks.
type historyMemory struct {
	known bool // the baseline is taken
	// baseline is the first valid answer after start-up: nothing that
	// ended before it is counted. While the task's history is not read
	// it moves with every collection, so that when reads start again they
	// take nothing progress may have counted meanwhile.
	baseline time.Time
	status   int // the status of the last progress answer
	// held is when a moved last_check_time with an unchanged result was
	// seen, zero when none is held; heldResult is that result.
	held       time.Time
	heldResult int
	counts     [numResults]float64

	// The history reads.
	pending   int       // revealed checks no read has matched with a record yet
	due       bool      // a read is due
	newest    time.Time // start of the newest record accounted for; zero: none
	last      float64   // duration of the latest ended check read, seconds
	hasLast   bool
	notBefore time.Time // after a failure or refusal: no read before then
	failures  int       // failed reads in a row
	refused   bool      // the refusal was logged; reset by a good read
}

// seeProgress notes a progress answer of status at now: moved, change
// detection saw last_check_time move to a time not seen before; reads, the
// task's history is read (history on, project known). It counts the check
// the answer reveals, if any. It is part of record.
func (h *historyMemory) seeProgress(status int, moved, reads bool, now time.Time) {
	if !h.known {
		h.known, h.baseline, h.status = true, now, status
		return
	}
	prev := h.status
	h.status = status
	if moved && !h.held.IsZero() {
		// The time moved again: the held one was a check of its own.
		h.reveal(h.heldResult, reads)
		h.held = time.Time{}
	}
	result, isResult := resultOf(status)
	_, wasResult := resultOf(prev)
	switch {
	case isResult && (prev != status || !wasResult):
		// Checking or never checked -> a result, or another result: the
		// check that ended, which a held time was too.
		h.held = time.Time{}
		h.reveal(result, reads)
	case !isResult:
		// Checking (a held time was this check, queued) or no check.
		h.held = time.Time{}
	case moved:
		h.held, h.heldResult = now, result
	}
	h.expire(now, reads)
}

// seeListing notes that a listing confirmed the task unchanged at now.
func (h *historyMemory) seeListing(reads bool, now time.Time) {
	h.expire(now, reads)
}

// expire counts a held check whose followWindow passed with its result
// unchanged: a whole check ran between two answers.
func (h *historyMemory) expire(now time.Time, reads bool) {
	if !h.held.IsZero() && !now.Before(h.held.Add(followWindow)) {
		h.reveal(h.heldResult, reads)
		h.held = time.Time{}
	}
}

// reveal counts a finished check under result, and makes a history read
// due when reads.
func (h *historyMemory) reveal(result int, reads bool) {
	h.counts[result]++
	if reads {
		h.pending++
		h.due = true
	}
}

// stopReads forgets the reads' state when the task's history is not read
// at now (history off, project unknown): a read due would never be made,
// and the checks until now are progress's alone. The counts stay.
func (h *historyMemory) stopReads(now time.Time) {
	h.pending, h.due, h.failures, h.refused = 0, false, 0, false
	h.notBefore, h.newest = time.Time{}, time.Time{}
	if h.known {
		h.baseline = now
	}
}

// since is the start time a read of the task asks from.
func (h *historyMemory) since() time.Time {
	if h.newest.IsZero() {
		return h.baseline.Add(-historyLookBack)
	}
	return h.newest
}

// historyDue returns the indexes of the tasks whose history is read in
// this collection at now: those whose progress this collection answered
// (answered[i]), with a project (tasks[i].ProjectID), whose read is due
// and not backing off, in the order of tasks (a read left for later is
// due still, and the ones made are due no more). It is part of the plan.
func historyDue(tasks []config.Task, mems []*taskMemory, answered []bool, on bool, now time.Time) []int {
	if !on {
		return nil
	}
	var due []int
	for i, m := range mems {
		h := &m.history
		if answered[i] && tasks[i].ProjectID != "" && h.due && !now.Before(h.notBefore) {
			due = append(due, i)
		}
	}
	return due
}

// recordRead applies the outcome o of the history read of the task id,
// which asked for checks that ended until until, at now; observe gets
// each duration observed. It returns false for a read left for a later
// scrape. It is part of record.
func (h *historyMemory) recordRead(id string, o outcome, until, now time.Time, observe func(seconds float64),
	failed *errorSummary, logger *slog.Logger) bool {
	switch {
	case o.err == nil:
	case !countingOf(o.err).sent:
		return false
	case codearts.ReportRefused(o.err):
		h.notBefore = now.Add(historyBackoffCap)
		if !h.refused {
			h.refused = true
			logger.Warn("task check history refused: grant the exporter's credentials the IAM permission "+
				codearts.CheckRecordPermissions[0]+" or "+codearts.CheckRecordPermissions[1]+
				" (the API reference names both), or set history.enabled: false; checks are still counted from progress, and the history is asked for again later",
				"task_id", id, "error_code", api.Code(o.err), "retry_after", historyBackoffCap, "err", o.err)
		}
		return true
	default:
		h.failures++
		h.notBefore = now.Add(readBackoff(h.failures, historyBackoffCap))
		failed.add(id, o.err)
		return true
	}
	h.failures, h.refused, h.notBefore = 0, false, time.Time{}
	var taken []codearts.CheckRecord
	for _, r := range o.history.Records {
		if r.Ended() && r.End.After(h.baseline) && !r.End.After(until) && r.Start.After(h.newest) {
			taken = append(taken, r)
		}
	}
	matched := 0
	if o.history.Complete {
		matched = min(h.pending, len(taken))
		h.pending -= matched
	}
	h.counts[resultUnknown] += float64(len(taken) - matched)
	for _, r := range taken {
		d, _ := r.Duration()
		observe(d.Seconds())
	}
	if n := len(taken); n > 0 {
		d, _ := taken[n-1].Duration()
		h.newest, h.last, h.hasLast = taken[n-1].Start, d.Seconds(), true
	}
	// A read cut short reads the rest next time. Revealed checks the
	// history does not list yet are matched by the read of the next one.
	h.due = !o.history.Complete
	return true
}

// readHistory reads the check history of task t from the start since,
// within historyReadTimeout.
func readHistory(ctx context.Context, client *codearts.Client, t config.Task, since time.Time) outcome {
	ctx, cancel := context.WithTimeout(ctx, historyReadTimeout)
	defer cancel()
	h, err := client.CheckRecords(ctx, t.ProjectID, t.ID, since, time.Time{})
	return outcome{history: h, err: err}
}

// newCheckDuration returns codearts_check_check_duration_seconds. Its
// buckets are for code checks: an incremental check or a small repository
// takes under a minute, a full check of a large one hours, so they run
// from 30 s to 4 h, about
// evenly on a log scale, closer around the minutes-long checks most tasks
// run. A Prometheus that scrapes native histograms gets one instead, with
// buckets 10 % wide, at most 100 of them.
func newCheckDuration() prometheus.Histogram {
	return prometheus.NewHistogram(prometheus.HistogramOpts{
		Namespace: namespace.Name,
		Name:      "check_duration_seconds",
		Help:      checkDurationHelp,
		Buckets: []float64{30, 60, 120, 180, 300, 450, 600, 900, 1200, 1800, 2700, 3600,
			5400, 7200, 10800, 14400},
		NativeHistogramBucketFactor:     1.1,
		NativeHistogramMaxBucketNumber:  100,
		NativeHistogramMinResetDuration: time.Hour,
	})
}
