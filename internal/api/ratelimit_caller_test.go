package api_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/codearts-check-exporter/codearts_check_exporter/internal/api"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/simulator"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit"
)

// A call the budget cannot fit before the deadline is not sent and fails
// at once as a timeout wrapping ErrRateLimited, counted once, not as a request.
func TestRateLimitFailsFastBeforeTheDeadline(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // registered first, so it runs after the servers are closed
	sim := simulator.New(simulator.Options{})
	srv := testkit.Simulator(t, sim)

	metrics := api.NewMetrics()
	// One call a minute: the second call's token is 60 s away.
	caller := &api.Caller{Client: srv.Client(), Metrics: metrics, Limit: rateLimit(1.0 / 60)}
	call := func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/v3/auth/tokens", nil)
		if err != nil {
			t.Fatal(err)
		}
		return caller.Do(req, "iam_token", func(*api.Response) error { return nil })
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// The first call is sent (the simulator answers a GET on the token
	// path with an error, which is beside the point here).
	if err := call(ctx); errors.Is(err, api.ErrRateLimited) {
		t.Fatalf("first call: %v, want it sent", err)
	}
	start := time.Now()
	err := call(ctx)
	// Failing at once is the behaviour under test; the bound is generous.
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("the refused call took %v: it waited for the budget instead of failing fast", elapsed)
	}
	if !errors.Is(err, api.ErrRateLimited) || api.Code(err) != api.CodeBudget {
		t.Fatalf("second call: err %v (code %q), want code budget wrapping ErrRateLimited", err, api.Code(err))
	}
	if got := sim.IAMRequests(); got != 1 {
		t.Errorf("requests that reached the API = %d, want 1", got)
	}
	if got := testkit.Counter(t, metrics, "codearts_check_api_requests_total"); got != 1 {
		t.Errorf("api_requests_total = %v, want 1 (the sent call only)", got)
	}
	// The first call's answer is an error; the call the budget refused is
	// not an API error and is not counted.
	if got := testkit.Counter(t, metrics, "codearts_check_api_errors_total"); got != 1 {
		t.Errorf("api_errors_total = %v, want 1 (the sent call's error only)", got)
	}
	if got := testkit.ErrorCount(t, metrics, api.CodeBudget); got != 0 {
		t.Errorf("api_errors_total{budget} = %v, want 0", got)
	}

	// A caller that goes away while waiting gets canceled, still ErrRateLimited.
	ctx2, cancel2 := context.WithCancel(context.Background())
	cancel2()
	err = call(ctx2)
	if !errors.Is(err, api.ErrRateLimited) || api.Code(err) != api.CodeCanceled {
		t.Errorf("cancelled: err %v (code %q), want canceled wrapping ErrRateLimited", err, api.Code(err))
	}
}

// Under WithSendBy a call whose token comes after the budget
// deadline is not sent and fails at once with ErrRateLimited, uncounted, even
// though the context's own deadline would have left room for it.
func TestSendByComesBeforeTheContexts(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // registered first, so it runs after the servers are closed
	sim := simulator.New(simulator.Options{})
	srv := testkit.Simulator(t, sim)

	metrics := api.NewMetrics()
	// A token every 2 s, the bucket full: the first call goes at once,
	// the second's token is 2 s away.
	caller := &api.Caller{Client: srv.Client(), Metrics: metrics, Limit: rateLimit(0.5)}
	call := func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/v3/auth/tokens", nil)
		if err != nil {
			t.Fatal(err)
		}
		return caller.Do(req, "iam_token", func(*api.Response) error { return nil })
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// The budget deadline is a second away: the second call's token is not.
	ctx = api.WithSendBy(ctx, time.Now().Add(time.Second))
	if err := call(ctx); errors.Is(err, api.ErrRateLimited) {
		t.Fatalf("first call: %v, want it sent", err)
	}
	err := call(ctx)
	if !errors.Is(err, api.ErrRateLimited) || api.Code(err) != api.CodeBudget {
		t.Fatalf("second call: err %v (code %q), want code budget wrapping ErrRateLimited", err, api.Code(err))
	}
	if got := sim.IAMRequests(); got != 1 {
		t.Errorf("requests that reached the API = %d, want 1", got)
	}
	if got := testkit.ErrorCount(t, metrics, api.CodeBudget); got != 0 {
		t.Errorf("api_errors_total{budget} = %v, want 0", got)
	}
	// Without the budget deadline the same context waits for the token.
	plain, cancel2 := context.WithTimeout(context.Background(), time.Minute)
	defer cancel2()
	if err := call(plain); errors.Is(err, api.ErrRateLimited) {
		t.Errorf("without a budget deadline: %v, want the call sent", err)
	}
	if got := sim.IAMRequests(); got != 2 {
		t.Errorf("requests that reached the API = %d, want 2", got)
	}
}

// rateLimit is an api.RateLimit of perSecond.
func rateLimit(perSecond float64) *api.RateLimit {
	l := api.NewRateLimit()
	l.SetMax(perSecond)
	return l
}
