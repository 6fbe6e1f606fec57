package collector

import (
	"context"
	"errors"
	"fmt"

	"github.com/codearts-check-exporter/codearts_check_exporter/internal/api"
)

// unqueried is the outcome of a progress query the deadline left in the
// queue of a collection whose context ended with err: no call was made,
// but the task missed its answer.
func unqueried(err error) error {
	if err == nil {
		err = context.DeadlineExceeded
	}
	return fmt.Errorf("progress query left unqueried: %w", err)
}

// errLate is the outcome of a call still in flight when the answer left.
var errLate = fmt.Errorf("call still in flight when the collection's answer left: %w", context.DeadlineExceeded)

// errNotStarted is the outcome of a read or listing the collection had no
// time or rate left for: it waits for a later scrape.
var errNotStarted = errors.New("report read left for a later scrape")

// counting is the one answer to "what does this outcome mean for
// codearts_check_api_errors_total": api.Caller counts every call it sent
// or timed out, when it ends; the collector counts only what no call did.
type counting struct {
	code      string // api.Code it is (or would be) counted under; "" for success or a read left for later
	sent      bool   // a call left for the API (or the outcome is a success)
	countHere bool   // the collector counts it, under code
}

// countingOf classifies the outcome err of a progress query or report read.
func countingOf(err error) counting {
	_, isAPI := errors.AsType[*api.Error](err)
	switch {
	case err == nil:
		return counting{sent: true}
	case errors.Is(err, errLate): // api.Caller counts it when it ends, as a timeout
		return counting{code: api.CodeTimeout, sent: true}
	case errors.Is(err, errNotStarted):
		return counting{}
	case errors.Is(err, api.ErrRateLimited):
		// The rate limit had no room (budget, not counted), or the deadline
		// ended while it waited (api.Caller counts a timeout).
		return counting{code: api.Code(err)}
	case !isAPI && (errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)):
		// No call failed (left unqueried, or a pause between attempts
		// ended), but at the deadline the task missed its answer.
		return counting{code: api.Code(err), countHere: errors.Is(err, context.DeadlineExceeded)}
	}
	return counting{code: api.Code(err), sent: true}
}
