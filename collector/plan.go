package collector

import (
	"cmp"
	"slices"
	"time"

	"github.com/codearts-check-exporter/codearts_check_exporter/config"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/codearts"
)

// The plan: from the tasks, the memory, the configuration and the time, the
// calls a collection makes. It does no I/O and reads no clock; record
// (record.go) is what changes the memory.
//
// Progress queries go in this order (order), so that when the rate limit or
// the deadline cannot fit every task into one scrape the others keep
// serving their last good values, and
// codearts_check_task_last_success_timestamp_seconds shows how old those are:
//
//  1. tasks whose query was sent least recently (never: first), so that over
//     consecutive scrapes every task gets its turn. Ordering by the last
//     *sent* query rather than the last *good* answer matters: a task that
//     fails every time (deleted, no permission) would otherwise stay at the
//     head of the line forever, and enough of them would starve the rest;
//  2. among those, the tasks whose last query was answered before those
//     whose last query failed: a failed query reached the API already, and
//     tasks that fail on every call must not take the places healthy tasks
//     need;
//  3. then the oldest data first (never answered: first);
//  4. otherwise the order of the task source.
//
// Change detection (change_detection.enabled) makes a listing an
// accelerator, never a gate. Most tasks sit idle between checks, and the
// task list says, up to 100 tasks a call, when each task's latest check
// happened (last_check_time). A change-tracked task (its CodeArts project
// is known: discovered, or tasks[].project_id) is left to its project's
// listing unless its progress must be read anyway (need): it has no answer
// yet; its last status was 0 (checking); its last query failed; it follows
// a check (follow); its last progress answer is older than max_age, or the
// spread of the max_age refreshes picks it. The first calls are the
// progress queries of tasks with no answer, then the listings, then the
// other progress queries. When a listing comes back (afterListing), the
// tasks it does not answer are queried in the same collection: those of a
// page that failed or did not come back in time, those not in it, those
// whose last_check_time cannot be read, moved, or flaps.

// need says why a task's progress is read in a collection, or that its
// project's listing may answer it.
type need uint8

const (
	needListing   need = iota // its project's listing may answer it
	needUntracked             // change detection is off, or its project is unknown
	needNew                   // no answer yet
	needChecking              // its last status was 0: the ratio moves, and the result must be seen
	needFailed                // its last query failed: read by progress until it settles
	needFollow                // its last_check_time moved and its status has not shown that check yet
	needMaxAge                // its last progress answer is older than max_age
	needSpread                // picked to spread the max_age refreshes
	// After its listing:
	needUnlisted // its page failed or did not come back, or it is not listed
	needBadTime  // its last_check_time cannot be read
	needBaseline // no last_check_time from before its last answer to compare with
	needMoved    // its last_check_time moved: a check started or ended
	needFlap     // its last_check_time changed, but to no newer time
)

// followWindow bounds how long a moved last_check_time keeps a task on
// progress while its status shows no new check: a queued check (the time
// moves at the trigger, the status only when it runs), or one that ran
// entirely between two scrapes with the same result as the last, which
// costs a progress query a scrape for this long.
const followWindow = 5 * time.Minute

// listingShareDivisor: the listings of a collection may take 1/3 of its
// deadline and of the calls the rate limit allows within it; the rest is
// the progress queries'.
const listingShareDivisor = 3

// maxListingPages bounds the pages one collection's listing of one project
// reads (100 tasks a page).
const maxListingPages = 100

// collectionPlan is what plan decides.
type collectionPlan struct {
	order   []int  // task indexes, in the order their progress is asked
	need    []need // per task
	calls   []call // the first calls, in queue order
	waiting map[string][]int
	spread  spread // the spread after this collection, for record
}

// spread paces the max_age refreshes: tasks first answered together would
// otherwise all come due in one collection, once per max_age, a burst the
// gateway throttles. From the first collection on, each one refreshes
// (oldest answer first) as many tasks as come due on average in the time
// since the last one, less those due anyway; the allowance never builds up
// beyond two collections' worth (nor beyond every task once).
type spread struct {
	last   time.Time // when the last collection planned; zero: none yet
	credit float64
}

// take returns how many early refreshes a collection at now makes for
// tracked tasks of which dueByAge are refreshed anyway, and the spread
// after it.
func (s spread) take(now time.Time, tracked, dueByAge int, maxAge time.Duration) (int, spread) {
	if s.last.IsZero() || !now.After(s.last) || maxAge <= 0 {
		return 0, spread{last: now}
	}
	due := float64(tracked) * float64(now.Sub(s.last)) / float64(maxAge)
	credit := min(max(s.credit+due-float64(dueByAge), 0), 2*due+1, float64(tracked))
	n := int(credit)
	return n, spread{last: now, credit: credit - float64(n)}
}

