package collector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/codearts-check-exporter/codearts_check_exporter/config"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/api"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/codearts"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/session"
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
// call on every scrape.
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
// Another failed read is tried again no sooner than failedReadRetry later.
//
// The values served are those of the last good read, kept compactly per
// task (reportValues), as progress values are; they go when the task
// leaves the task set, or when quality.enabled is turned off.

// failedReadRetry is how long a task whose report read failed (other than
// refused, or not sent) waits before the next attempt: the client has
// retried what can be retried already, and a report the API keeps failing
// must not cost a call on every scrape.
const failedReadRetry = time.Minute

// reportReserveDivisor: report calls take a budget token only until
// 1/reportReserveDivisor of the collection's time is left.
const reportReserveDivisor = 10

// qualityBook is the Collector's report state, guarded by Collector.mu.
type qualityBook struct {
	now   func() time.Time // time.Now; tests set a fake clock
	tasks map[string]*qualityState
}

// qualityState is what the exporter keeps of one task's reports.
type qualityState struct {
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
}

// ready reports whether st's report should be read at now.
func (st *qualityState) ready(now time.Time) bool {
	return !now.Before(st.notBefore) && (st.due || !now.Before(st.refresh))
}

// reportRead is the outcome of one report read in a collection.
type reportRead struct {
	task   int // index into the collection's tasks
	report codearts.Report
	err    error
	asked  bool // a call was sent
	at     time.Time
}

// plan updates the report state of tasks from this collection's progress
// results, forgets tasks no longer in the set, and returns the indexes of
// the tasks whose report should be read, stalest first. c.mu must be held.
func (q *qualityBook) plan(tasks []config.Task, results []result) []int {
	now := q.now()
	kept := make(map[string]*qualityState, len(tasks))
	var due []int
	for i, t := range tasks {
		st := q.tasks[t.ID]
		if st == nil {
			st = &qualityState{due: true}
		}
		if _, listed := kept[t.ID]; listed {
			continue // a task listed twice is read once
		}
		kept[t.ID] = st
		if results[i].err != nil {
			continue
		}
		status := results[i].progress.Status
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
		if c := readTime(sa.report).Compare(readTime(sb.report)); c != 0 {
			return c
		}
		return sa.asked.Compare(sb.asked)
	})
	return due
}

func readTime(r *reportValues) time.Time {
	if r == nil {
		return time.Time{}
	}
	return r.at
}

// readReports reads the reports of the tasks due (indexes into tasks, in
// order) with what ctx's deadline and the API budget leave, with at most
// sess.Config.Concurrency reads in flight. A read not started has a nil
// report and err nil; see sent.
func (c *Collector) readReports(ctx context.Context, sess session.API, tasks []config.Task, due []int, start time.Time) []reportRead {
	reads := make([]reportRead, len(due))
	if len(due) == 0 {
		return reads
	}
	startBy := time.Time{}
	if deadline, ok := ctx.Deadline(); ok {
		startBy = deadline.Add(-deadline.Sub(start) / reportReserveDivisor)
		ctx = api.WithBudgetDeadline(ctx, startBy)
	}
	workers := min(sess.Config.Concurrency, len(due))
	if rate := sess.Config.MaxRequestsPerSecond; rate > 0 && !startBy.IsZero() {
		// A read is two calls, and the budget hands out tokens in the
		// order they are asked for: with more reads in flight than the
		// budget can finish before startBy, each would get its first call
		// and not its second, and every read would be wasted, scrape
		// after scrape.
		workers = max(1, min(workers, int(rate*time.Until(startBy).Seconds()/2)))
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for ctx.Err() == nil && (startBy.IsZero() || time.Now().Before(startBy)) {
				n := int(next.Add(1) - 1)
				if n >= len(due) {
					return
				}
				i := due[n]
				reads[n] = readReport(ctx, sess, tasks[i].ID)
				reads[n].task, reads[n].at = i, c.quality.now()
			}
		})
	}
	wg.Wait()
	for n := range reads {
		if reads[n].at.IsZero() {
			reads[n] = reportRead{task: due[n], err: errNotStarted}
		}
	}
	return reads
}

