package collector

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"time"

	"github.com/codearts-check-exporter/codearts_check_exporter/config"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/api"
)

// Staleness-aware scheduling. When the API budget or the deadline cannot
// fit every task into one scrape, the queue's order decides which tasks are
// refreshed; the others keep serving their last good values, and
// codearts_check_task_last_success_timestamp_seconds shows how old those
// are. The order is:
//
//  1. tasks whose query was sent least recently (never: first), so that
//     over consecutive scrapes every task gets its turn. Ordering by the
//     last *sent* query rather than the last *good* answer matters: a task
//     that fails every time (deleted, no permission) would otherwise stay
//     at the head of the line forever, and enough of them would starve
//     the rest;
//  2. among those, the tasks whose last query was answered before those
//     whose last query failed: a failed query reached the API already, and
//     tasks that fail on every call must not take the places healthy
//     tasks need when the deadline or the budget cuts the line short;
//  3. then the oldest data first (never answered: first);
//  4. otherwise the order of the task source.

// schedule remembers, per task, the collection (round) that last sent its
// query. It is guarded by Collector.mu.
type schedule struct {
	round  uint64            // collections recorded so far
	sent   map[string]uint64 // task ID -> round of its last sent query; absent: never
	failed map[string]bool   // task ID -> its last sent query failed
}

// byStaleness returns tasks in the order this collection should query them.
// tasks is not modified.
func (c *Collector) byStaleness(tasks []config.Task) []config.Task {
	// The entries name their task by index, which also breaks ties: a
	// total order, so an unstable sort keeps the task source's order among
	// equals without moving whole tasks around as a stable sort would.
	type entry struct {
		task   int
		sent   uint64
		failed bool
		data   time.Time // zero: never answered
	}
	c.mu.Lock()
	entries := make([]entry, len(tasks))
	for i, t := range tasks {
		entries[i] = entry{task: i, sent: c.sched.sent[t.ID], failed: c.sched.failed[t.ID], data: c.last[t.ID].at}
	}
	c.mu.Unlock()
	slices.SortFunc(entries, func(a, b entry) int {
		if a.sent != b.sent {
			return cmp.Compare(a.sent, b.sent)
		}
		if a.failed != b.failed {
			if b.failed {
				return -1
			}
			return 1
		}
		if c := a.data.Compare(b.data); c != 0 {
			return c
		}
		return cmp.Compare(a.task, b.task)
	})
	ordered := make([]config.Task, len(entries))
	for i, e := range entries {
		ordered[i] = tasks[e.task]
	}
	return ordered
}

// record notes which of tasks had their query sent in this collection, and
// forgets tasks that are gone. c.mu must be held.
func (s *schedule) record(tasks []config.Task, results []result) {
	s.round++
	sent := make(map[string]uint64, len(tasks))
	failed := make(map[string]bool)
	for i, t := range tasks {
		if err := results[i].err; wasSent(err) {
			sent[t.ID] = s.round
			if err != nil {
				failed[t.ID] = true
			}
		} else if r, ok := s.sent[t.ID]; ok {
			sent[t.ID] = r
			if s.failed[t.ID] {
				failed[t.ID] = true
			}
		}
	}
	s.sent, s.failed = sent, failed
}

// wasSent reports whether a query that ended with err reached the API (or
// at least left for it): anything but a task the deadline left in the
// queue or the budget could not fit in.
func wasSent(err error) bool {
	switch {
	case err == nil, isLate(err):
		return true
	case errors.Is(err, api.ErrBudget):
		return false
	case !isCounted(err) && (errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)):
		return false
	}
	return true
}
