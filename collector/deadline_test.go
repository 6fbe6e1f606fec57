package collector

import (
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/codearts-check-exporter/codearts_check_exporter/internal/simulator"
)

// A scrape-timeout header that is not a finite positive number, or is
// beyond the configured timeout, must leave the configured timeout in
// force. 1e10 seconds once overflowed into a deadline in the past: up 0 and
// every task a timeout.
func TestScrapeTimeoutHeaderOutOfRange(t *testing.T) {
	sim := simulator.New(simulator.Options{})
	ids := addTasks(sim, 3, simulator.Task{Status: simulator.IntPtr(2), Ratio: simulator.StrPtr("100%")})
	env := newTestEnv(t, sim, ids, nil)
	for _, header := range []string{"1e10", "1e300", "Inf", "+Inf", "-Inf", "NaN", "9223372036", "0", "-5", "abc", "0x10"} {
		t.Run(header, func(t *testing.T) {
			res := env.scrapeWithHeader(header)
			if up := res.mustValue("codearts_check_up"); up != 1 {
				t.Errorf("codearts_check_up = %v, want 1", up)
			}
			for _, id := range ids {
				if ok := res.mustValue("codearts_check_task_query_success", "task_id", id); ok != 1 {
					t.Errorf("%s: query_success = %v, want 1", id, ok)
				}
			}
			if n, _ := res.value("codearts_check_api_errors_total", "error_code", "timeout"); n != 0 {
				t.Errorf("timeouts counted: %v", n)
			}
		})
	}
}

func TestScrapeDeadline(t *testing.T) {
	const configured = 30 * time.Second
	cases := []struct {
		header string
		want   time.Duration
	}{
		{"", configured},
		{"10", 9500 * time.Millisecond},  // Prometheus' timeout, less the offset
		{"30", 29500 * time.Millisecond}, // equal to the configured: still less the offset
		{"30.5", 30 * time.Second},       // beyond the configured
		{"0.8", 800 * time.Millisecond},  // too short to spare the offset
		{"1e10", configured},             // overflowed time.Duration
		{"1e300", configured},            // overflowed time.Duration
		{"Inf", configured},              // overflowed time.Duration
		{"NaN", configured},              // compares false to everything
		{"-1", configured},               // not positive
		{"0", configured},                // not positive
		{"ten", configured},              // not a number
		{"1e-300", time.Nanosecond},      // positive, however small
		{strconv.Itoa(math.MaxInt32), configured},
	}
	for _, c := range cases {
		if got := scrapeDeadline(c.header, configured); got != c.want {
			t.Errorf("scrapeDeadline(%q, %v) = %v, want %v", c.header, configured, got, c.want)
		}
	}
}

// FuzzScrapeDeadline: whatever the header says, the deadline is positive
// and no longer than the configured timeout. Seeds in
// testdata/fuzz/FuzzScrapeDeadline.
func FuzzScrapeDeadline(f *testing.F) {
	f.Add("10", int64(30*time.Second))
	f.Fuzz(func(t *testing.T, header string, configured int64) {
		if configured <= 0 {
			return // config.Validate refuses it
		}
		got := scrapeDeadline(header, time.Duration(configured))
		if got <= 0 || got > time.Duration(configured) {
			t.Fatalf("scrapeDeadline(%q, %v) = %v", header, time.Duration(configured), got)
		}
	})
}
