package collector

import (
	"cmp"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/codearts-check-exporter/codearts_check_exporter/config"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/api"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/codearts"
)

// recordProgress records the progress queries and listings of a collection
// at now, before its reads, so that the reads due see their answers, and
// returns the memory of each task.
func (s *Scraper) recordProgress(cfg *config.Config, tasks []config.Task, results []outcome, listings map[string]listed,
	sp spread, now time.Time) []*taskMemory {
	mem := &s.memory
	mems := mem.keep(tasks)
	mem.round++
	cd := cfg.ChangeDetection.Enabled
	if mem.spread = sp; !cd || mem.badTimeLogged == nil {
		mem.badTimeLogged = map[string]bool{} // forgotten while change detection is off
	}
	for i, t := range tasks {
		m, r := mems[i], &results[i]
		c := countingOf(r.err)
		if c.sent {
			m.sentRound, m.failed = mem.round, r.err != nil
		}
		if c.countHere {
			s.metrics.CountError(c.code)
		}
		moved := false
		if !cd || t.ProjectID == "" {
			m.change = changeMemory{}
		} else if r.err == nil && !r.byListing {
			moved = s.recordCheck(&m.change, t, m.answer, r, listings[t.ProjectID], now)
		}
		reads := cfg.History.On() && t.ProjectID != ""
		if !reads {
			m.history.stopReads(now)
		}
		switch {
		case r.err != nil:
		case r.byListing:
			m.answer.at = now
			m.history.expire(now, reads)
		default:
			pr := r.progress
			m.history.seeProgress(m.answer, pr.Status, moved, reads, now)
			m.answer = answer{known: true, status: pr.Status, ratio: pr.Ratio, hasRatio: pr.HasRatio, at: now}
		}
		if !cfg.Quality.On() {
			m.report = reportMemory{due: true} // its series go; read when quality is on again
		} else if r.err == nil {
			m.report.seeProgress(m.answer.status, moved)
		}
	}
	return mems
}

// recordCheck records in ch the progress answer r of task t, whose last
// answer was prev, beside its project's listing l, and reports whether
// last_check_time moved to a newer time.
func (s *Scraper) recordCheck(ch *changeMemory, t config.Task, prev answer, r *outcome, l listed, now time.Time) bool {
	ch.answered = now
	status := r.progress.Status
	// The status shows the check followed: it runs, it ended after
	// running, or it ended with another result than the last.
	shows := status == codearts.StatusChecking || prev.known && (prev.status == codearts.StatusChecking || prev.status != status)
	if shows || !now.Before(ch.follow) {
		ch.follow = time.Time{}
	}
	lt, found := l.tasks[t.ID]
	if !found {
		return false
	}
	if !lt.LastCheckValid { // logged once per project
		if !s.memory.badTimeLogged[t.ProjectID] {
			s.memory.badTimeLogged[t.ProjectID] = true
			s.logger.Warn("Change detection: a listed last_check_time is not a time the exporter can read; the project's tasks with such a time are asked for their progress on every scrape",
				"project_id", t.ProjectID, "example_task_id", lt.ID, "last_check_time", lt.LastCheckRaw)
		}
		return false
	}
	at := lt.LastCheckTime
	moved := ch.listed && at.After(ch.newest)
	// The listing's time is this answer's baseline if the query went after
	// the listing, or there was one already (a change since shows as moved
	// and is followed), or its check is too old for the answer not to show.
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

// recordReads records the report and history reads of a collection; a
// history read took no check that ended after until.
func (s *Scraper) recordReads(cfg *config.Config, tasks []config.Task, mems []*taskMemory, reads []*job, until time.Time) {
	refresh := time.Duration(cfg.Quality.RefreshInterval)
	now := s.now()
	for _, kind := range []callKind{reportCall, historyCall} {
		failed := errorSummary{}
		due, deferred := 0, 0
		for _, j := range reads {
			if j.kind != kind {
				continue
			}
			due++
			id, m := tasks[j.task].ID, mems[j.task]
			if kind == reportCall && !m.report.recordRead(id, j.out, now, refresh, failed, s.logger) ||
				kind == historyCall && !m.history.recordRead(id, j.out, until, now, s.checkDuration.Observe, failed, s.logger) {
				deferred++
			}
		}
		what := map[callKind]string{reportCall: "task report", historyCall: "task check history"}[kind]
		if deferred > 0 {
			s.logger.Debug(what+" reads left for a later scrape: no time or rate limit left after the progress queries",
				"tasks", deferred, "due_tasks", due)
		}
		failed.log(s.logger, what+" reads failed", due)
	}
}

// snapshot logs the failed progress queries of a collection and returns its
// snapshot, rows by task ID.
func (s *Scraper) snapshot(tasks []config.Task, mems []*taskMemory, results []outcome) *snapshot {
	errs := errorSummary{}
	snap := &snapshot{rows: make([]taskRow, 0, len(tasks))}
	byID := make([]int, len(tasks))
	for i := range byID {
		byID[i] = i
	}
	slices.SortFunc(byID, func(a, b int) int { return cmp.Or(strings.Compare(tasks[a].ID, tasks[b].ID), a-b) })
	for _, i := range byID {
		task, r, m := tasks[i], results[i], mems[i]
		switch {
		case r.err != nil:
			errs.add(task.ID, r.err)
			// The diagnostic a gateway may send with a refused permission (403)
			// only the account's administrator can decode, and it differs on
			// every answer: debug, no warning, no label.
			if e, ok := errors.AsType[*api.Error](r.err); ok && e.EncodedAuthorizationMessage != "" {
				s.logger.Debug("task query refused; the account's administrator can decode encoded_authorization_message",
					"task_id", task.ID, "error_code", e.Code, "err", r.err,
					"encoded_authorization_message", e.EncodedAuthorizationMessage)
			}
		case r.byListing:
			snap.byListing++
		default:
			snap.byProgress++
		}
		report := m.report.values
		if report != nil { // where the configuration and discovery give no name or branch
			task.Name, task.GitBranch = cmp.Or(task.Name, report.taskName), cmp.Or(task.GitBranch, report.gitBranch)
		}
		snap.add(taskRow{task: task, errorCode: api.Code(r.err), duration: r.took.Seconds(),
			answer: m.answer, report: report, checks: m.history.checkValues})
	}
	errs.log(s.logger, "task queries failed", len(tasks))
	snap.up = snap.byListing+snap.byProgress > 0 || len(tasks) == 0
	return snap
}

// logTracked says how many tasks are change-tracked and how many not, and
// why, once for each configuration and whenever the numbers change.
func (s *Scraper) logTracked(cfg *config.Config, tasks []config.Task) {
	l := loggedTracked{}
	if cfg.ChangeDetection.Enabled {
		l.cfg, l.total = cfg, len(tasks)
		for _, t := range tasks {
			if t.ProjectID != "" {
				l.tracked++
			}
		}
	}
	prev := s.memory.loggedTracked
	if s.memory.loggedTracked = l; l == prev || l.cfg == nil {
		return
	}
	if s.lister == nil {
		s.logger.Warn("change_detection is enabled but the exporter has no project lister; every task is asked for its progress")
	}
	attrs := []any{"tracked_tasks", l.tracked, "untracked_tasks", l.total - l.tracked}
	if l.tracked < l.total {
		attrs = append(attrs, "untracked_reason",
			"no CodeArts project known: set tasks[].project_id or discover the task; these are asked for their progress on every scrape")
	}
	s.logger.Info("Change detection: tasks whose project is listed before their progress is read", attrs...)
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
