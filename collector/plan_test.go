package collector

import (
	"slices"
	"testing"
	"time"

	"github.com/prometheus/common/model"

	"github.com/codearts-check-exporter/codearts_check_exporter/config"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/codearts"
)

// The planning rules, without HTTP: the memory and the listings in, the
// calls out.

var planNow = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

// memoryOf is a memory holding ms by task ID.
func memoryOf(ms map[string]*taskMemory) *memory { return &memory{tasks: ms} }

// Progress queries go by the last sent query, the healthy before the
// failed, the oldest data first, then the task source's order.
func TestPlanOrder(t *testing.T) {
	tasks := []config.Task{{ID: "fresh"}, {ID: "failed"}, {ID: "never"}, {ID: "old"}, {ID: "stale-sent"}, {ID: "never2"}}
	mem := memoryOf(map[string]*taskMemory{
		"fresh":      {sentRound: 5, answer: answer{known: true, at: planNow}},
		"failed":     {sentRound: 5, failed: true, answer: answer{known: true, at: planNow.Add(-time.Hour)}},
		"old":        {sentRound: 5, answer: answer{known: true, at: planNow.Add(-time.Hour)}},
		"stale-sent": {sentRound: 2, answer: answer{known: true, at: planNow}},
	})
	var got []string
	for _, i := range order(tasks, mem) {
		got = append(got, tasks[i].ID)
	}
	want := []string{"never", "never2", "stale-sent", "old", "fresh", "failed"}
	if !slices.Equal(got, want) {
		t.Errorf("order %v, want %v", got, want)
	}
}

// Why each task's progress is read, or that a listing may answer it.
func TestPlanNeeds(t *testing.T) {
	listedAt := planNow.Add(-24 * time.Hour)
	idle := func() *taskMemory {
		return &taskMemory{answer: answer{known: true, status: 2, at: planNow},
			change: changeMemory{answered: planNow.Add(-time.Minute), lastCheck: listedAt, listed: true, newest: listedAt}}
	}
	with := func(f func(m *taskMemory)) *taskMemory { m := idle(); f(m); return m }
	cases := []struct {
		name    string
		project string
		m       *taskMemory
		enabled bool
		want    need
	}{
		{"off", "p", idle(), false, needUntracked},
		{"no project", "", idle(), true, needUntracked},
		{"never answered", "p", nil, true, needNew},
		{"checking", "p", with(func(m *taskMemory) { m.answer.status = codearts.StatusChecking }), true, needProgress},
		{"last query failed", "p", with(func(m *taskMemory) { m.failed = true }), true, needProgress},
		{"following", "p", with(func(m *taskMemory) { m.change.follow = planNow.Add(time.Minute) }), true, needProgress},
		{"follow over", "p", with(func(m *taskMemory) { m.change.follow = planNow }), true, needListing},
		{"max_age", "p", with(func(m *taskMemory) { m.change.answered = planNow.Add(-time.Hour) }), true, needProgress},
		{"idle", "p", idle(), true, needListing},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tasks := []config.Task{{ID: "a", ProjectID: c.project}}
			ms := map[string]*taskMemory{}
			if c.m != nil {
				ms["a"] = c.m
			}
			cd := config.ChangeDetection{Enabled: c.enabled, MaxAge: model.Duration(time.Hour)}
			p := plan(tasks, memoryOf(ms), cd, true, planNow)
			if p.need[0] != c.want {
				t.Errorf("need %v, want %v", p.need[0], c.want)
			}
			listings := 0
			for _, cl := range p.calls {
				if cl.kind == listingCall {
					listings++
				}
			}
			if wantList := c.want != needUntracked; (listings == 1) != wantList || listings > 1 {
				t.Errorf("%d listings, want one: %v", listings, wantList)
			}
		})
	}
	t.Run("no lister", func(t *testing.T) {
		p := plan([]config.Task{{ID: "a", ProjectID: "p"}}, memoryOf(map[string]*taskMemory{"a": idle()}),
			config.ChangeDetection{Enabled: true, MaxAge: model.Duration(time.Hour)}, false, planNow)
		if p.need[0] != needUntracked || len(p.calls) != 1 {
			t.Errorf("need %v, calls %v; want untracked, one progress query", p.need[0], p.calls)
		}
	})
}

// Tasks with no answer are queried before any listing; the others after.
func TestPlanCallOrder(t *testing.T) {
	tasks := []config.Task{{ID: "answered", ProjectID: "p"}, {ID: "new", ProjectID: "p"}, {ID: "lone"}}
	ms := map[string]*taskMemory{
		"answered": {sentRound: 1, answer: answer{known: true, status: 2, at: planNow}, change: changeMemory{answered: planNow, listed: true}},
		"lone":     {sentRound: 1, answer: answer{known: true, status: 2, at: planNow}},
	}
	p := plan(tasks, memoryOf(ms), config.ChangeDetection{Enabled: true, MaxAge: model.Duration(time.Hour)}, true, planNow)
	want := []call{{kind: progressCall, task: 1}, {kind: listingCall, project: "p"}, {kind: progressCall, task: 2}} // "new", then "lone"
	if !slices.Equal(p.calls, want) {
		t.Errorf("calls %+v, want %+v", p.calls, want)
	}
	if !slices.Equal(p.waiting["p"], []int{0}) {
		t.Errorf("waiting on p's listing %v, want [0]", p.waiting["p"])
	}
}

