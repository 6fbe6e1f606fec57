package collector

import (
	"slices"
	"strings"
	"time"

	"github.com/codearts-check-exporter/codearts_check_exporter/config"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/api"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/codearts"
)

// record folds a collection's outcomes into the memory — the only code that
// changes it — counts what api.Caller did not, logs, and builds the
// snapshot. It runs in two steps: recordProgress after the progress queries
// and listings, so that the report policy sees their answers, and
// recordReports after the report reads.

// recordProgress records the progress queries and listings of a collection
// at now, and returns the memory of each task.
func (s *Scraper) recordProgress(cfg *config.Config, tasks []config.Task, p collectionPlan, results []result, listings map[string]listed, now time.Time) []*taskMemory {
	mem := &s.memory
	mems := mem.keep(tasks)
	mem.round++
	cd := cfg.ChangeDetection.Enabled
	if cd {
		mem.spread = p.spread
	} else {
		mem.spread, mem.badTimeLogged = spread{}, nil
	}
	quality, history := cfg.Quality.On(), cfg.History.On()
	for i, t := range tasks {
		m, r := mems[i], &results[i]
		c := countingOf(r.err)
		if c.sent {
			m.sched = schedMemory{sentRound: mem.round, failed: r.err != nil}
		}
		if c.countHere {
			s.metrics.CountError(c.code)
		}
		prev := m.answer
		switch {
		case r.err != nil:
		case r.byListing:
			m.answer.at = now
		default:
			pr := r.progress
			m.answer = answer{known: true, status: pr.Status, ratio: pr.Ratio, hasRatio: pr.HasRatio, at: now}
		}
		if !cd || t.ProjectID == "" {
			m.change = changeMemory{}
		} else if r.err == nil && !r.byListing {
			r.checkMoved = s.recordCheck(&m.change, t, prev, r, listings[t.ProjectID], now)
		}
		if !quality {
			m.report = reportMemory{due: true} // its series go, and a read is due when it is on again
		} else if r.err == nil {
			m.report.seeProgress(m.answer.status, r.checkMoved)
		}
		reads := history && t.ProjectID != ""
		if !reads {
			m.history.stopReads(now)
		}
		switch {
		case r.err != nil:
		case r.byListing:
			m.history.seeListing(reads, now)
		default:
			m.history.seeProgress(m.answer.status, r.checkMoved, reads, now)
		}
	}
	return mems
}

// recordCheck records in ch a progress answer r of task t, whose answer was
// prev, beside its project's listing l, and reports whether
// last_check_time moved to a newer time.
func (s *Scraper) recordCheck(ch *changeMemory, t config.Task, prev answer, r *result, l listed, now time.Time) bool {
	ch.answered = now
	status := r.progress.Status
	// The status shows the check followed: it runs, it ended after
	// running, or it ended with another result than the last.
	shows := status == codearts.StatusChecking || prev.known && (prev.status == codearts.StatusChecking || prev.status != status)
	if shows || !now.Before(ch.follow) {
		ch.follow = time.Time{}
	}
	var lt codearts.ListedTask
	found := false
	for _, x := range l.Tasks {
		if x.ID == t.ID {
			lt, found = x, true
			break
		}
	}
	if !found {
		return false
	}
	if !lt.LastCheckValid {
		s.logBadTime(t.ProjectID, lt)
		return false
	}
	at := lt.LastCheckTime
	moved := ch.listed && at.After(ch.newest)
	// The listing's time is the baseline of this answer if the query went
	// after the listing; or if there was one already (a change since shows
	// as moved, and is followed); or if its check is too old to be one
	// the answer may not show yet.
	if ch.listed || l.end.Before(r.sentAt) || at.Before(now.Add(-followWindow)) {
		ch.lastCheck, ch.listed = at, true
	}
	if at.After(ch.newest) {
		ch.newest = at
	}
	if moved && !shows {
		ch.follow = now.Add(followWindow)
	}
	return moved
}

// logBadTime logs, once per project, a last_check_time that cannot be read:
// its tasks are asked for their progress on every scrape.
func (s *Scraper) logBadTime(project string, lt codearts.ListedTask) {
	if s.memory.badTimeLogged[project] {
		return
	}
	if s.memory.badTimeLogged == nil {
		s.memory.badTimeLogged = map[string]bool{}
	}
	s.memory.badTimeLogged[project] = true
	s.logger.Warn("Change detection: a listed last_check_time is not a time the exporter can read; the project's tasks with such a time are asked for their progress on every scrape",
		"project_id", project, "example_task_id", lt.ID, "last_check_time", lt.LastCheckRaw)
}

