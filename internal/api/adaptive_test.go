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

// newTestAdaptive is an Adaptive on clock, having sent calls in the last
// second.
func newTestAdaptive(clock *stdkit.Clock, budget *rate.Limiter, calls int) *Adaptive {
	a := NewAdaptive(budget)
	a.now = clock.Now
	for range calls {
		a.note()
	}
	return a
}

// Without a budget, the first throttle sets the limit below the rate the
// process sent at; the throttles of the same burst (within the hold) do
// not lower it again; answers bring it back, and it turns off at the
// ceiling.
func TestAdaptiveBacksOffAndRecovers(t *testing.T) {
	clock := stdkit.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	a := newTestAdaptive(clock, nil, 100)
	if a.Limit() != rate.Inf {
		t.Fatalf("limit %v before any throttle, want off", a.Limit())
	}
	for range 20 {
		a.observe(errThrottled)
	}
	if got := float64(a.Limit()); got != 100*adaptiveBackoff {
		t.Fatalf("limit %v after a burst of throttles, want %v", got, 100*adaptiveBackoff)
	}
	if a.Decreases() != 1 {
		t.Errorf("%d decreases for one burst, want 1", a.Decreases())
	}
	clock.Advance(adaptiveHold)
	a.observe(errThrottled)
	if got := float64(a.Limit()); got != 100*adaptiveBackoff*adaptiveBackoff {
		t.Fatalf("limit %v after a throttle past the hold, want %v", got, 100*adaptiveBackoff*adaptiveBackoff)
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
		if n > adaptiveRecovery {
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
func TestAdaptiveNeverExceedsTheBudget(t *testing.T) {
	clock := stdkit.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	budget := rate.NewLimiter(50, 1)
	// More calls in the last second than the budget: the budget is the
	// rate in force.
	a := newTestAdaptive(clock, budget, 80)
	a.observe(errThrottled)
	if got := float64(a.Limit()); got != 50*adaptiveBackoff {
		t.Fatalf("limit %v, want %v", got, 50*adaptiveBackoff)
	}
	for n := 0; a.Limit() != rate.Inf; n++ {
		if float64(a.Limit()) > 50 {
			t.Fatalf("limit %v above the budget", a.Limit())
		}
		if n > adaptiveRecovery {
			t.Fatal("never recovered")
		}
		a.observe(nil)
	}
}

// A call during the hold waits for its end; one whose deadline comes
// first is not sent and fails at once as the budget does.
func TestAdaptiveHoldFailsFastPastTheDeadline(t *testing.T) {
	a := NewAdaptive(nil)
	a.note()
	a.observe(errThrottled)
	ctx, cancel := context.WithTimeout(context.Background(), adaptiveHold/2)
	defer cancel()
	err := a.wait(ctx)
	if !errors.Is(err, ErrBudget) || Code(err) != CodeBudget {
		t.Fatalf("wait during the hold with a shorter deadline: %v, want a budget error", err)
	}
	if ctx.Err() != nil {
		t.Error("wait waited for the deadline instead of failing at once")
	}
}
