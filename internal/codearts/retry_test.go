package codearts

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/codearts-check-exporter/codearts_check_exporter/internal/api"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/auth"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/simulator"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit/stdkit"
)

// retryEnv is a Client talking to the simulator over loopback, with its
// own API counters.
type retryEnv struct {
	sim     *simulator.Server
	client  *Client
	metrics *api.Metrics
}

func newRetryEnv(t *testing.T) *retryEnv {
	t.Helper()
	return newRetryEnvFor(t, simulator.New(simulator.Options{}))
}

// newRetryEnvFor is newRetryEnv for a simulator of the test's own.
func newRetryEnvFor(t *testing.T, sim *simulator.Server) *retryEnv {
	t.Helper()
	ts := testkit.Simulator(t, sim)
	metrics := api.NewMetrics()
	caller := &api.Caller{Client: &http.Client{Transport: &http.Transport{}}, Metrics: metrics}
	t.Cleanup(caller.Client.CloseIdleConnections)
	iam := auth.NewIAM(*testkit.IAM(ts.URL), caller, slog.New(slog.NewTextHandler(io.Discard, nil)))
	t.Cleanup(iam.Close)
	client, err := NewClient(ts.URL, caller, iam)
	if err != nil {
		t.Fatal(err)
	}
	return &retryEnv{sim: sim, client: client, metrics: metrics}
}

// setRetryTiming replaces the retry timing for one test.
func setRetryTiming(t *testing.T, base time.Duration) {
	t.Helper()
	oldBase := retryBaseDelay
	retryBaseDelay = base
	t.Cleanup(func() { retryBaseDelay = oldBase })
}

const retryTask = "0123456789abcdef0123456789abcdef"

// progressWithRetries is a progress query under withRetries, the policy
// the task list uses: the tests below exercise the policy through the
// simulator's progress faults, which are the richest.
func (e *retryEnv) progressWithRetries(ctx context.Context, id string) (Progress, error) {
	var p Progress
	err := withRetries(ctx, func() error {
		var err error
		p, err = e.client.Progress(ctx, id, "")
		return err
	})
	return p, err
}

func okTask() simulator.Task {
	return simulator.Task{ID: retryTask, Status: simulator.IntPtr(2), Ratio: simulator.StrPtr("100%"), Info: simulator.StrPtr("success")}
}

func TestRetriesOnlyWhatIsRetryable(t *testing.T) {
	setRetryTiming(t, time.Millisecond)
	for _, tc := range []struct {
		fault    simulator.FaultKind
		code     string
		requests int // failed attempts, each counted once
		// net/http itself replays a GET once when a reused keep-alive
		// connection is reset before any answer, so the simulator may see
		// up to twice the attempts.
		replayed bool
	}{
		// A throttle slows every call down (api.RateLimit) instead.
		{simulator.FaultThrottled, "APIGW.0308", 1, false},
		{simulator.FaultBusy, "CC.00000000", maxAttempts, false},
		{simulator.FaultRetryLater, "CC.00050012", maxAttempts, false},
		{simulator.FaultBadGateway, "http_502", maxAttempts, false},
		{simulator.FaultServiceUnavailable, "APIGW.0610", maxAttempts, false},
		{simulator.FaultConnReset, api.CodeNetwork, maxAttempts, true},
		{simulator.FaultInvalidJSON, api.CodeInvalidResponse, 1, false},
		{simulator.FaultWrongType, api.CodeInvalidResponse, 1, false},
		{simulator.FaultHugeBody, api.CodeInvalidResponse, 1, false},
		// A refused token is renewed once inside the attempt, not retried.
		{simulator.FaultTokenExpired, "CC.00000003", 2, false},
	} {
		t.Run(tc.fault.String(), func(t *testing.T) {
			e := newRetryEnv(t)
			e.sim.SetTask(okTask())
			e.sim.SetFault(retryTask, simulator.Fault{Kind: tc.fault})
			_, err := e.progressWithRetries(context.Background(), retryTask)
			if got := api.Code(err); got != tc.code {
				t.Fatalf("error code %q (%v), want %q", got, err, tc.code)
			}
			got, want := e.sim.TaskRequests(retryTask), tc.requests
			if got != want && !(tc.replayed && got > want && got <= 2*want) {
				t.Errorf("simulator saw %d progress requests, want %d", got, want)
			}
			// Every failed attempt is counted, each exactly once.
			if got := testkit.ErrorCount(t, e.metrics, tc.code); got != float64(tc.requests) {
				t.Errorf("codearts_check_api_errors_total{error_code=%q} = %v, want %d", tc.code, got, tc.requests)
			}
		})
	}
}

