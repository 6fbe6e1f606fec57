package fakecloud

import "time"

// Checks and the task list's last_check_time.
//
// The API reference says last_check_time is the latest check across a
// task and its branch tasks, in UTC, but not whether it moves when a check
// starts or only when it ends. The simulator serves either reading
// (SetLastCheckMode), so that the exporter's change detection is tested
// under both:
//
//   - a demo task's checks start and end on its cycle (demo.go): a check
//     starts at each cycle's start and ends demoChecking later;
//   - another task's check starts when a test calls StartCheck and ends
//     when it calls FinishCheck (report.go). A FinishCheck without a
//     StartCheck before it is a whole check that ran between two looks:
//     it started reportCheckDuration before it ended;
//   - a task with a fixed report (SetReport) and no check since has that
//     report's times; any other task with a status and no check since
//     last ran at staticCheckEnd; a task never checked (task_status null)
//     has none, and the list leaves the field out.

// LastCheckMode is what the task list's last_check_time reports.
type LastCheckMode int

const (
	// LastCheckAtStart: the start of the latest check, running or not (the
	// default: the report call's last_check_time is a start, which
	// suggests this reading).
	LastCheckAtStart LastCheckMode = iota
	// LastCheckAtEnd: the end of the latest check that ended; a running
	// check does not move it.
	LastCheckAtEnd
)

// checkState is the simulator's record of checks, guarded by Server.mu.
type checkState struct {
	mode      LastCheckMode
	running   map[string]time.Time // start of the check StartCheck began, until FinishCheck
	lastStart map[string]time.Time // start of the latest check that ended
	lastEnd   map[string]time.Time // end of the latest check that ended
	// history is every check of a task that StartCheck or FinishCheck
	// touched, oldest first, for CheckRecord (checkrecord.go).
	history map[string][]checkRun
	queue   time.Duration // how long a started check waits in the queue
	queued  map[string]queuedCheck
}

// queuedCheck is a check StartCheck began that still waits in the queue:
// progress shows the task as it was before, until until.
type queuedCheck struct {
	before Task
	until  time.Time
}

// SetCheckQueue makes every later StartCheck queue its check for d: the
// task list's last_check_time moves at once (under LastCheckAtStart),
// while progress still shows the previous status until d has passed and
// only then checking (0). d <= 0 starts checks at once (the default).
func (s *Server) SetCheckQueue(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.checks.queue = max(d, 0)
}

// queuedState is the task as progress shows it while its check waits in
// the queue, and false once the check runs. s.mu is held.
func (s *Server) queuedState(taskID string) (Task, bool) {
	q, ok := s.checks.queued[taskID]
	if !ok {
		return Task{}, false
	}
	if !s.now().Before(q.until) {
		delete(s.checks.queued, taskID)
		return Task{}, false
	}
	return q.before, true
}

// SetLastCheckMode selects what the task list's last_check_time reports.
func (s *Server) SetLastCheckMode(m LastCheckMode) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.checks.mode = m
}

// StartCheck starts a check of a task that is not a demo task: its status
// becomes checking (0, "0%", "running") until FinishCheck ends it. It
// reports false, changing nothing, for an unknown or demo task.
func (s *Server) StartCheck(taskID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tasks[taskID]
	if !ok {
		return false
	}
	if _, ended := s.checks.lastEnd[taskID]; !ended && t.Status != nil {
		// The check before this one is the made-up one every checked
		// task has; pin it so that this check does not hide it.
		start, end := s.staticCheck(taskID)
		initMap(&s.checks.lastStart)[taskID], initMap(&s.checks.lastEnd)[taskID] = start, end
	}
	s.seedCheckHistory(t)
	if s.checks.queue > 0 {
		initMap(&s.checks.queued)[taskID] = queuedCheck{before: t, until: s.now().Add(s.checks.queue)}
	}
	t.Status, t.Ratio, t.Info = IntPtr(0), StrPtr("0%"), StrPtr("running")
	t.NoProgress, t.NullProgress = false, false
	s.tasks[taskID] = t
	initMap(&s.checks.running)[taskID] = s.now()
	runs := s.checks.history[taskID]
	if n := len(runs); n > 0 && runs[n-1].end.IsZero() {
		runs = runs[:n-1] // a check started again replaces the running one, as in running
	}
	s.checks.history[taskID] = append(runs, checkRun{start: s.now()})
	return true
}

// finishCheck records the end, at now, of a check of taskID. s.mu is held.
func (s *Server) finishCheck(taskID string, now time.Time) {
	start, ok := s.checks.running[taskID]
	if !ok {
		start = now.Add(-reportCheckDuration)
	}
	delete(s.checks.running, taskID)
	delete(s.checks.queued, taskID)
	initMap(&s.checks.lastStart)[taskID] = start
	initMap(&s.checks.lastEnd)[taskID] = now
	runs := initMap(&s.checks.history)[taskID]
	if n := len(runs); n > 0 && runs[n-1].end.IsZero() {
		runs = runs[:n-1]
	}
	s.checks.history[taskID] = append(runs, checkRun{start: start, end: now, n: s.reports.finished[taskID]})
}

// staticCheck is the latest check of a task that no StartCheck or
// FinishCheck touched. s.mu is held.
func (s *Server) staticCheck(taskID string) (start, end time.Time) {
	if r, ok := s.reports.fixed[taskID]; ok && !r.CheckEnd.IsZero() {
		return r.CheckStart, r.CheckEnd
	}
	return staticCheckEnd.Add(-reportCheckDuration), staticCheckEnd
}

// lastCheckTime is the task list's last_check_time for t, and false when
// the list leaves it out (never checked). s.mu is held.
func (s *Server) lastCheckTime(t Task) (time.Time, bool) {
	if d, ok := s.demo[t.ID]; ok {
		pos := s.now().Sub(s.demoStart) + d.offset
		if s.checks.mode == LastCheckAtEnd {
			k := floorDiv(pos-demoChecking, demoPeriod)
			return s.demoStart.Add(time.Duration(k)*demoPeriod - d.offset + demoChecking), true
		}
		k := floorDiv(pos, demoPeriod)
		return s.demoStart.Add(time.Duration(k)*demoPeriod - d.offset), true
	}
	if s.checks.mode == LastCheckAtStart {
		if start, ok := s.checks.running[t.ID]; ok {
			return start, true
		}
	}
	var latest map[string]time.Time
	if s.checks.mode == LastCheckAtEnd {
		latest = s.checks.lastEnd
	} else {
		latest = s.checks.lastStart
	}
	if at, ok := latest[t.ID]; ok {
		return at, true
	}
	if _, first := s.checks.running[t.ID]; first || t.Status == nil {
		return time.Time{}, false // no check has ended yet
	}
	start, end := s.staticCheck(t.ID)
	if s.checks.mode == LastCheckAtEnd {
		return end, true
	}
	return start, true
}
