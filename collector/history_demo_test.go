package collector

import (
	"testing"
	"time"

	"github.com/codearts-check-exporter/codearts_check_exporter/config"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/simulator"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit/stdkit"
)

// The demo shows every series of the check history within one cycle of
// its tasks (180 s) of 15 s scrapes: every cycling task's checks counted
// and its last duration (65 s), the histogram filled; over two cycles,
// each check once: one history call per check.
func TestHistoryOnDemo(t *testing.T) {
	clock := stdkit.NewClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	sim := simulator.NewDemo(clock.Now)
	env := newTestEnv(t, sim, simulator.DemoTaskIDs(), func(c *config.Config) {
		for i := range c.Tasks {
			c.Tasks[i].ProjectID = simulator.DemoProjectID
		}
	})
	env.coll.now = clock.Now
	cycling := []string{"3f9a1c7e5b2d4f608a1e3c5b7d9f1a2b", "8c2e4a6f0b1d3e5a7c9f2b4d6e8a0c1d", "a41b7e9d2c5f8a0b3e6d9c1f4a7b0e2d",
		"5d0f2b8e6a4c1e9d7b3f5a2c8e0d6b4a", "e7c3a9f1d5b2e8c4a0f6d2b9e5c1a7f3", "c8f2d4b6a0e1c3f5d7b9a2e4c6f8d0b1"}
	var res scrapeResult
	for range 2 * 180 / 15 {
		res = env.scrape(0)
		clock.Advance(15 * time.Second)
	}
	total := 0.0
	for _, id := range cycling {
		c := res.checks(id)
		if n := c.failed + c.succeeded; n < 1 || c.unknown != 0 || c.stopped != 0 {
			t.Errorf("task %s: %+v, want a check or two, none unknown", id, c)
		}
		total += c.failed + c.succeeded
		if got := res.mustValue("codearts_check_task_last_check_duration_seconds", "task_id", id); got != 65 {
			t.Errorf("task %s: last_check_duration %v, want 65", id, got)
		}
	}
	c := res.checks(cycling[0])
	if float64(c.observed) != total || c.sum != 65*total {
		t.Errorf("histogram: %d checks, %v s; the counters say %v checks of 65 s", c.observed, c.sum, total)
	}
	if got := sim.CheckRecordRequests(""); float64(got) != total {
		t.Errorf("%d history calls for %v checks", got, total)
	}
}
