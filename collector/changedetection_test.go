package collector

import (
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"

	"github.com/codearts-check-exporter/codearts_check_exporter/config"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/discovery"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/simulator"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit/stdkit"
)

const (
	cdProject = "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd"
	cdA       = "aaaa0000aaaa0000aaaa0000aaaa0000"
	cdB       = "bbbb0000bbbb0000bbbb0000bbbb0000"
	cdLone    = "cccc0000cccc0000cccc0000cccc0000" // configured without project_id
)

// cdEnv is a simulator whose project cdProject holds cdA and cdB, both
// idle after a successful check, and cdLone outside any listing; an
// exporter configured with all three, cdA and cdB naming their project.
// The collector's change detection clock is clock.
type cdEnv struct {
	*testEnv
	clock *stdkit.Clock
}

func newCDEnv(t *testing.T, mode simulator.LastCheckMode, enabled bool) *cdEnv {
	t.Helper()
	clock := stdkit.NewClock(time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC))
	sim := simulator.New(simulator.Options{Now: clock.Now})
	sim.SetLastCheckMode(mode)
	sim.AddProject(cdProject)
	for _, id := range []string{cdA, cdB} {
		sim.SetTask(simulator.Task{ID: id, ProjectID: cdProject, Status: simulator.IntPtr(2), Ratio: simulator.StrPtr("100%"), Info: simulator.StrPtr("success")})
	}
	sim.SetTask(simulator.Task{ID: cdLone, Status: simulator.IntPtr(2)})
	env := newTestEnv(t, sim, []string{cdA, cdB, cdLone}, func(c *config.Config) {
		c.Tasks[0].ProjectID, c.Tasks[1].ProjectID = cdProject, cdProject
		c.ChangeDetection = config.ChangeDetection{Enabled: enabled, MaxAge: model.Duration(time.Hour)}
	})
	env.coll.lister = (discovery.New(env.coll.config, env.coll.clients, slog.New(slog.NewTextHandler(io.Discard, nil))))
	env.coll.now = clock.Now
	return &cdEnv{testEnv: env, clock: clock}
}

// calls are the simulator's own counts.
type calls struct{ progress, list, reports int }

func (e *cdEnv) calls() calls {
	return calls{e.sim.ProgressRequests(), e.sim.TaskListRequests(""), e.sim.ReportRequests("")}
}

// step moves both clocks by 30 s and scrapes.
func (e *cdEnv) step() scrapeResult {
	e.t.Helper()
	e.clock.Advance(30 * time.Second)
	return e.scrape(0)
}

func (r scrapeResult) answeredBy(by string) float64 {
	r.t.Helper()
	return r.mustValue("codearts_check_collection_tasks", "answered_by", by)
}

func (r scrapeResult) status(id string) float64 {
	r.t.Helper()
	return r.mustValue("codearts_check_task_status", "task_id", id)
}

var modes = []struct {
	name string
	mode simulator.LastCheckMode
}{{"start", simulator.LastCheckAtStart}, {"end", simulator.LastCheckAtEnd}}

// With change detection on, the first collection asks every task; then
// idle tracked tasks are answered by the one listing call, served as
// current at its time, while the untracked task is asked every scrape.
func TestChangeDetectionAnswersIdleTasksByListing(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			e := newCDEnv(t, m.mode, true)
			r := e.step()
			if got := e.calls(); got.progress != 3 || got.list != 1 {
				t.Fatalf("first collection: %+v, want 3 progress calls and 1 listing", got)
			}
			if r.answeredBy("progress") != 3 || r.answeredBy("listing") != 0 {
				t.Errorf("first collection: answered_by progress %v listing %v, want 3, 0", r.answeredBy("progress"), r.answeredBy("listing"))
			}
			first := r.mustValue("codearts_check_task_last_success_timestamp_seconds", "task_id", cdA)
			before := e.calls()
			r = e.step()
			got := e.calls()
			if got.progress-before.progress != 1 || got.list-before.list != 1 || got.reports != before.reports {
				t.Errorf("idle collection: %+v after %+v, want 1 progress call (the untracked task) and 1 listing", got, before)
			}
			if e.sim.TaskRequests(cdLone) != 2 || e.sim.TaskRequests(cdA) != 1 {
				t.Errorf("progress calls: untracked %d, tracked %d; want 2, 1", e.sim.TaskRequests(cdLone), e.sim.TaskRequests(cdA))
			}
			if r.answeredBy("progress") != 1 || r.answeredBy("listing") != 2 {
				t.Errorf("answered_by progress %v listing %v, want 1, 2", r.answeredBy("progress"), r.answeredBy("listing"))
			}
			if r.status(cdA) != 2 || r.mustValue("codearts_check_task_query_success", "task_id", cdA) != 1 {
				t.Errorf("listing-answered task: status %v success %v, want 2, 1", r.status(cdA), r.mustValue("codearts_check_task_query_success", "task_id", cdA))
			}
			if last := r.mustValue("codearts_check_task_last_success_timestamp_seconds", "task_id", cdA); last <= first {
				t.Errorf("last_success %v not moved on from %v: the listing confirms the data", last, first)
			}
			if n := r.mustValue("codearts_check_api_requests_total", "endpoint", "task_list", "status_class", "2xx"); n != 2 {
				t.Errorf("api_requests_total{endpoint=task_list} = %v, want 2", n)
			}
		})
	}
}

