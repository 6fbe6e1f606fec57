package api

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Adaptive is the process-wide limit that a throttling answer (HTTP 429,
// APIGW.0308) sets on the request rate: additive increase, multiplicative
// decrease (AIMD) on calls per second.
//
// Why the rate and not the concurrency: API Gateway throttles by calls per
// second ("limit:20,time:1 second"). A concurrency limit bounds the rate
// only through the latency, and with a fast API one call in flight can
// still send hundreds a second; a rate limit is what the gateway counts.
//
//   - Unthrottled, the limit is off (rate.Inf): only the budget
//     (max_requests_per_second), if any, paces calls.
//   - A throttling answer multiplies the rate by adaptiveBackoff: the limit
//     in force, or, when none is, the rate the process sent at over the
//     last second (capped by the budget). Only one decrease per round trip: a throttle on a
//     call sent before the last decrease says nothing the decrease did not
//     already act on, and counting every answer of a burst would drive the
//     limit to its floor in one go.
//   - Every answer that is not a throttle adds 1/adaptiveRecovery of the
//     ceiling (at least adaptiveIncrease) to the rate. The limit is off
//     again once it reaches the ceiling: the budget when one is set (the
//     limit never exceeds it), else twice the rate at which the API first
//     throttled. So the rate climbs back in a few hundred answers, and a
//     gateway that keeps throttling costs one decrease (and the calls in
//     flight with it) every few seconds, not a 429 per call.
//
// The zero value is not usable; use NewAdaptive. nil is a no-op.
type Adaptive struct {
	now    func() time.Time
	budget *rate.Limiter // the configured budget, read for its ceiling; nil: none
	lim    *rate.Limiter

	mu      sync.Mutex
	gen     uint64  // bumped by each decrease
	ceiling float64 // where the limit turns off again; 0 while off
	sent    [10]int // calls sent per tenth of a second, a ring
	slot    int64   // the tenth of a second sent[slot%10] counts
	floor   float64 // adaptiveFloor; tests may lower it
	decr    int     // decreases so far
	started bool
}

// adaptiveBackoff is what a throttle multiplies the rate by; 0.7 rather
// than TCP's 0.5, because a gateway's per-second limit is a fixed line and
// not a queue that must drain: the rate need not fall far below it.
const adaptiveBackoff = 0.7

// adaptiveRecovery is how many non-throttled answers take the rate from 0
// to the ceiling; adaptiveIncrease the least one answer adds, in calls
// per second.
const (
	adaptiveRecovery = 1000
	adaptiveIncrease = 0.05
)

// adaptiveFloor is the lowest rate a throttle can bring the limit to: one
// call a second still makes progress on every scrape.
const adaptiveFloor = 1.0

// NewAdaptive returns an Adaptive that is off until the API throttles.
// budget, when not nil, is the configured budget, whose limit is the
// ceiling of the adaptive one.
func NewAdaptive(budget *rate.Limiter) *Adaptive {
	return &Adaptive{now: time.Now, budget: budget, lim: rate.NewLimiter(rate.Inf, 1), floor: adaptiveFloor}
}

// Throttled reports whether err is the API asking for fewer calls: HTTP
// 429 or API Gateway's APIGW.0308, whatever the status.
func Throttled(err error) bool {
	var apiErr *Error
	if !errors.As(err, &apiErr) {
		return false
	}
	return apiErr.HTTPStatus == http.StatusTooManyRequests || apiErr.Code == "APIGW.0308"
}

// Limit returns the rate in force, rate.Inf when the limit is off.
func (a *Adaptive) Limit() rate.Limit {
	if a == nil {
		return rate.Inf
	}
	return a.lim.Limit()
}

// Decreases returns how many times a throttle lowered the limit.
func (a *Adaptive) Decreases() int {
	if a == nil {
		return 0
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.decr
}

// wait takes a token for one call within ctx (and its budget deadline,
// see WithBudgetDeadline), notes the call as sent, and returns the
// generation to hand to observe. A call the limit cannot fit before the
// deadline is not sent: the error is an *Error wrapping ErrBudget, as for
// the configured budget.
func (a *Adaptive) wait(ctx context.Context) (uint64, error) {
	if a == nil {
		return 0, nil
	}
	if a.lim.Limit() != rate.Inf {
		waitCtx := ctx
		if t, ok := BudgetDeadline(ctx); ok {
			var cancel context.CancelFunc
			waitCtx, cancel = context.WithDeadline(ctx, t)
			defer cancel()
		}
		if err := a.lim.Wait(waitCtx); err != nil {
			if ctx.Err() != nil {
				return 0, &Error{Code: Code(ctx.Err()), Err: fmt.Errorf("%w: %w", ErrBudget, ctx.Err())}
			}
			return 0, &Error{Code: CodeBudget, Err: fmt.Errorf("%w: the API throttled the exporter, which slowed down", ErrBudget)}
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.count(a.now())
	return a.gen, nil
}

// count notes one call sent at now. a.mu is held.
func (a *Adaptive) count(now time.Time) {
	slot := now.UnixMilli() / 100
	if !a.started || slot-a.slot >= int64(len(a.sent)) {
		clear(a.sent[:])
	} else {
		for s := a.slot + 1; s <= slot; s++ {
			a.sent[s%int64(len(a.sent))] = 0
		}
	}
	if slot > a.slot || !a.started {
		a.slot = slot
	}
	a.started = true
	a.sent[a.slot%int64(len(a.sent))]++
}

// recentRate is the calls sent over the last second. a.mu is held.
func (a *Adaptive) recentRate(now time.Time) float64 {
	if !a.started || now.UnixMilli()/100-a.slot >= int64(len(a.sent)) {
		return 0
	}
	n := 0
	for _, c := range a.sent {
		n += c
	}
	return float64(n)
}

// observe applies what the answer to a call of generation gen said.
func (a *Adaptive) observe(gen uint64, err error) {
	if a == nil {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if !Throttled(err) {
		if err != nil && !answered(err) {
			return // no answer says nothing of the rate
		}
		cur := a.lim.Limit()
		if cur == rate.Inf {
			return
		}
		ceiling := a.ceilingNow()
		next := float64(cur) + max(adaptiveIncrease, ceiling/adaptiveRecovery)
		if next >= ceiling {
			a.lim.SetLimit(rate.Inf)
			a.ceiling = 0
			return
		}
		a.lim.SetLimit(rate.Limit(next))
		return
	}
	if gen != a.gen {
		return // sent before the last decrease, which already acted on it
	}
	now := a.now()
	cur := float64(a.lim.Limit())
	if a.lim.Limit() == rate.Inf {
		cur = a.recentRate(now)
		if b := a.budgetLimit(); b > 0 && (cur == 0 || cur > b) {
			cur = b
		}
		a.ceiling = 2 * cur
	}
	next := max(a.floor, cur*adaptiveBackoff)
	if math.IsInf(next, 0) || math.IsNaN(next) {
		next = a.floor
	}
	a.lim.SetLimit(rate.Limit(next))
	a.gen++
	a.decr++
}

// ceilingNow is the rate at which the limit turns off. a.mu is held.
func (a *Adaptive) ceilingNow() float64 {
	if b := a.budgetLimit(); b > 0 {
		return b
	}
	if a.ceiling > 0 {
		return a.ceiling
	}
	return math.Inf(1)
}

// budgetLimit is the configured budget's rate, 0 when it has none.
func (a *Adaptive) budgetLimit() float64 {
	if a.budget == nil {
		return 0
	}
	l := a.budget.Limit()
	if l == rate.Inf || l <= 0 {
		return 0
	}
	return float64(l)
}

// answered reports whether err came with an HTTP answer from the API side.
func answered(err error) bool {
	var apiErr *Error
	return errors.As(err, &apiErr) && apiErr.HTTPStatus > 0
}
