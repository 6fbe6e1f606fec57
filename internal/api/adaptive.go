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
//     last second (capped by the budget), and holds every call back for
//     adaptiveHold: the gateway counts calls per second, so the second in
//     which it throttled is spent already, and every call sent in it would
//     only be throttled too. A throttle during the hold is a call sent
//     before the decrease, which already acted on it: counting every
//     answer of a burst would drive the limit to its floor in one go.
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
	hold    time.Time // no call before then, and no further decrease
	ceiling float64   // where the limit turns off again; 0 while off
	sent    [10]int   // calls sent per tenth of a second, a ring
	slot    int64     // the tenth of a second sent[slot%10] counts
	started bool
	decr    int // decreases so far
}

// adaptiveHold is how long a throttle holds every call back: the
// gateway's counting window.
const adaptiveHold = time.Second

// adaptiveBackoff is what a throttle multiplies the rate by; 0.7 rather
// than TCP's 0.5, because a gateway's per-second limit is a fixed line and
// not a queue that must drain: the rate need not fall far below it.
const adaptiveBackoff = 0.7

// adaptiveRecovery is how many non-throttled answers take the rate from 0
// to the ceiling; adaptiveIncrease the least one answer adds, in calls
// per second.
const (
	adaptiveRecovery = 1000
	adaptiveIncrease = 0.5
)

// adaptiveFloor is the lowest rate a throttle can bring the limit to: one
// call a second still makes progress on every scrape.
const adaptiveFloor = 1.0

// NewAdaptive returns an Adaptive that is off until the API throttles.
// budget, when not nil, is the configured budget, whose limit is the
// ceiling of the adaptive one.
func NewAdaptive(budget *rate.Limiter) *Adaptive {
	return &Adaptive{now: time.Now, budget: budget, lim: rate.NewLimiter(rate.Inf, 1)}
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

// wait holds the call back while a throttle's hold lasts, takes a token
// for it within ctx (and its budget deadline, see WithBudgetDeadline) and
// notes it as sent. A call the limit cannot fit before the deadline is not
// sent: the error is an *Error wrapping ErrBudget, as for the configured
// budget.
func (a *Adaptive) wait(ctx context.Context) error {
	if a == nil {
		return nil
	}
	a.mu.Lock()
	hold := a.hold
	a.mu.Unlock()
	limited := a.lim.Limit() != rate.Inf
	if !limited && !a.now().Before(hold) {
		a.note()
		return nil
	}
	waitCtx, cancel := budgetContext(ctx)
	defer cancel()
	err := a.sleepUntil(waitCtx, hold)
	if err == nil && limited {
		err = a.lim.Wait(waitCtx)
	}
	if err != nil {
		return notSent(ctx, fmt.Errorf("%w: the API throttled the exporter, which slowed down", ErrBudget))
	}
	a.note()
	return nil
}

// sleepUntil waits until t, failing at once if ctx ends first.
func (a *Adaptive) sleepUntil(ctx context.Context, t time.Time) error {
	d := t.Sub(a.now())
	if d <= 0 {
		return nil
	}
	if deadline, ok := ctx.Deadline(); ok && deadline.Before(t) {
		return context.DeadlineExceeded
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// note counts one call sent now.
func (a *Adaptive) note() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.count(a.now())
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
	if !a.started {
		return 0
	}
	ring := int64(len(a.sent))
	nowSlot := now.UnixMilli() / 100
	n := 0
	// The slots of the last second that count has written: the ones after
	// a.slot are stale.
	for s := max(nowSlot, a.slot) - ring + 1; s <= a.slot; s++ {
		n += a.sent[s%ring]
	}
	return float64(n)
}

// observe applies what the answer to a call said.
func (a *Adaptive) observe(err error) {
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
	now := a.now()
	if now.Before(a.hold) {
		return // sent before the last decrease, which already acted on it
	}
	cur := float64(a.lim.Limit())
	if a.lim.Limit() == rate.Inf {
		cur = a.recentRate(now)
		if b := a.budgetLimit(); b > 0 && (cur == 0 || cur > b) {
			cur = b
		}
		a.ceiling = 2 * cur
	}
	next := max(adaptiveFloor, cur*adaptiveBackoff)
	if math.IsInf(next, 0) || math.IsNaN(next) {
		next = adaptiveFloor
	}
	a.lim.SetLimit(rate.Limit(next))
	a.hold = now.Add(adaptiveHold)
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