// A check that starts is followed (status 0, ratio) until it ends where
// last_check_time moves at the start; under either reading the result is
// exported at the first scrape after the check ends and its report read
// again.
func TestChangeDetectionFollowsACheck(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			e := newCDEnv(t, m.mode, true)
			e.step()
			e.step()
			reports := e.sim.ReportRequests(cdA)
			e.sim.StartCheck(cdA)
			r := e.step()
			if m.mode == simulator.LastCheckAtStart {
				if r.status(cdA) != 0 || r.mustValue("codearts_check_task_progress_ratio", "task_id", cdA) != 0 {
					t.Errorf("check started: status %v, want 0 and ratio 0", r.status(cdA))
				}
				task, _ := e.sim.Task(cdA)
				task.Ratio = simulator.StrPtr("50%")
				e.sim.SetTask(task)
				r = e.step()
				if r.status(cdA) != 0 || r.mustValue("codearts_check_task_progress_ratio", "task_id", cdA) != 0.5 {
					t.Errorf("checking: status %v, want 0 and ratio 0.5", r.status(cdA))
				}
			} else if r.status(cdA) != 2 || r.answeredBy("listing") != 2 {
				// The end reading cannot show a running check: the
				// listing still answers it.
				t.Errorf("end reading, check started: status %v, listing %v; want 2, 2", r.status(cdA), r.answeredBy("listing"))
			}
			e.sim.FinishCheck(cdA, false)
			r = e.step()
			if r.status(cdA) != 1 {
				t.Errorf("check ended: status %v, want 1 at the first scrape after", r.status(cdA))
			}
			if got := e.sim.ReportRequests(cdA); got != reports+2 {
				t.Errorf("report calls %d, want %d: the finished check's report is read", got, reports+2)
			}
			before := e.sim.TaskRequests(cdA)
			r = e.step()
			if e.sim.TaskRequests(cdA) != before || r.answeredBy("listing") != 2 {
				t.Errorf("after the check: %d progress calls (was %d), listing %v; want it answered by the listing", e.sim.TaskRequests(cdA), before, r.answeredBy("listing"))
			}
		})
	}
}

// A whole check between two scrapes (2 -> 2) moves last_check_time under
// either reading: the task is asked, and its report read.
func TestChangeDetectionSeesACheckBetweenScrapes(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			e := newCDEnv(t, m.mode, true)
			e.step()
			e.step()
			progress, reports := e.sim.TaskRequests(cdB), e.sim.ReportRequests(cdB)
			e.sim.FinishCheck(cdB, true)
			r := e.step()
			if e.sim.TaskRequests(cdB) != progress+1 || r.status(cdB) != 2 {
				t.Errorf("progress calls %d (was %d), status %v; want one call, 2", e.sim.TaskRequests(cdB), progress, r.status(cdB))
			}
			if got := e.sim.ReportRequests(cdB); got != reports+2 {
				t.Errorf("report calls %d, want %d", got, reports+2)
			}
			if e.sim.ReportRequests(cdA) != 2 {
				t.Errorf("idle task's report calls %d, want 2 (its first read only)", e.sim.ReportRequests(cdA))
			}
		})
	}
}

// A failed listing falls back to progress queries for its project's
// tasks, and the failure is counted.
func TestChangeDetectionFailedListingFallsBack(t *testing.T) {
	e := newCDEnv(t, simulator.LastCheckAtStart, true)
	e.step()
	e.step()
	e.sim.SetTaskListFault(cdProject, simulator.Fault{Kind: simulator.FaultNoPermission})
	before := e.calls()
	r := e.step()
	got := e.calls()
	if got.progress-before.progress != 3 {
		t.Errorf("progress calls %d, want 3: every task, as without change detection", got.progress-before.progress)
	}
	if r.answeredBy("progress") != 3 || r.answeredBy("listing") != 0 {
		t.Errorf("answered_by progress %v listing %v, want 3, 0", r.answeredBy("progress"), r.answeredBy("listing"))
	}
	if n, _ := r.value("codearts_check_api_errors_total", "error_code", "CC.00050010"); n < 1 {
		t.Errorf("api_errors_total{CC.00050010} = %v, want the failed listing counted", n)
	}
	e.sim.SetTaskListFault(cdProject, simulator.Fault{})
	if r = e.step(); r.answeredBy("listing") != 2 {
		t.Errorf("listing back: answered_by listing %v, want 2", r.answeredBy("listing"))
	}
}

