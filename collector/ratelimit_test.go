package collector

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"go.uber.org/goleak"

	"github.com/codearts-check-exporter/codearts_check_exporter/config"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/simulator"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit"
)

// gateway stands in front of the simulator like Huawei Cloud's API Gateway:
// it records when each call arrives and throttles (429 APIGW.0308) a call
// that would make more than limit calls in the trailing second.
type gateway struct {
	next  http.Handler
	limit int // 0: no throttling

	mu        sync.Mutex
	arrivals  []time.Time
	throttled int
}

func (g *gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	g.mu.Lock()
	g.arrivals = append(g.arrivals, now)
	inLastSecond := 0
	for i := len(g.arrivals) - 1; i >= 0 && now.Sub(g.arrivals[i]) < time.Second; i-- {
		inLastSecond++
	}
	throttle := g.limit > 0 && inLastSecond > g.limit
	if throttle {
		g.throttled++
	}
	g.mu.Unlock()
	if throttle {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = w.Write([]byte(`{"error_code":"APIGW.0308","error_msg":"The throttling threshold has been reached: policy user over ratelimit"}`))
		return
	}
	g.next.ServeHTTP(w, r)
}

// busiestSecond returns the most calls that arrived within any one second.
func (g *gateway) busiestSecond() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	most := 0
	for i, start := range g.arrivals {
		n := 0
		for _, a := range g.arrivals[i:] {
			if a.Sub(start) >= time.Second {
				break
			}
			n++
		}
		most = max(most, n)
	}
	return most
}

func (g *gateway) stats() (calls, throttled int, span time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.arrivals) > 0 {
		span = g.arrivals[len(g.arrivals)-1].Sub(g.arrivals[0])
	}
	return len(g.arrivals), g.throttled, span
}

// newGatewayEnv is newTestEnv with every API call (IAM included) going
// through a gateway in front of sim.
func newGatewayEnv(t *testing.T, sim *simulator.Server, ids []string, limit int, edit func(*config.Config)) (*testEnv, *gateway) {
	t.Helper()
	gw := &gateway{next: sim, limit: limit}
	front := httptest.NewServer(gw)
	t.Cleanup(front.Close) // runs after newTestEnv's cleanup, which releases sim
	env := newTestEnv(t, sim, ids, func(c *config.Config) {
		c.Endpoint = front.URL
		c.Auth.IAM.Endpoint = front.URL
		if edit != nil {
			edit(c)
		}
	})
	return env, gw
}

// verifyNoLeaks checks, once the test and its cleanups are done, that no
// goroutine it started is left. Call it before anything registers cleanups.
func verifyNoLeaks(t *testing.T) {
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opt) })
}