// plan decides the first calls of a collection at now. canList is false
// when the exporter has no lister.
func plan(tasks []config.Task, mem *memory, cd config.ChangeDetection, canList bool, now time.Time) collectionPlan {
	p := collectionPlan{order: order(tasks, mem), need: make([]need, len(tasks)), waiting: map[string][]int{}}
	maxAge := time.Duration(cd.MaxAge)
	var early []int // candidates for a spread refresh
	tracked, dueByAge := 0, 0
	for _, i := range p.order {
		t, m := tasks[i], mem.task(tasks[i].ID)
		if !cd.Enabled || !canList || t.ProjectID == "" {
			p.need[i] = needUntracked
			continue
		}
		tracked++
		switch {
		case m == nil || !m.answer.known:
			p.need[i] = needNew
		case m.answer.status == codearts.StatusChecking:
			p.need[i] = needChecking
		case m.sched.failed:
			p.need[i] = needFailed
		case now.Before(m.change.follow):
			p.need[i] = needFollow
		case now.Sub(m.change.answered) >= maxAge:
			p.need[i], dueByAge = needMaxAge, dueByAge+1
		default:
			if m.change.listed {
				early = append(early, i)
			}
		}
	}
	n := 0
	if cd.Enabled {
		n, p.spread = mem.spread.take(now, tracked, dueByAge, maxAge)
	}
	slices.SortStableFunc(early, func(a, b int) int {
		return mem.task(tasks[a].ID).change.answered.Compare(mem.task(tasks[b].ID).change.answered)
	})
	for _, i := range early[:min(n, len(early))] {
		p.need[i] = needSpread
	}

	// Progress for tasks with no answer first: no listing can answer them.
	// Then a listing of each project with a tracked task, then the rest.
	listed := map[string]bool{}
	for _, i := range p.order {
		if p.need[i] == needNew {
			p.calls = append(p.calls, call{kind: progressCall, task: i, id: tasks[i].ID})
		}
	}
	for _, i := range p.order {
		if id := tasks[i].ProjectID; p.need[i] != needUntracked && !listed[id] {
			listed[id] = true
			p.calls = append(p.calls, call{kind: listingCall, project: id})
		}
		if p.need[i] == needListing {
			p.waiting[tasks[i].ProjectID] = append(p.waiting[tasks[i].ProjectID], i)
		}
	}
	for _, i := range p.order {
		if p.need[i] != needNew && p.need[i] != needListing {
			p.calls = append(p.calls, call{kind: progressCall, task: i, id: tasks[i].ID})
		}
	}
	return p
}

// afterListing decides, for the tasks waiting on project's listing l, which
// the listing answers and which are queried: it sets their need, and
// returns their progress queries, in order.
func (p *collectionPlan) afterListing(tasks []config.Task, mem *memory, project string, l codearts.Listing) []call {
	index := make(map[string]codearts.ListedTask, len(l.Tasks))
	for _, lt := range l.Tasks {
		index[lt.ID] = lt
	}
	var calls []call
	for _, i := range p.waiting[project] {
		lt, ok := index[tasks[i].ID]
		ch := mem.task(tasks[i].ID).change
		switch {
		case !ok:
			p.need[i] = needUnlisted
		case !lt.LastCheckValid:
			p.need[i] = needBadTime
		case !ch.listed:
			p.need[i] = needBaseline
		case lt.LastCheckTime.Equal(ch.lastCheck):
			continue // answered by the listing
		case lt.LastCheckTime.After(ch.newest):
			p.need[i] = needMoved
		default:
			p.need[i] = needFlap
		}
		calls = append(calls, call{kind: progressCall, task: i, id: tasks[i].ID})
	}
	return calls
}

// listingLimits are the share of a collection's deadline and calls its
// listings may take: they start no page after by, and each reads at most
// pages pages. perSecond is max_requests_per_second (0: none), time the
// collection's time until its deadline (0: none), projects the listings.
func listingLimits(start time.Time, deadline time.Time, perSecond float64, projects int) (by time.Time, pages int) {
	pages = maxListingPages
	if deadline.IsZero() {
		return time.Time{}, pages
	}
	share := deadline.Sub(start) / listingShareDivisor
	if perSecond > 0 && projects > 0 {
		pages = min(pages, max(1, int(perSecond*share.Seconds())/projects))
	}
	return start.Add(share), pages
}

// order returns the indexes of tasks in the order their progress is asked,
// as the top of this file says.
func order(tasks []config.Task, mem *memory) []int {
	type entry struct {
		task   int
		sent   uint64
		failed bool
		data   time.Time // zero: never answered
	}
	entries := make([]entry, len(tasks))
	for i, t := range tasks {
		entries[i].task = i
		if m := mem.task(t.ID); m != nil {
			entries[i].sent, entries[i].failed, entries[i].data = m.sched.sentRound, m.sched.failed, m.answer.at
		}
	}
	// The task index breaks ties: a total order, so an unstable sort keeps
	// the task source's order among equals.
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
	out := make([]int, len(entries))
	for n, e := range entries {
		out[n] = e.task
	}
	return out
}
