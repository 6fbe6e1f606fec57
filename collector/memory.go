package collector

import (
	"time"

	"github.com/codearts-check-exporter/codearts_check_exporter/config"
)

// memory is what the exporter knows between collections: one taskMemory per
// task, and the little that belongs to a collection as a whole. Only
// record (record.go) changes it, and one collection runs at a time
// (share.go), so it has no lock. plan reads it and writes nothing.
type memory struct {
	tasks map[string]*taskMemory // by task ID; only tasks of the last collection
	round uint64                 // collections recorded so far

	// spread paces the change_detection.max_age refreshes (plan.go).
	spread spread

	// What was logged, so that each thing is said once.
	loggedTracked loggedTracked
	badTimeLogged map[string]bool // project IDs whose unreadable last_check_time was logged
}

// taskMemory is everything the exporter keeps of one task. A new kind of
// call (a task's check history, say) adds its part here, a rule in plan and
// a case in record; nothing else holds per-task state.
type taskMemory struct {
	answer  answer        // the last valid answer, served while later ones fail
	sched   schedMemory   // when its progress was last asked for
	change  changeMemory  // change detection: what the listings said
	report  reportMemory  // reports.go
	history historyMemory // history.go: the task's checks, counted
}

// answer is the last valid progress answer of a task, or what a listing
// confirmed of it.
type answer struct {
	known    bool // a valid answer was ever read
	status   int
	ratio    float64
	hasRatio bool
	at       time.Time // when it came, or when a listing confirmed it
}

// schedMemory is what the order of the progress queries (plan.go) needs.
type schedMemory struct {
	sentRound uint64 // the collection that last sent its progress query; 0: never
	failed    bool   // that query failed
}

// changeMemory is what change detection keeps of a task.
type changeMemory struct {
	answered time.Time // when its progress last answered; zero: never
	// lastCheck is the listing's last_check_time at that answer; listed
	// false while there is none to compare with.
	lastCheck time.Time
	listed    bool
	newest    time.Time // the newest last_check_time any listing showed: a time not after it is no new check
	// follow: a moved last_check_time keeps the task on progress until its
	// status shows that check, or until then (followWindow).
	follow time.Time
}

// loggedTracked is what was last logged of the change-tracked tasks.
type loggedTracked struct {
	cfg            *config.Config
	tracked, other int
}

// task returns the memory of the task id, nil for a task not seen before.
func (m *memory) task(id string) *taskMemory {
	return m.tasks[id]
}

// keep forgets the tasks not in tasks, so that their series go too, and
// returns the memory of each of tasks, new ones empty. It is the one place
// a task that left is forgotten.
func (m *memory) keep(tasks []config.Task) []*taskMemory {
	out := make([]*taskMemory, len(tasks))
	kept := make(map[string]*taskMemory, len(tasks))
	for i, t := range tasks {
		tm := m.tasks[t.ID]
		if tm == nil {
			tm = &taskMemory{report: reportMemory{due: true}}
		}
		kept[t.ID], out[i] = tm, tm
	}
	m.tasks = kept
	return out
}