func TestRetriesNotOtherErrors(t *testing.T) {
	setRetryTiming(t, time.Millisecond)
	e := newRetryEnv(t)
	// No such task: the service answers 200 CC.00050014.
	_, err := e.progressWithRetries(context.Background(), retryTask)
	if got := api.Code(err); got != "CC.00050014" {
		t.Fatalf("error code %q (%v), want CC.00050014", got, err)
	}
	if got := e.sim.TaskRequests(retryTask); got != 1 {
		t.Errorf("simulator saw %d progress requests, want 1", got)
	}
}

func TestRecoversWithinItsAttempts(t *testing.T) {
	setRetryTiming(t, time.Millisecond)
	for _, tc := range []struct {
		fault simulator.FaultKind
		times int
	}{
		{simulator.FaultRetryLater, maxAttempts - 1},
		{simulator.FaultBusy, 1},
		{simulator.FaultConnReset, 1},
		{simulator.FaultServiceUnavailable, maxAttempts - 1},
	} {
		t.Run(fmt.Sprintf("%s×%d", tc.fault, tc.times), func(t *testing.T) {
			e := newRetryEnv(t)
			e.sim.SetTask(okTask())
			e.sim.SetFault(retryTask, simulator.Fault{Kind: tc.fault, Times: tc.times})
			p, err := e.progressWithRetries(context.Background(), retryTask)
			if err != nil {
				t.Fatalf("Progress: %v", err)
			}
			if p.Status != StatusSucceeded || p.Ratio != 1 {
				t.Errorf("progress %+v, want succeeded at 100%%", p)
			}
			if got := e.sim.TaskRequests(retryTask); got != tc.times+1 {
				t.Errorf("simulator saw %d progress requests, want %d", got, tc.times+1)
			}
		})
	}
}

// A retry is only made when the deadline leaves room for the pause and one
// more call; otherwise the real error comes back at once, not a timeout.
func TestRetryRespectsDeadline(t *testing.T) {
	setRetryTiming(t, 10*time.Second) // the first pause is at least 5 s
	e := newRetryEnv(t)
	e.sim.SetTask(okTask())
	e.sim.SetFault(retryTask, simulator.Fault{Kind: simulator.FaultBusy})
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Second)
	defer cancel()
	_, err := e.progressWithRetries(ctx, retryTask)
	if got := api.Code(err); got != "CC.00000000" {
		t.Fatalf("error code %q (%v), want CC.00000000", got, err)
	}
	if ctx.Err() != nil {
		t.Error("Progress waited until the deadline instead of giving up at once")
	}
	if got := e.sim.TaskRequests(retryTask); got != 1 {
		t.Errorf("simulator saw %d progress requests, want 1", got)
	}
}

// A cancelled scrape ends the pause between attempts.
func TestRetryStopsOnCancel(t *testing.T) {
	setRetryTiming(t, time.Hour)
	e := newRetryEnv(t)
	e.sim.SetTask(okTask())
	e.sim.SetFault(retryTask, simulator.Fault{Kind: simulator.FaultBusy})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := e.progressWithRetries(ctx, retryTask)
		done <- err
	}()
	// The first attempt has been answered once its error is counted; the
	// client is then in its hour-long pause.
	stdkit.WaitFor(t, "the first attempt's error to be counted", func() bool {
		return testkit.ErrorCount(t, e.metrics, "CC.00000000") > 0
	})
	cancel()
	if err := <-done; api.Code(err) != "CC.00000000" {
		t.Errorf("error %v, want the last attempt's CC.00000000", err)
	}
}

