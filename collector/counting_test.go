package collector

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/codearts-check-exporter/codearts_check_exporter/internal/api"
)

// Whether an outcome is counted in codearts_check_api_errors_total, under
// which code, and by whom.
func TestCountingOf(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want counting
	}{
		{"success", nil, counting{sent: true}},
		{"API error", &api.Error{Code: "CC.00050014", HTTPStatus: 400}, counting{code: "CC.00050014", sent: true}},
		{"throttled", &api.Error{Code: "APIGW.0308", HTTPStatus: 429}, counting{code: "APIGW.0308", sent: true}},
		{"transport timeout", &api.Error{Code: api.CodeTimeout, Err: context.DeadlineExceeded}, counting{code: api.CodeTimeout, sent: true}},
		{"rate limit had no room", &api.Error{Code: api.CodeBudget, Err: api.ErrRateLimited}, counting{code: api.CodeBudget}},
		{"deadline while waiting for the rate limit", &api.Error{Code: api.CodeTimeout, Err: fmt.Errorf("%w: %w", api.ErrRateLimited, context.DeadlineExceeded)}, counting{code: api.CodeTimeout}},
		{"in flight at the answer", errLate, counting{code: api.CodeTimeout, sent: true}},
		{"left unqueried at the deadline", unqueried(context.DeadlineExceeded), counting{code: api.CodeTimeout, countHere: true}},
		{"left unqueried at Close", unqueried(context.Canceled), counting{code: api.CodeCanceled}},
		{"report read left for later", errNotStarted, counting{}},
		{"report read failed", fmt.Errorf("defects summary: %w", &api.Error{Code: "CC.00050010", HTTPStatus: 403}), counting{code: "CC.00050010", sent: true}},
		{"other", errors.New("invalid"), counting{code: api.Code(errors.New("invalid")), sent: true}},
	}
	for _, c := range cases {
		if got := countingOf(c.err); got != c.want {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
		}
	}
}
