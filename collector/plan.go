package collector

import (
	"cmp"
	"slices"
	"time"

	"github.com/codearts-check-exporter/codearts_check_exporter/config"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/codearts"
)

// docs/cost-and-limits.md and docs/change-detection.md state the rules.
// Tasks with no answer go first, then the listings, then the other progress
// queries; the tasks a listing does not answer are queried in the same
// collection (afterListing).

// need says how a collection answers a task.
type need uint8

const (
	needListing   need = iota // its project's listing may answer it
	needUntracked             // by progress: change detection is off, or its project is unknown
	needNew                   // by progress, before any listing: no answer yet
	needProgress              // by progress, after the listings
)

// followWindow bounds how long a moved last_check_time keeps a task on
// progress while its status shows no new check: a queued check, or one that
// ran entirely between two scrapes with the last result.
const followWindow = 5 * time.Minute

// Of a collection, its listings may take a third (docs/change-detection.md).
const (
	listingShareDivisor = 3
	maxListingPages     = 100
)

type collectionPlan struct {
	need    []need           // per task
	calls   []call           // the first calls, in queue order
	waiting map[string][]int // by project: the tasks its listing may answer; a key per listing
	spread  spread           // after this collection, for record
}

// spread paces the max_age refreshes, which would otherwise come in a burst
// the gateway throttles: each collection refreshes (oldest answer first) as
// many as come due on average since the last, less those due anyway, never
// building up beyond two collections' worth.
type spread struct {
	last   time.Time // zero: no collection yet
	credit float64
}

// take returns how many early refreshes a collection at now makes of
// tracked tasks of which dueByAge are due anyway, and the spread after it.
func (s spread) take(now time.Time, tracked, dueByAge int, maxAge time.Duration) (int, spread) {
	if s.last.IsZero() || !now.After(s.last) || maxAge <= 0 {
		return 0, spread{last: now}
	}
	due := float64(tracked) * float64(now.Sub(s.last)) / float64(maxAge)
	credit := min(max(s.credit+due-float64(dueByAge), 0), 2*due+1, float64(tracked))
	n := int(credit)
	return n, spread{last: now, credit: credit - float64(n)}
}

// plan decides the first calls of a collection at now; canList is false
// when the exporter has no lister.
func plan(tasks []config.Task, mem *memory, cd config.ChangeDetection, canList bool, now time.Time) collectionPlan {
	p := collectionPlan{need: make([]need, len(tasks)), waiting: map[string][]int{}}
	queue := order(tasks, mem)
	maxAge := time.Duration(cd.MaxAge)
	var early []int // candidates for a spread refresh
	tracked, dueByAge := 0, 0
	for _, i := range queue {
		m := mem.tasks[tasks[i].ID]
		if !cd.Enabled || !canList || tasks[i].ProjectID == "" {
			p.need[i] = needUntracked
			continue
		}
		tracked++
		switch {
		case m == nil || !m.answer.known:
			p.need[i] = needNew
		case m.answer.status == codearts.StatusChecking || m.failed || now.Before(m.change.follow):
			// Its ratio moves and its result must be seen; or its last query
			// failed; or its status has not shown the check its moved
			// last_check_time says ran: read by progress until it settles.
			p.need[i] = needProgress
		case now.Sub(m.change.answered) >= maxAge:
			p.need[i], dueByAge = needProgress, dueByAge+1
		case m.change.listed:
			early = append(early, i)
		}
	}
	n := 0
	if cd.Enabled {
		n, p.spread = mem.spread.take(now, tracked, dueByAge, maxAge)
	}
	slices.SortStableFunc(early, func(a, b int) int {
		return mem.tasks[tasks[a].ID].change.answered.Compare(mem.tasks[tasks[b].ID].change.answered)
	})
	for _, i := range early[:min(n, len(early))] {
		p.need[i] = needProgress
	}

	var listings, rest []call
	for _, i := range queue {
		project, c := tasks[i].ProjectID, call{kind: progressCall, task: i}
		if _, ok := p.waiting[project]; !ok && p.need[i] != needUntracked {
			p.waiting[project] = nil
			listings = append(listings, call{kind: listingCall, project: project})
		}
		switch p.need[i] {
		case needNew:
			p.calls = append(p.calls, c)
		case needListing:
			p.waiting[project] = append(p.waiting[project], i)
		default:
			rest = append(rest, c)
		}
	}
	p.calls = append(append(p.calls, listings...), rest...)
	return p
}

// afterListing returns the progress queries, in order, of the tasks
// waiting on project's listing l that it does not answer: those not in it
// (their page failed or did not come back), whose last_check_time cannot
// be read, or has no baseline from before their last answer, or changed
// (a check started or ended, or the time flaps); it sets their need.
func (p *collectionPlan) afterListing(tasks []config.Task, mem *memory, project string, l listed) []call {
	var calls []call
	for _, i := range p.waiting[project] {
		lt, ok := l.tasks[tasks[i].ID]
		if ch := mem.tasks[tasks[i].ID].change; !ok || !lt.LastCheckValid || !ch.listed || !lt.LastCheckTime.Equal(ch.lastCheck) {
			p.need[i] = needProgress
			calls = append(calls, call{kind: progressCall, task: i})
		}
	}
	return calls
}

// listingLimits are the share of a collection from start to deadline (zero:
// none) its listings of projects may take, with perSecond the rate limit
// (0: none): they start no page after by, and each reads at most pages.
func listingLimits(start, deadline time.Time, perSecond float64, projects int) (by time.Time, pages int) {
	if deadline.IsZero() {
		return time.Time{}, maxListingPages
	}
	share := deadline.Sub(start) / listingShareDivisor
	pages = maxListingPages
	if perSecond > 0 && projects > 0 {
		pages = min(pages, max(1, int(perSecond*share.Seconds())/projects))
	}
	return start.Add(share), pages
}

// order returns the indexes of tasks in the order their progress is asked:
// least recently sent first; among those, the last answered before the last
// failed, so that tasks that fail every time do not take the places healthy
// ones need; then the oldest data; then the task source's order.
func order(tasks []config.Task, mem *memory) []int {
	out := make([]int, len(tasks))
	ms := make([]*taskMemory, len(tasks))
	zero := &taskMemory{}
	for i, t := range tasks {
		out[i], ms[i] = i, cmp.Or(mem.tasks[t.ID], zero)
	}
	// The index breaks ties, so the faster unstable sort keeps the source's order.
	slices.SortFunc(out, func(a, b int) int {
		x, y := ms[a], ms[b]
		return cmp.Or(cmp.Compare(x.sentRound, y.sentRound), cmp.Compare(boolValue(x.failed), boolValue(y.failed)),
			x.answer.at.Compare(y.answer.at), cmp.Compare(a, b))
	})
	return out
}