func TestRetryable(t *testing.T) {
	dnsNotFound := &api.Error{Code: api.CodeNetwork, Err: &net.DNSError{Err: "no such host", Name: "x.invalid", IsNotFound: true}}
	refused := &api.Error{Code: api.CodeNetwork, Err: &net.OpError{Op: "dial", Err: errors.New("connection refused")}}
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{&api.Error{Code: "CC.00000000", HTTPStatus: 400}, true},
		{&api.Error{Code: "CC.00050012", HTTPStatus: 200}, true},
		{&api.Error{Code: "APIGW.0308", HTTPStatus: 429}, true},
		{&api.Error{Code: "http_502", HTTPStatus: 502}, true},
		{&api.Error{Code: "http_503", HTTPStatus: 503}, true},
		{&api.Error{Code: "http_504", HTTPStatus: 504}, true},
		{&api.Error{Code: "APIGW.0201", HTTPStatus: 502}, true},
		{&api.Error{Code: "APIGW.0201", HTTPStatus: 504}, true},
		{&api.Error{Code: "APIGW.0610", HTTPStatus: 502}, true},
		{&api.Error{Code: "APIGW.0613", HTTPStatus: 503}, true},
		{refused, true},
		// Never other 4xx, and nothing that will not change on its own.
		{&api.Error{Code: "APIGW.0201", HTTPStatus: 400}, false},
		{&api.Error{Code: "APIGW.0201", HTTPStatus: 413}, false},
		{&api.Error{Code: "APIGW.0101", HTTPStatus: 404}, false},
		{&api.Error{Code: "APIGW.0301", HTTPStatus: 401}, false},
		{&api.Error{Code: "APIGW.0302", HTTPStatus: 403}, false},
		{&api.Error{Code: "http_429", HTTPStatus: 429}, true}, // a throttle, whatever its code
		{&api.Error{Code: "http_404", HTTPStatus: 404}, false},
		{&api.Error{Code: "APIGW.0601", HTTPStatus: 500}, false},
		{&api.Error{Code: "http_500", HTTPStatus: 500}, false},
		{&api.Error{Code: "CC.00050010", HTTPStatus: 200}, false},
		{&api.Error{Code: "CC.00050014", HTTPStatus: 200}, false},
		{&api.Error{Code: api.CodeTimeout}, false},
		{&api.Error{Code: api.CodeCanceled}, false},
		{&api.Error{Code: api.CodeTLS}, false},
		{&api.Error{Code: api.CodeInvalidResponse, HTTPStatus: 200}, false},
		{dnsNotFound, false},
		{&auth.BackoffError{Err: &api.Error{Code: "APIGW.0613", HTTPStatus: 503}}, false},
		{context.DeadlineExceeded, false},
		{errors.New("token_file: no such file"), false},
	} {
		if got := Retryable(tc.err); got != tc.want {
			t.Errorf("Retryable(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

func TestRetryDelayIsJitteredExponential(t *testing.T) {
	for n := 1; n <= maxAttempts; n++ {
		base := retryBaseDelay << (n - 1)
		for range 100 {
			if d := RetryDelay(n); d < base/2 || d >= base*3/2 {
				t.Fatalf("RetryDelay(%d) = %v, want within [%v, %v)", n, d, base/2, base*3/2)
			}
		}
	}
}

// Progress itself makes one attempt, whatever the failure: the collector
// retries, without holding a worker during the pause.
func TestProgressMakesOneAttempt(t *testing.T) {
	setRetryTiming(t, time.Millisecond)
	for _, fault := range []simulator.FaultKind{simulator.FaultBusy, simulator.FaultThrottled, simulator.FaultRetryLater, simulator.FaultBadGateway} {
		t.Run(fault.String(), func(t *testing.T) {
			e := newRetryEnv(t)
			e.sim.SetTask(okTask())
			e.sim.SetFault(retryTask, simulator.Fault{Kind: fault})
			if _, err := e.client.Progress(context.Background(), retryTask, ""); !Retryable(err) {
				t.Fatalf("error %v, want a retryable one", err)
			}
			if got := e.sim.TaskRequests(retryTask); got != 1 {
				t.Errorf("simulator saw %d progress requests, want 1", got)
			}
		})
	}
}