// What a listing answers, and which tasks it leaves to progress.
func TestPlanAfterListing(t *testing.T) {
	base := planNow.Add(-24 * time.Hour)
	newer := base.Add(time.Hour)
	older := base.Add(-time.Hour)
	cases := []struct {
		name   string
		change changeMemory
		listed []codearts.ListedTask
		want   need
	}{
		{"unchanged", changeMemory{lastCheck: base, listed: true, newest: base}, []codearts.ListedTask{{ID: "a", LastCheckTime: base, LastCheckValid: true}}, needListing},
		{"not listed (its page failed or did not come back)", changeMemory{lastCheck: base, listed: true, newest: base}, nil, needProgress},
		{"unreadable time", changeMemory{lastCheck: base, listed: true, newest: base}, []codearts.ListedTask{{ID: "a", LastCheckRaw: `"x"`}}, needProgress},
		{"no baseline", changeMemory{}, []codearts.ListedTask{{ID: "a", LastCheckTime: base, LastCheckValid: true}}, needProgress},
		{"moved", changeMemory{lastCheck: base, listed: true, newest: base}, []codearts.ListedTask{{ID: "a", LastCheckTime: newer, LastCheckValid: true}}, needProgress},
		{"flaps back", changeMemory{lastCheck: newer, listed: true, newest: newer}, []codearts.ListedTask{{ID: "a", LastCheckTime: older, LastCheckValid: true}}, needProgress},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tasks := []config.Task{{ID: "a", ProjectID: "p"}}
			mem := memoryOf(map[string]*taskMemory{"a": {change: c.change}})
			p := collectionPlan{need: []need{needListing}, waiting: map[string][]int{"p": {0}}}
			l := listed{tasks: map[string]codearts.ListedTask{}}
			for _, lt := range c.listed {
				l.tasks[lt.ID] = lt
			}
			calls := p.afterListing(tasks, mem, "p", l)
			if p.need[0] != c.want || (len(calls) == 0) != (c.want == needListing) {
				t.Errorf("need %v, calls %v; want %v", p.need[0], calls, c.want)
			}
		})
	}
}

// The max_age refreshes come evenly from the first collection on: as many
// a collection as are due on average, and no allowance builds up.
func TestSpread(t *testing.T) {
	var s spread
	n, s := s.take(planNow, 1000, 0, 300*time.Second)
	if n != 0 {
		t.Fatalf("first collection: %d refreshes, want 0", n)
	}
	total := 0
	at := planNow
	for range 30 {
		at = at.Add(10 * time.Second)
		n, s = s.take(at, 1000, 0, 300*time.Second)
		if n < 33 || n > 34 {
			t.Fatalf("%d refreshes in 10 s of 1000 tasks at max_age 5m, want 33 or 34", n)
		}
		total += n
	}
	if total < 990 || total > 1010 {
		t.Errorf("%d refreshes in max_age, want about 1000", total)
	}
	// Tasks due by age take the places; after a long pause, no task is
	// refreshed twice.
	if n, _ = s.take(at.Add(10*time.Second), 1000, 40, 300*time.Second); n != 0 {
		t.Errorf("%d early refreshes with 40 due by age, want 0", n)
	}
	if n, _ = s.take(at.Add(time.Hour), 1000, 0, 300*time.Second); n > 1000 {
		t.Errorf("%d refreshes after a pause", n)
	}
}

// A listing's share: a third of the time, and of the calls the rate limit
// allows in it, split between the projects.
func TestListingLimits(t *testing.T) {
	start := planNow
	cases := []struct {
		deadline  time.Duration
		perSecond float64
		projects  int
		by        time.Duration
		pages     int
	}{
		{0, 0, 1, 0, maxListingPages},
		{9 * time.Second, 0, 1, 3 * time.Second, maxListingPages},
		{9 * time.Second, 1, 1, 3 * time.Second, 3},
		{9 * time.Second, 1, 5, 3 * time.Second, 1},
		{9 * time.Second, 1000, 1, 3 * time.Second, maxListingPages},
	}
	for _, c := range cases {
		var deadline time.Time
		if c.deadline > 0 {
			deadline = start.Add(c.deadline)
		}
		by, pages := listingLimits(start, deadline, c.perSecond, c.projects)
		wantBy := time.Time{}
		if c.by > 0 {
			wantBy = start.Add(c.by)
		}
		if !by.Equal(wantBy) || pages != c.pages {
			t.Errorf("%+v: by %v pages %d, want %v, %d", c, by, pages, wantBy, c.pages)
		}
	}
}