// max_age refreshes idle tasks: a tracked task is asked again at the
// latest max_age after its last answer although its listing shows no
// change, about once per max_age, the refreshes spread out rather than all
// in one collection.
func TestChangeDetectionMaxAgeRefreshes(t *testing.T) {
	e := newCDEnv(t, simulator.LastCheckAtEnd, true)
	e.step()
	for range 119 { // up to 59m30s after the first answers
		e.step()
	}
	if a, b := e.sim.TaskRequests(cdA), e.sim.TaskRequests(cdB); a+b > 3 {
		t.Fatalf("within max_age: %d+%d progress calls, want at most one early refresh", a, b)
	}
	asked := map[string]time.Time{cdA: e.clock.Now(), cdB: e.clock.Now()}
	calls := map[string]int{cdA: e.sim.TaskRequests(cdA), cdB: e.sim.TaskRequests(cdB)}
	start := calls[cdA] + calls[cdB]
	oneCollection := 0
	const hours = 4
	for range hours * 120 {
		r := e.step()
		n := 0
		for _, id := range []string{cdA, cdB} {
			if got := e.sim.TaskRequests(id); got != calls[id] {
				calls[id], asked[id] = got, e.clock.Now()
				n++
			} else if age := e.clock.Now().Sub(asked[id]); age > time.Hour+30*time.Second {
				t.Fatalf("%s not asked for %v, more than max_age and a scrape", id, age)
			}
		}
		if n == 2 {
			oneCollection++
		}
		if r.answeredBy("progress")+r.answeredBy("listing") != 3 {
			t.Fatalf("answered_by adds up to %v, want 3", r.answeredBy("progress")+r.answeredBy("listing"))
		}
	}
	if got := calls[cdA] + calls[cdB] - start; got < 2*hours || got > 2*hours+2 {
		t.Errorf("%d refreshes of 2 tasks in %d hours, want about one per task and hour", got, hours)
	}
	if oneCollection > 1 {
		t.Errorf("both tasks refreshed in the same collection %d times, want the refreshes spread", oneCollection)
	}
}

// Off (the default), the behaviour and the API calls are exactly those of
// a configuration without change detection or project IDs: every task
// every scrape, no listing.
func TestChangeDetectionOffIsToday(t *testing.T) {
	off := newCDEnv(t, simulator.LastCheckAtStart, false)
	today := newCDEnv(t, simulator.LastCheckAtStart, false)
	for i := range today.cfg.Tasks {
		today.cfg.Tasks[i].ProjectID = ""
	}
	for step := range 4 {
		if step == 2 {
			for _, e := range []*cdEnv{off, today} {
				e.sim.StartCheck(cdA)
				e.sim.FinishCheck(cdB, true)
			}
		}
		ro, rt := off.step(), today.step()
		if off.calls() != today.calls() {
			t.Fatalf("scrape %d: calls %+v, without change detection %+v", step, off.calls(), today.calls())
		}
		for _, id := range []string{cdA, cdB, cdLone} {
			if ro.status(id) != rt.status(id) {
				t.Errorf("scrape %d: %s status %v, today %v", step, id, ro.status(id), rt.status(id))
			}
		}
		if ro.answeredBy("listing") != 0 || ro.answeredBy("progress") != 3 {
			t.Errorf("scrape %d: answered_by listing %v progress %v, want 0, 3", step, ro.answeredBy("listing"), ro.answeredBy("progress"))
		}
	}
	if got := off.calls(); got.progress != 12 || got.list != 0 {
		t.Errorf("calls %+v, want 12 progress calls (3 tasks × 4 scrapes) and no listing", got)
	}
}

// The log says how many tasks are change-tracked and how many not, and
// why, once per configuration, not on every scrape.
func TestChangeDetectionLogsTrackedTasks(t *testing.T) {
	e := newCDEnv(t, simulator.LastCheckAtStart, true)
	var buf testkit.Buffer
	e.coll.logger = slog.New(slog.NewTextHandler(&buf, nil))
	e.step()
	e.step()
	out := buf.String()
	if n := strings.Count(out, "Change detection:"); n != 1 {
		t.Fatalf("logged %d times, want once:\n%s", n, out)
	}
	for _, want := range []string{"tracked_tasks=2", "untracked_tasks=1", "no CodeArts project known"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
}
