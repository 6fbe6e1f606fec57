package api

import (
	"context"
	"errors"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit/stdkit"
)

var (
	errThrottled = &Error{Code: "APIGW.0308", HTTPStatus: 429}
	errBusy      = &Error{Code: "CC.00000000", HTTPStatus: 400}
)

func TestThrottled(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{errThrottled, true},
		{&Error{Code: "http_429", HTTPStatus: 429}, true},
		{&Error{Code: "APIGW.0308", HTTPStatus: 200}, true},
		{errBusy, false},
		{&Error{Code: CodeTimeout}, false},
		{errors.New("APIGW.0308"), false},
		{nil, false},
	} {
		if got := Throttled(tc.err); got != tc.want {
			t.Errorf("Throttled(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

// newTestRateLimit is a RateLimit of perSecond (0: none) on clock, having sent calls in the last
// second.
func newTestRateLimit(clock *stdkit.Clock, perSecond float64, calls int) *RateLimit {
	a := NewRateLimit()
	a.SetMax(perSecond)
	a.now = clock.Now
	for range calls {
		a.count(clock.Now())
	}
	return a
}

// Without a budget, the first throttle sets the limit below the rate the
// process sent at; the throttles of the same burst (within the hold) do
// not lower it again; answers bring it back, and it turns off at the
// ceiling.
func TestRateLimitBacksOffAndRecovers(t *testing.T) {
	clock := stdkit.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	a := newTestRateLimit(clock, 0, 100)
	if a.Limit() != rate.Inf {
		t.Fatalf("limit %v before any throttle, want off", a.Limit())
	}
	for range 20 {
		a.observe(errThrottled)
	}
	if got := float64(a.Limit()); got != 100*throttleBackoff {
		t.Fatalf("limit %v after a burst of throttles, want %v", got, 100*throttleBackoff)
	}
	clock.Advance(throttleHold)
	a.observe(errThrottled)
	if got := float64(a.Limit()); got != 100*throttleBackoff*throttleBackoff {
		t.Fatalf("limit %v after a throttle past the hold, want %v", got, 100*throttleBackoff*throttleBackoff)
	}
	// No answer (a timeout) says nothing; an answer, even an error, does.
	before := a.Limit()
	a.observe(&Error{Code: CodeTimeout})
	if a.Limit() != before {
		t.Errorf("a call without an answer moved the limit from %v to %v", before, a.Limit())
	}
	a.observe(errBusy)
	if a.Limit() <= before {
		t.Errorf("an answer left the limit at %v", a.Limit())
	}
	for n := 0; a.Limit() != rate.Inf; n++ {
		if n > recoveryAnswers {
			t.Fatalf("limit %v after %d answers, want off", a.Limit(), n)
		}
		if float64(a.Limit()) > 200 {
			t.Fatalf("limit %v above the ceiling", a.Limit())
		}
		a.observe(nil)
	}
}

// With a budget, the adaptive limit never exceeds it, and it turns off
// (leaving the budget alone in charge) when it gets back there.
func TestAdaptedRateNeverExceedsTheMax(t *testing.T) {
	clock := stdkit.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	// More calls in the last second than the budget: the budget is the
	// rate in force.
	a := newTestRateLimit(clock, 50, 80)
	a.observe(errThrottled)
	if got := float64(a.Limit()); got != 50*throttleBackoff {
		t.Fatalf("limit %v, want %v", got, 50*throttleBackoff)
	}
	for n := 0; a.Limit() != 50; n++ {
		if float64(a.Limit()) > 50 {
			t.Fatalf("limit %v above the budget", a.Limit())
		}
		if n > recoveryAnswers {
			t.Fatal("never recovered")
		}
		a.observe(nil)
	}
}

// A call during the hold waits for its end; one whose deadline comes
// first is not sent and fails at once as the budget does.
func TestThrottleHoldFailsFastPastTheDeadline(t *testing.T) {
	a := NewRateLimit()
	a.count(a.now())
	a.observe(errThrottled)
	ctx, cancel := context.WithTimeout(context.Background(), throttleHold/2)
	defer cancel()
	err := a.wait(ctx)
	if !errors.Is(err, ErrRateLimited) || Code(err) != CodeBudget {
		t.Fatalf("wait during the hold with a shorter deadline: %v, want a budget error", err)
	}
	if ctx.Err() != nil {
		t.Error("wait waited for the deadline instead of failing at once")
	}
}
