package api

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrBudget is wrapped by the error of a call that was never sent because
// the API budget (Caller.Limiter) had no room for it before the caller's
// deadline. Such a call fails at once instead of waiting for a token it
// cannot use: the scrape has better things to do with its time, such as
// answering Prometheus.
var ErrBudget = errors.New("no room in the API budget (max_requests_per_second) before the deadline")

type budgetDeadlineKey struct{}

// WithBudgetDeadline returns a copy of ctx under which a call takes a
// token from the budget only if one comes before t; a call sent then still
// has until ctx's own deadline to be answered. A call that can only be sent
// after t is not sent and fails at once with ErrBudget, uncounted. It is
// for calls that may wait for a later scrape (report reads): sent at the
// last moment before the scrape's deadline, they would only be cut off and
// counted as timeouts.
func WithBudgetDeadline(ctx context.Context, t time.Time) context.Context {
	return context.WithValue(ctx, budgetDeadlineKey{}, t)
}

// BudgetDeadline returns the time set by WithBudgetDeadline, if any.
func BudgetDeadline(ctx context.Context) (time.Time, bool) {
	t, ok := ctx.Value(budgetDeadlineKey{}).(time.Time)
	return t, ok
}

// wait takes a token from the budget for one call, as long as ctx allows.
// The error, if any, is an *Error that wraps ErrBudget, so that callers can
// tell "not sent" from "sent and failed": coded budget when the budget had
// no room before the deadline (or the budget deadline), timeout (or
// canceled) when ctx had ended.
func (c *Caller) wait(ctx context.Context) error {
	if c.Limiter == nil {
		return nil
	}
	waitCtx, cancel := budgetContext(ctx)
	defer cancel()
	// rate.Limiter.Wait fails at once, without waiting, when the token it
	// would reserve comes after waitCtx's deadline.
	if err := c.Limiter.Wait(waitCtx); err != nil {
		return notSent(ctx, ErrBudget)
	}
	return nil
}

// budgetContext is ctx, ended at its budget deadline too (see
// WithBudgetDeadline): the context a call waits for a budget's token in.
func budgetContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if t, ok := BudgetDeadline(ctx); ok {
		return context.WithDeadline(ctx, t)
	}
	return ctx, func() {}
}

// notSent is the error of a call a budget held back: coded as ctx's end
// when ctx had ended, else coded budget, with why (which wraps ErrBudget).
func notSent(ctx context.Context, why error) *Error {
	if ctx.Err() != nil {
		return &Error{Code: Code(ctx.Err()), Err: fmt.Errorf("%w: %w", ErrBudget, ctx.Err())}
	}
	return &Error{Code: CodeBudget, Err: why}
}
