package collector

import (
	"context"
	"log/slog"
	"time"

	"github.com/codearts-check-exporter/codearts_check_exporter/config"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/api"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/codearts"
)

// Check history: the history part of plan and record; docs/history.md
// states the rules. A read cut short matches none of the pending checks
// (the service's order is not documented) and stays due.

const (
	historyLookBack   = 24 * time.Hour // before the baseline, where the first read starts: a check lasts hours at most
	historyBackoffCap = time.Hour      // of failed reads, and how long a refused one waits
)

// historyReadTimeout bounds one read (codearts.MaxCheckRecordPages pages).
var historyReadTimeout = 10 * time.Second

// The results a check is counted under, in the order of their series.
const (
	resultFailed = iota
	resultStopped
	resultSucceeded
	resultUnknown
	numResults
)

var resultNames = [numResults]string{"failed", "stopped", "succeeded", "unknown"}

// resultOf maps the statuses that are a check's result to it.
var resultOf = map[int]int{codearts.StatusFailed: resultFailed, codearts.StatusSucceeded: resultSucceeded,
	codearts.StatusStopped: resultStopped}

// historyMemory is what the exporter keeps of a task's checks.
type historyMemory struct {
	checkValues // served
	// baseline: nothing that ended before it is counted. While the history
	// is not read it moves along, so that reads take nothing progress counted.
	baseline   time.Time
	held       time.Time // when a moved last_check_time under an unchanged result was seen; zero: none
	heldResult int

	pending   int       // revealed checks no read has matched yet
	due       bool      // a read is due
	newest    time.Time // start of the newest record accounted for
	notBefore time.Time // after a failure or refusal
	failures  int       // failed reads in a row
	refused   bool      // the refusal was logged
}

// seeProgress counts the check a progress answer of status at now, after
// last, reveals: moved, last_check_time moved to a newer time; reads, the
// history is read.
func (h *historyMemory) seeProgress(last answer, status int, moved, reads bool, now time.Time) {
	if !last.known {
		h.baseline = now
		return
	}
	prev := last.status
	if moved && !h.held.IsZero() { // the time moved again: the held one was a check of its own
		h.reveal(h.heldResult, reads)
		h.held = time.Time{}
	}
	result, isResult := resultOf[status]
	_, wasResult := resultOf[prev]
	switch {
	case isResult && (prev != status || !wasResult): // the check that ended, which a held time was too
		h.held = time.Time{}
		h.reveal(result, reads)
	case !isResult: // checking (a held time was this check, queued) or no check
		h.held = time.Time{}
	case moved:
		h.held, h.heldResult = now, result
	}
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

// reveal counts a finished check, and makes a read due when reads.
func (h *historyMemory) reveal(result int, reads bool) {
	h.counts[result]++
	if reads {
		h.pending++
		h.due = true
	}
}

// stopReads forgets the reads while the history is not read; the counts
// stay.
func (h *historyMemory) stopReads(now time.Time) {
	h.pending, h.due, h.failures, h.refused = 0, false, 0, false
	// Unknown, the baseline is taken at the first answer anyway.
	h.notBefore, h.newest, h.baseline = time.Time{}, time.Time{}, now
}

// recordRead applies the outcome o of the read of the task id, which took
// no check that ended after until; false: the read was left for later.
func (h *historyMemory) recordRead(id string, o outcome, until, now time.Time, observe func(seconds float64),
	failed errorSummary, logger *slog.Logger) bool {
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
		h.newest, h.last, h.hasLast = r.Start, d.Seconds(), true
		observe(d.Seconds())
	}
	h.due = !o.history.Complete
	return true
}

// read reads the check history of task t from the start of the newest
// record accounted for, or before the baseline.
func (h *historyMemory) read(ctx context.Context, client *codearts.Client, t config.Task) outcome {
	since := h.newest
	if since.IsZero() {
		since = h.baseline.Add(-historyLookBack)
	}
	ctx, cancel := context.WithTimeout(ctx, historyReadTimeout)
	defer cancel()
	records, err := client.CheckRecords(ctx, t.ProjectID, t.ID, since, time.Time{})
	return outcome{history: records, err: err}
}
