package collector

import (
	"context"
	"slices"
	"time"

	"github.com/codearts-check-exporter/codearts_check_exporter/config"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/codearts"
)

// Change detection (change_detection.enabled). Most tasks sit idle between
// checks, and the task list says, up to 100 tasks per call, when each
// task's latest check happened (last_check_time). So a collection first
// lists, once each, the projects of its change-tracked tasks (those whose
// CodeArts project is known: discovered, or tasks[].project_id), before any
// progress query, and then reads the progress of a tracked task only when
// it can have changed:
//
//   - it has no answer yet;
//   - its last status was 0 (checking): the ratio moves, and the result
//     must be seen;
//   - its last_check_time in this listing differs from the one seen at its
//     last progress answer (under either reading of that time: a check
//     started, or one ended);
//   - its last progress answer is older than change_detection.max_age,
//     which bounds what is missed should last_check_time not move as
//     assumed (or, to spread these refreshes evenly, older than half of
//     it, within a per-collection quota; see planChanges);
//   - its project's listing failed in this collection, the task is in no
//     listing, or its last_check_time is not a time the client believes.
//
// Every other tracked task is answered by the listing: its last status
// and ratio are served as confirmed at the time of the listing.
//
// The listings are discovery's (discovery.Discoverer.List): a discovered
// project listed by a collection is not listed again by discovery's timer
// within refresh_interval. Sharding lists what the shard's tasks need.

// ProjectLister lists projects on a collection's behalf. discovery.Discoverer
// is one; main hands the running one to the Collector (ShareListings). A
// Collector without one asks every task for its progress, as with change
// detection off, and says so in the log.
type ProjectLister interface {
	List(ctx context.Context, cfg *config.Config, client *codearts.Client, projects []string) map[string]codearts.Listing
}

// ShareListings makes the collections list projects through l, the
// discoverer that runs, so that its listings and theirs are one. Call it
// before the first scrape.
func (c *Collector) ShareListings(l ProjectLister) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.changes.lister = l
}

// changeBook is the Collector's change detection state, guarded by
// Collector.mu but for lister, which is set before scrapes start.
type changeBook struct {
	now    func() time.Time // time.Now; tests set a fake clock
	lister ProjectLister
	tasks  map[string]changeState // by task ID, tracked tasks with a progress answer
	// lastPlan is when the last collection planned, on now's clock;
	// credit, the max_age refreshes due on average since then and not
	// yet made (planChanges).
	lastPlan time.Time
	credit   float64

	// What was last logged of the tracked tasks, so that the log says it
	// once per configuration and change.
	loggedCfg                  *config.Config
	loggedTracked, loggedOther int
	warnedNoLister             bool
}

// changeState is what change detection keeps of a task's last progress
// answer.
type changeState struct {
	answered  time.Time // when the progress answer came, on changeBook.now's clock
	lastCheck time.Time // the listing's last_check_time then
	listed    bool      // lastCheck is from a listing (valid)
}

// changePlan is a collection's change detection: for each of its tasks,
// whether the listing answers it, and what the listing said.
type changePlan struct {
	byListing []bool
	listed    []listedCheck
	moved     []bool // last_check_time moved since the task's last answer
}

// listedCheck is a task's entry in this collection's listing.
type listedCheck struct {
	ok        bool // the task is in a good listing with a valid last_check_time
	lastCheck time.Time
	at        time.Time // when the listing ended
}