// The scenario: 1,000 tasks, a budget of 100 calls/s, a 2 s scrape
// timeout. Each scrape answers on time, the budget is never exceeded (the
// gateway, throttling above it, never has to), nothing is queried twice
// before everything has been queried once, and after about 5 scrapes every
// task has been refreshed.
func TestRateLimitRefreshesStalestFirst(t *testing.T) {
	verifyNoLeaks(t)
	const (
		tasks   = 1000
		budget  = 100
		timeout = 2 * time.Second
	)
	sim := simulator.New(simulator.Options{})
	ids := make([]string, tasks)
	for i := range ids {
		ids[i] = taskID(i)
		sim.SetTask(simulator.Task{ID: ids[i], Status: simulator.IntPtr(2), Ratio: simulator.StrPtr("100%")})
	}
	// The exporter spaces the calls it sends; the gateway sees when they
	// arrive, and on a loaded machine (-race, other test binaries on the
	// same two cores) goroutines that took their tokens 10 ms apart can be
	// held up and arrive together: delivery jitter of up to arrivalJitter
	// puts budget × arrivalJitter more calls into one arrival second. That
	// is not the exporter exceeding its budget, so the gateway allows it.
	// Without a budget the exporter would send several times as many (1,000
	// tasks at concurrency 32 on loopback), which still fails every check.
	const arrivalJitter = 500 * time.Millisecond
	slack := int(budget * arrivalJitter.Seconds())
	env, gw := newGatewayEnv(t, sim, ids, budget+slack, func(c *config.Config) {
		c.MaxRequestsPerSecond = budget
		c.Timeout = model.Duration(timeout)
		c.Concurrency = 32
	})

	var res scrapeResult
	covered := 0
	scrapes := 0
	for covered < tasks {
		scrapes++
		// Five scrapes fit every task on an idle machine. How many it takes
		// here depends on how many calls the machine completes before each
		// deadline, and a task whose query the deadline cut off waits a
		// whole round behind the others (and may be cut off again), so the
		// order is checked below, scrape by scrape, and this bound only
		// stops a loop whose order is broken: with tasks refreshed in any
		// fixed order, the same ~200 would be refreshed forever.
		if scrapes > 40 {
			t.Fatalf("after 40 scrapes only %d of %d tasks were ever refreshed", covered, tasks)
		}
		res = env.scrape(0)
		// The collection ends at its deadline instead of waiting for the
		// rate limit, which would take tasks/budget = 10 s. The first
		// scrape's "some but not all" below says so by counting; this bound
		// says it of every scrape, and is far enough from the 2 s deadline
		// that a loaded machine (two cores shared with the rest of the suite
		// under -race: 6 s was seen) cannot reach it, while a collection that
		// waited for the rate limit always does.
		if d := res.mustValue("codearts_check_scrape_duration_seconds"); d >= float64(tasks)/budget {
			t.Errorf("scrape %d: the collection took %.2fs with a %v timeout: it waited for the rate limit", scrapes, d, timeout)
		}
		if scrapes == 1 {
			// Tasks not reached yet: query_success 0 and no status.
			never := 0
			for _, id := range ids {
				if _, ok := res.value("codearts_check_task_status", "task_id", id); !ok {
					never++
					if got := res.mustValue("codearts_check_task_query_success", "task_id", id); got != 0 {
						t.Fatalf("%s: never answered, query_success = %v, want 0", id, got)
					}
				}
			}
			if never == 0 || never == tasks {
				t.Fatalf("first scrape: %d of %d tasks unanswered, want some but not all", never, tasks)
			}
		}
		covered = 0
		most, unseen := 0, 0
		for _, id := range ids {
			n := sim.TaskRequests(id)
			most = max(most, n)
			if n == 0 {
				unseen++
			}
			if _, ok := res.value("codearts_check_task_last_success_timestamp_seconds", "task_id", id); ok {
				covered++
			}
		}
		// A query the deadline cut off after it left the budget was sent,
		// as far as the exporter can know, and counted as a timeout; on a
		// loaded machine some never reach the API. Those tasks rightly wait
		// their turn behind the ones never sent, so only tasks unseen
		// beyond that count show a task queried twice too early.
		cut, _ := res.value("codearts_check_api_errors_total", "error_code", "timeout")
		if most > 1 && unseen > int(cut) {
			t.Fatalf("scrape %d: a task was queried %d times while %d were never queried (%v queries cut off by the deadline)", scrapes, most, unseen, cut)
		}
		t.Logf("scrape %d: %d of %d tasks refreshed at least once", scrapes, covered, tasks)
	}
	if scrapes < 5 {
		t.Errorf("every task refreshed after %d scrapes: the budget of %d/s cannot allow that", scrapes, budget)
	}

	calls, throttled, span := gw.stats()
	if throttled > 0 {
		t.Errorf("the gateway throttled %d calls", throttled)
	}
	if v, ok := res.value("codearts_check_api_errors_total", "error_code", "APIGW.0308"); ok {
		t.Errorf("api_errors_total{APIGW.0308} = %v, want none", v)
	}
	// Over the whole run the token bucket (one token) allows one call per
	// 1/budget s, plus the one at the start, plus the arrival jitter.
	if allowed := int(span.Seconds()*budget) + 1 + slack; calls > allowed {
		t.Errorf("%d calls in %v: more than the budget allows (%d)", calls, span, allowed)
	}
	if busiest := gw.busiestSecond(); busiest > budget+slack {
		t.Errorf("%d calls arrived within one second, budget %d/s", busiest, budget)
	}
	// Every call, IAM included, is counted by endpoint and status class.
	counted := testkit.Sum(res.families, "codearts_check_api_requests_total")
	unanswered := testkit.Sum(res.families, "codearts_check_api_requests_total", "status_class", "error")
	if counted < float64(calls) || counted > float64(calls)+unanswered {
		t.Errorf("api_requests_total = %v (%v without an answer), the API saw %d calls", counted, unanswered, calls)
	}
	if got := sim.IAMRequests(); got != 1 {
		t.Errorf("IAM requests = %d, want 1", got)
	}
}

// Tasks that fail every time must not starve the others: with a budget
// that fits about a third of the tasks per scrape and half of them unknown
// to the API (CC.00050014, not retried), every known task is still answered
// within a few scrapes.
func TestFailingTasksDoNotStarveTheRest(t *testing.T) {
	verifyNoLeaks(t)
	const tasks = 240
	sim := simulator.New(simulator.Options{})
	var ids, known []string
	for i := range tasks {
		ids = append(ids, taskID(i))
		// The unknown tasks come first in the configuration, and have
		// never been answered: by "oldest data first" alone they would
		// take the head of the queue every time.
		if i >= tasks/2 {
			sim.SetTask(simulator.Task{ID: taskID(i), Status: simulator.IntPtr(1)})
			known = append(known, taskID(i))
		}
	}
	env, _ := newGatewayEnv(t, sim, ids, 0, func(c *config.Config) {
		c.MaxRequestsPerSecond = 80
		c.Timeout = model.Duration(time.Second)
	})
	// About 80 calls fit a scrape, so a round of all 240 tasks takes three
	// scrapes, or a few more on a loaded machine where the deadline cuts
	// queries off in flight. Starving would show as a failing task queried
	// again and again while answerable ones wait: no task may be queried a
	// fourth time before every answerable task was refreshed.
	for scrapes := 1; ; scrapes++ {
		res := env.scrape(0)
		var missing []string
		for _, id := range known {
			if _, ok := res.value("codearts_check_task_last_success_timestamp_seconds", "task_id", id); !ok {
				missing = append(missing, id)
			}
		}
		if len(missing) == 0 {
			return
		}
		for _, id := range ids {
			if n := sim.TaskRequests(id); n >= 4 {
				t.Fatalf("after %d scrapes %s was queried %d times while %d of %d answerable tasks were never refreshed, e.g. %s",
					scrapes, id, n, len(missing), len(known), missing[0])
			}
		}
	}
}
