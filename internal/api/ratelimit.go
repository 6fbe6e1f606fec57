package api

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// RateLimit is the process's one limit on the rate of API calls, shared by
// every Caller and scrape: the lower of max_requests_per_second (SetMax)
// and the rate a throttling answer (HTTP 429, APIGW.0308) adapted it to,
// by additive increase and multiplicative decrease (AIMD). A rate, not a
// concurrency: API Gateway counts calls per second, and one call in flight
// to a fast API can send hundreds a second. The bucket holds one token, so
// no second after an idle spell sees more than the rate (+1 at its edge).
//
// A throttle multiplies the rate in force (or the rate sent over the last
// second) by throttleBackoff and holds every call back for throttleHold:
// the gateway's second is spent already, and throttles during the hold
// answer calls sent before the decrease. Every other answer adds
// 1/recoveryAnswers of the ceiling (max_requests_per_second, else twice
// the rate that was first throttled), where adapting ends. nil: no limit.
type RateLimit struct {
	now func() time.Time
	lim *rate.Limiter

	mu      sync.Mutex
	max     float64   // max_requests_per_second; 0: none
	adapted float64   // the rate throttling set; 0: not throttled
	ceiling float64   // without max: where adapted ends
	hold    time.Time // no call before then, and no further decrease
	sent    [10]int   // calls sent per tenth of a second, a ring
	slot    int64     // the tenth of a second sent[slot%10] counts
}

const (
	throttleHold = time.Second
	// throttleBackoff is 0.7 rather than TCP's 0.5: a gateway's limit is a
	// fixed line, not a queue that must drain.
	throttleBackoff = 0.7
	recoveryAnswers = 1000
	recoveryStep    = 0.5
	// minRate still makes progress on every scrape.
	minRate = 1.0
)

// NewRateLimit returns a RateLimit without a cap until SetMax or a throttle.
func NewRateLimit() *RateLimit {
	return &RateLimit{now: time.Now, lim: rate.NewLimiter(rate.Inf, 1)}
}

// SetMax applies max_requests_per_second (0: none). Changing it is safe
// while calls are waiting.
func (r *RateLimit) SetMax(perSecond float64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.max = max(perSecond, 0)
	if r.max > 0 && r.adapted >= r.max {
		r.adapted = 0
	}
	r.apply()
}

// apply sets the limiter to the lower of max and adapted. r.mu is held.
func (r *RateLimit) apply() {
	limit := rate.Inf
	for _, v := range [...]float64{r.max, r.adapted} {
		if v > 0 && rate.Limit(v) < limit {
			limit = rate.Limit(v)
		}
	}
	if r.lim.Limit() != limit {
		r.lim.SetLimit(limit)
	}
}

// Throttled reports whether err is the API asking for fewer calls: HTTP
// 429 or API Gateway's APIGW.0308, whatever the status.
func Throttled(err error) bool {
	apiErr, ok := errors.AsType[*Error](err)
	return ok && (apiErr.HTTPStatus == http.StatusTooManyRequests || apiErr.Code == "APIGW.0308")
}

// Limit returns the rate in force, rate.Inf when there is none.
func (r *RateLimit) Limit() rate.Limit {
	if r == nil {
		return rate.Inf
	}
	return r.lim.Limit()
}

// ErrRateLimited is wrapped by the error of a call not sent because the
// rate limit had no room for it before its deadline (or send-by time): it
// fails at once, coded budget, rather than wait for a token it cannot use.
var ErrRateLimited = errors.New("no room in the API rate limit (max_requests_per_second) before the deadline")

type sendByKey struct{}

// WithSendBy returns a copy of ctx under which a call is sent only if the
// rate limit lets it go before t; once sent, it has until ctx's deadline.
// It is for calls that may wait for a later scrape (report reads): sent at
// the last moment, they would only be cut off and counted as timeouts.
func WithSendBy(ctx context.Context, t time.Time) context.Context {
	return context.WithValue(ctx, sendByKey{}, t)
}

// wait holds the call back while a throttle's hold lasts, takes a token for
// it within ctx and its send-by time, and counts it as sent; else the
// *Error wraps ErrRateLimited, coded budget or after ctx's end.
func (r *RateLimit) wait(ctx context.Context) error {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	hold, throttled := r.hold, r.adapted > 0
	r.mu.Unlock()
	if r.lim.Limit() != rate.Inf || r.now().Before(hold) {
		waitCtx := ctx
		if t, ok := ctx.Value(sendByKey{}).(time.Time); ok {
			var cancel context.CancelFunc
			waitCtx, cancel = context.WithDeadline(ctx, t)
			defer cancel()
		}
		// Both fail at once when the wait would end past waitCtx's deadline.
		err := r.sleepUntil(waitCtx, hold)
		if err == nil {
			err = r.lim.Wait(waitCtx)
		}
		if err != nil {
			if ctx.Err() != nil {
				return &Error{Code: Code(ctx.Err()), Err: fmt.Errorf("%w: %w", ErrRateLimited, ctx.Err())}
			}
			why := ErrRateLimited
			if throttled {
				why = fmt.Errorf("%w: the API throttled the exporter, which slowed down", ErrRateLimited)
			}
			return &Error{Code: CodeBudget, Err: why}
		}
	}
	r.mu.Lock()
	r.count(r.now())
	r.mu.Unlock()
	return nil
}

// sleepUntil waits until t, failing at once if ctx ends first.
func (r *RateLimit) sleepUntil(ctx context.Context, t time.Time) error {
	d := t.Sub(r.now())
	if d <= 0 {
		return nil
	}
	if deadline, ok := ctx.Deadline(); ok && deadline.Before(t) {
		return context.DeadlineExceeded
	}
	select {
	case <-time.After(d):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// count notes one call sent at now. r.mu is held.
func (r *RateLimit) count(now time.Time) {
	slot := now.UnixMilli() / 100
	for s := max(r.slot+1, slot-9); s <= slot; s++ {
		r.sent[s%10] = 0 // tenths no call was sent in since the last one
	}
	r.slot = max(r.slot, slot)
	r.sent[r.slot%10]++
}

// recentRate is the calls sent over the last second. r.mu is held.
func (r *RateLimit) recentRate(now time.Time) float64 {
	n := 0
	for s := max(now.UnixMilli()/100, r.slot) - 9; s <= r.slot; s++ {
		n += r.sent[s%10]
	}
	return float64(n)
}

// observe applies what the answer to a call said.
func (r *RateLimit) observe(err error) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if !Throttled(err) {
		apiErr, _ := errors.AsType[*Error](err)
		if r.adapted == 0 || err != nil && (apiErr == nil || apiErr.HTTPStatus <= 0) {
			return // not throttled; or no answer from the API side, which says nothing of the rate
		}
		ceiling := cmp.Or(r.max, r.ceiling)
		r.adapted += max(recoveryStep, ceiling/recoveryAnswers)
		if r.adapted >= ceiling {
			r.adapted, r.ceiling = 0, 0
		}
		r.apply()
		return
	}
	now := r.now()
	if now.Before(r.hold) {
		return
	}
	cur := float64(r.lim.Limit())
	if r.lim.Limit() == rate.Inf {
		cur = r.recentRate(now)
		r.ceiling = 2 * cur
	}
	r.adapted = max(minRate, cur*throttleBackoff)
	if r.ceiling == 0 && r.max == 0 {
		r.ceiling = 2 * r.adapted / throttleBackoff
	}
	r.apply()
	r.hold = now.Add(throttleHold)
}