// planChanges lists the projects of tasks' tracked tasks and decides which
// tasks the listing answers. It returns nil with change detection off.
func (c *Collector) planChanges(ctx context.Context, cur current, tasks []config.Task) *changePlan {
	cd := cur.Config.ChangeDetection
	if !cd.Enabled {
		c.mu.Lock()
		c.changes.tasks, c.changes.loggedCfg, c.changes.lastPlan, c.changes.credit = nil, nil, time.Time{}, 0
		c.mu.Unlock()
		return nil
	}
	var projects []string
	seen := map[string]bool{}
	tracked := 0
	for _, t := range tasks {
		if t.ProjectID == "" {
			continue
		}
		tracked++
		if !seen[t.ProjectID] {
			seen[t.ProjectID] = true
			projects = append(projects, t.ProjectID)
		}
	}
	c.logTracked(cur.Config, tracked, len(tasks)-tracked)

	c.mu.Lock()
	lister := c.changes.lister
	warn := lister == nil && !c.changes.warnedNoLister
	c.changes.warnedNoLister = c.changes.warnedNoLister || warn
	c.mu.Unlock()
	var listings map[string]codearts.Listing
	switch {
	case warn:
		c.logger.Warn("change_detection is enabled but the collector has no project lister; every task is asked for its progress")
	case lister != nil && len(projects) > 0:
		listings = lister.List(ctx, cur.Config, cur.Client, projects)
	}
	index := make(map[string]map[string]codearts.ListedTask, len(listings))
	for id, l := range listings {
		if l.Err != nil {
			continue
		}
		m := make(map[string]codearts.ListedTask, len(l.Tasks))
		for _, lt := range l.Tasks {
			m[lt.ID] = lt
		}
		index[id] = m
	}

	plan := &changePlan{byListing: make([]bool, len(tasks)), listed: make([]listedCheck, len(tasks)), moved: make([]bool, len(tasks))}
	now := c.changes.now()
	maxAge := time.Duration(cd.MaxAge)
	refreshed := 0  // tasks due for max_age
	var early []int // tasks the listing answers that are past half max_age
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, t := range tasks {
		lt, ok := index[t.ProjectID][t.ID]
		if t.ProjectID == "" || !ok || !lt.LastCheckValid {
			continue
		}
		plan.listed[i] = listedCheck{ok: true, lastCheck: lt.LastCheckTime, at: listings[t.ProjectID].At}
		last, answered := c.last[t.ID]
		st, known := c.changes.tasks[t.ID]
		switch {
		case !answered || !known:
		case last.status == codearts.StatusChecking:
		case !st.listed || !st.lastCheck.Equal(lt.LastCheckTime):
			plan.moved[i] = st.listed
		case now.Sub(st.answered) >= maxAge:
			refreshed++
		default:
			plan.byListing[i] = true
			if now.Sub(st.answered) >= maxAge/2 {
				early = append(early, i)
			}
		}
	}
	// Spread the max_age refreshes: tasks first answered together would
	// otherwise all come due in one collection, once per max_age, a burst
	// the gateway throttles. Each collection refreshes early (from half
	// max_age on, oldest answer first) as many tasks as are due on
	// average in the time since the last one, less those due anyway; the
	// rate stays one refresh per task and max_age, and after a cycle or
	// two no task reaches max_age.
	if last := c.changes.lastPlan; !last.IsZero() && now.After(last) {
		b := &c.changes
		b.credit += float64(tracked)*float64(now.Sub(last))/float64(maxAge) - float64(refreshed)
		b.credit = min(max(b.credit, 0), float64(tracked))
		n := min(int(b.credit), len(early))
		b.credit -= float64(n)
		slices.SortStableFunc(early, func(x, y int) int {
			return b.tasks[tasks[x].ID].answered.Compare(b.tasks[tasks[y].ID].answered)
		})
		for _, i := range early[:n] {
			plan.byListing[i] = false
		}
	}
	c.changes.lastPlan = now
	return plan
}

// queryPlanned queries the tasks plan does not leave to the listing (all
// of them without a plan) and returns every task's result: a task the
// listing answered gets its last answer, confirmed at the listing's time.
func (c *Collector) queryPlanned(ctx context.Context, cur current, tasks []config.Task, plan *changePlan) []result {
	if plan == nil {
		return c.queryAll(ctx, cur, tasks)
	}
	var ask []config.Task
	var at []int
	for i, t := range tasks {
		if !plan.byListing[i] {
			ask = append(ask, t)
			at = append(at, i)
		}
	}
	asked := c.queryAll(ctx, cur, ask)
	results := make([]result, len(tasks))
	for n, i := range at {
		results[i] = asked[n]
		results[i].checkMoved = plan.moved[i] && asked[n].err == nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, t := range tasks {
		if !plan.byListing[i] {
			continue
		}
		last := c.last[t.ID]
		results[i] = result{
			progress:  codearts.Progress{Status: last.status, Ratio: last.ratio, HasRatio: last.hasRatio},
			byListing: true,
			listedAt:  plan.listed[i].at,
		}
	}
	return results
}

// recordChanges notes, for the tasks whose progress this collection
// answered, when and with which last_check_time, and forgets the tasks
// gone. c.mu must be held.
func (b *changeBook) record(tasks []config.Task, results []result, plan *changePlan) {
	if plan == nil {
		return
	}
	now := b.now()
	kept := make(map[string]changeState, len(tasks))
	for i, t := range tasks {
		st, known := b.tasks[t.ID]
		r := results[i]
		if r.err == nil && !r.byListing {
			st.answered = now
			if l := plan.listed[i]; l.ok {
				st.lastCheck, st.listed = l.lastCheck, true
			}
			known = true
		}
		if known && t.ProjectID != "" {
			kept[t.ID] = st
		}
	}
	b.tasks = kept
}

// logTracked says how many tasks are change-tracked and how many not, and
// why, once for each configuration and whenever the numbers change.
func (c *Collector) logTracked(cfg *config.Config, tracked, other int) {
	c.mu.Lock()
	b := &c.changes
	same := b.loggedCfg == cfg && b.loggedTracked == tracked && b.loggedOther == other
	b.loggedCfg, b.loggedTracked, b.loggedOther = cfg, tracked, other
	c.mu.Unlock()
	if same {
		return
	}
	attrs := []any{"tracked_tasks", tracked, "untracked_tasks", other}
	if other > 0 {
		attrs = append(attrs, "untracked_reason",
			"no CodeArts project known: set tasks[].project_id or discover the task; these are asked for their progress on every scrape")
	}
	c.logger.Info("Change detection: tasks whose project is listed before their progress is read", attrs...)
}

// answeredBy counts how the tasks of a collection were answered.
func answeredBy(results []result) (progress, listing int) {
	for _, r := range results {
		switch {
		case r.err != nil:
		case r.byListing:
			listing++
		default:
			progress++
		}
	}
	return progress, listing
}