// recordHistories records the history reads among reads, which took no
// check that ended after until.
func (s *Scraper) recordHistories(tasks []config.Task, mems []*taskMemory, reads []*job, until time.Time) {
	failed := newErrorSummary()
	n, deferred := 0, 0
	now := s.now()
	for _, j := range reads {
		if j.kind != historyCall {
			continue
		}
		n++
		if !mems[j.task].history.recordRead(tasks[j.task].ID, j.out, until, now, s.checkDuration.Observe, failed, s.logger) {
			deferred++
		}
	}
	if deferred > 0 {
		s.logger.Debug("task check history reads left for a later scrape: no time or rate limit left after the progress queries",
			"tasks", deferred, "due_tasks", n)
	}
	failed.logAs(s.logger, "task check history reads failed", n)
}

// recordReports records the report reads of a collection and returns its
// snapshot.
func (s *Scraper) recordReports(cfg *config.Config, tasks []config.Task, mems []*taskMemory, results []result, reads []*job) *snapshot {
	failed := newErrorSummary()
	deferred := 0
	refresh := time.Duration(cfg.Quality.RefreshInterval)
	due := 0
	for _, j := range reads {
		if j.kind != reportCall {
			continue
		}
		due++
		if !mems[j.task].report.recordRead(tasks[j.task].ID, j.out, s.now(), refresh, failed, s.logger) {
			deferred++
		}
	}
	if deferred > 0 {
		s.logger.Debug("task report reads left for a later scrape: no time or rate limit left after the progress queries",
			"tasks", deferred, "due_tasks", due)
	}
	failed.logAs(s.logger, "task report reads failed", due)

	errs := newErrorSummary()
	successes := 0
	snap := &snapshot{rows: make([]taskRow, 0, len(tasks))}
	for _, i := range byID(tasks) {
		task, r, m := tasks[i], results[i], mems[i]
		switch {
		case r.err != nil:
			errs.add(task.ID, r.err)
			logEncodedAuthorization(s.logger, task.ID, r.err)
		case r.byListing:
			successes++
			snap.byListing++
		default:
			successes++
			snap.byProgress++
		}
		report := m.report.values
		if report != nil {
			// Where the configuration and discovery give no name or
			// branch, the report's fill them.
			if task.Name == "" {
				task.Name = report.taskName
			}
			if task.GitBranch == "" {
				task.GitBranch = report.gitBranch
			}
		}
		a := m.answer
		snap.add(taskRow{
			task:        task,
			success:     r.err == nil,
			errorCode:   api.Code(r.err),
			duration:    r.took.Seconds(),
			known:       a.known,
			status:      float64(a.status),
			hasRatio:    a.hasRatio,
			ratio:       a.ratio,
			lastSuccess: unixSeconds(a.at),
			report:      report,
			checks:      checkValues{known: m.history.known, counts: m.history.counts, last: m.history.last, hasLast: m.history.hasLast},
		})
	}
	errs.log(s.logger, len(tasks))
	snap.up = successes > 0 || len(tasks) == 0
	return snap
}

// logTracked says how many tasks are change-tracked and how many not, and
// why, once for each configuration and whenever the numbers change.
func (s *Scraper) logTracked(cfg *config.Config, tasks []config.Task) {
	if !cfg.ChangeDetection.Enabled {
		s.memory.loggedTracked = loggedTracked{}
		return
	}
	l := loggedTracked{cfg: cfg}
	for i := range tasks {
		if tasks[i].ProjectID != "" {
			l.tracked++
		} else {
			l.other++
		}
	}
	if l == s.memory.loggedTracked {
		return
	}
	s.memory.loggedTracked = l
	if s.lister == nil {
		s.logger.Warn("change_detection is enabled but the exporter has no project lister; every task is asked for its progress")
	}
	attrs := []any{"tracked_tasks", l.tracked, "untracked_tasks", l.other}
	if l.other > 0 {
		attrs = append(attrs, "untracked_reason",
			"no CodeArts project known: set tasks[].project_id or discover the task; these are asked for their progress on every scrape")
	}
	s.logger.Info("Change detection: tasks whose project is listed before their progress is read", attrs...)
}

// byID returns the indexes of tasks in the order of their IDs.
func byID(tasks []config.Task) []int {
	order := make([]int, len(tasks))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return strings.Compare(tasks[a].ID, tasks[b].ID) })
	return order
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
