package api

import (
	"context"
	"errors"
	"fmt"
)

// ErrBudget is wrapped by the error of a call that was never sent because
// the API budget (Caller.Limiter) had no room for it before the caller's
// deadline. Such a call fails at once instead of waiting for a token it
// cannot use: the scrape has better things to do with its time, such as
// answering Prometheus.
var ErrBudget = errors.New("no room in the API budget (max_requests_per_second) before the deadline")

// wait takes a token from the budget for one call, as long as ctx allows.
// The error, if any, is an *Error that wraps ErrBudget, so that callers can
// tell "not sent" from "sent and failed": coded budget when the budget had
// no room before the deadline, timeout (or canceled) when ctx had ended.
func (c *Caller) wait(ctx context.Context) error {
	if c.Limiter == nil {
		return nil
	}
	// rate.Limiter.Wait fails at once, without waiting, when the token it
	// would reserve comes after ctx's deadline.
	err := c.Limiter.Wait(ctx)
	if err == nil {
		return nil
	}
	code := CodeBudget
	if ctx.Err() != nil {
		code = Code(ctx.Err())
		err = fmt.Errorf("%w: %w", ErrBudget, ctx.Err())
	} else {
		err = ErrBudget
	}
	return &Error{Code: code, Err: err}
}