// readReport reads the report of the task id: the defects statistic, then
// the summary, as codearts.Client.Report does, but noting whether the
// first call was sent, so that a read the budget cut in half still counts
// as asked for.
func readReport(ctx context.Context, sess session.API, id string) reportRead {
	var r reportRead
	var err error
	r.report.Statistic, err = sess.Client.DefectsStatistic(ctx, id)
	if err != nil {
		r.err, r.asked = fmt.Errorf("defects statistic: %w", err), wasSent(err)
		return r
	}
	r.asked = true
	if r.report.Summary, err = sess.Client.DefectsSummary(ctx, id); err != nil {
		r.err = fmt.Errorf("defects summary: %w", err)
	}
	return r
}

// errNotStarted is the outcome of a read the collection had no time left for.
var errNotStarted = errors.New("report read left for a later scrape")

// record applies the outcomes of this collection's reads to the report
// state and logs what went wrong. c.mu must be held.
func (q *qualityBook) record(tasks []config.Task, reads []reportRead, refresh time.Duration, logger *slog.Logger) {
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
			st.report = newReportValues(r.report, r.at)
			st.due, st.refused = false, false
			st.refresh, st.notBefore = r.at.Add(refresh), time.Time{}
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
			st.notBefore = r.at.Add(failedReadRetry)
			failed.add(id, r.err)
		}
	}
	if deferred > 0 {
		logger.Debug("task report reads left for a later scrape: no time or API budget left after the progress queries",
			"tasks", deferred, "due_tasks", len(reads))
	}
	failed.logAs(logger, "task report reads failed", len(reads))
}

// report returns the report served for the task id, nil if none. c.mu must
// be held.
func (q *qualityBook) report(id string) *reportValues {
	if st := q.tasks[id]; st != nil {
		return st.report
	}
	return nil
}

// Bits of reportValues.has.
const (
	hasSeverity0 = 1 << iota // one bit per codearts.Severities, in order
	_
	_
	_
	hasStatus0 // one bit per codearts.DefectStatuses, in order
	_
	_
	hasCheckStart
	hasCheckEnd
	hasCodeLines
	hasDuplication
	hasComment
	hasGate
)

// reportValues is what the exporter serves of a task's report: the values
// of its series and nothing else (~120 bytes).
type reportValues struct {
	at                   time.Time // when it was read
	has                  uint16    // which values are known
	severity             [len(codearts.Severities)]float64
	status               [len(codearts.DefectStatuses)]float64
	checkStart, checkEnd float64 // Unix seconds
	codeLines            float64
	duplication, comment float64
	gate                 float64
	taskName, gitBranch  string // "" when the summary gives none
}

func newReportValues(r codearts.Report, at time.Time) *reportValues {
	v := &reportValues{at: at}
	for i, s := range codearts.Severities {
		if n, ok := r.Statistic.Severity[s]; ok {
			v.severity[i], v.has = float64(n), v.has|hasSeverity0<<i
		}
	}
	for i, s := range codearts.DefectStatuses {
		if n, ok := r.Statistic.Status[s]; ok {
			v.status[i], v.has = float64(n), v.has|hasStatus0<<i
		}
	}
	start := r.Statistic.LastCheckStart
	if start.IsZero() {
		// The summary's last_check_time is the start of the same check.
		start = r.Summary.LastCheckTime
	}
	if !start.IsZero() {
		v.checkStart, v.has = unixSeconds(start), v.has|hasCheckStart
	}
	if end := r.Statistic.LastCheckEnd; !end.IsZero() {
		v.checkEnd, v.has = unixSeconds(end), v.has|hasCheckEnd
	}
	s := r.Summary
	if s.HasCodeLines {
		v.codeLines, v.has = float64(s.CodeLines), v.has|hasCodeLines
	}
	if s.HasDuplicationRatio {
		v.duplication, v.has = s.DuplicationRatio, v.has|hasDuplication
	}
	if s.HasCommentRatio {
		v.comment, v.has = s.CommentRatio, v.has|hasComment
	}
	if s.HasQualityGate {
		v.gate, v.has = boolValue(s.QualityGatePassed), v.has|hasGate
	}
	v.taskName, v.gitBranch = labelText(s.TaskName), labelText(s.GitBranch)
	return v
}

// labelText bounds a name from the API that becomes a label value as
// tasks[].name is bounded in the configuration.
func labelText(s string) string {
	if utf8.RuneCountInString(s) <= config.MaxTaskNameLength {
		return s
	}
	runes := []rune(s)
	return string(runes[:config.MaxTaskNameLength])
}

func unixSeconds(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }
