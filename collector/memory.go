package collector

import (
	"time"

	"github.com/codearts-check-exporter/codearts_check_exporter/config"
)

// memory is what the exporter knows between collections. Only record
// changes it, and one collection runs at a time (share.go): no lock.
type memory struct {
	tasks  map[string]*taskMemory // by task ID: the tasks of the last collection
	round  uint64                 // collections recorded so far
	spread spread                 // paces the max_age refreshes (plan.go)
	// What was logged, so that each thing is said once.
	loggedTracked loggedTracked
	badTimeLogged map[string]bool // projects whose unreadable last_check_time was logged
}

// taskMemory is everything the exporter keeps of one task.
type taskMemory struct {
	answer    answer // the last valid answer, served while later ones fail
	sentRound uint64 // the collection that last sent its progress query; 0: never
	failed    bool   // that query failed
	change    changeMemory
	report    reportMemory
	history   historyMemory
}

// answer is the last valid progress answer of a task.
type answer struct {
	known    bool
	status   int
	ratio    float64
	hasRatio bool
	at       time.Time // when it came, or when a listing confirmed it
}

// changeMemory is what change detection keeps of a task.
type changeMemory struct {
	answered time.Time // when its progress last answered
	// lastCheck is the listing's last_check_time at that answer; listed
	// false while there is none to compare with.
	lastCheck time.Time
	listed    bool
	newest    time.Time // the newest last_check_time listed: a time not after it is no new check
	// follow: a moved last_check_time keeps the task on progress until its
	// status shows that check, or until then.
	follow time.Time
}

type loggedTracked struct {
	cfg            *config.Config
	tracked, total int
}

// keep forgets the tasks not in tasks, so that their series go too, and
// returns the memory of each of tasks. It is the one place a task that left
// is forgotten.
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
