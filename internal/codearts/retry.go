package codearts

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"net/http"
	"time"

	"github.com/codearts-check-exporter/codearts_check_exporter/internal/api"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/auth"
)

// Retries: progress, the report and the history calls make one attempt;
// their caller (the collector) retries progress without holding a worker
// during the pause, and backs failed report reads off per task. The task
// list (discovery) retries here, with withRetries: it is one call at a
// time, and its failure costs the whole listing. A throttle is not retried:
// api.RateLimit slows every call down instead. The jitter keeps the calls
// of a troubled scrape from all coming back at the same instant. A 401
// that asks for a fresh token is handled inside an attempt (see get).
const maxAttempts = 3

// retryBaseDelay is the first pause; a variable, so tests can shorten it.
var retryBaseDelay = 100 * time.Millisecond

// MaxAttempts is how many attempts a call gets in all, the first included.
func MaxAttempts() int { return maxAttempts }

// Retryable reports whether a failed call may succeed if made again
// shortly: the service is busy (CC.00000000, CC.00050012), the gateway
// throttles (APIGW.0308, HTTP 429), a proxy or the gateway has no backend
// for a moment (HTTP 502, 503, 504, whatever their code), or the
// connection failed. Nothing else: another 4xx will be answered the same
// way, a timeout means the deadline is gone, a TLS failure is a
// configuration error, an invalid answer will not improve, and a host name
// that does not exist will not exist 100 ms later.
func Retryable(err error) bool {
	// A token the IAM source is backing off from will not come sooner for
	// asking; the source already paces its own retries.
	apiErr, ok := errors.AsType[*api.Error](err)
	if _, backoff := errors.AsType[*auth.BackoffError](err); backoff || !ok {
		return false
	}
	switch apiErr.Code {
	case "CC.00000000", "CC.00050012", "APIGW.0308":
		return true
	case api.CodeNetwork:
		var dnsErr *net.DNSError
		return !(errors.As(err, &dnsErr) && dnsErr.IsNotFound)
	}
	switch apiErr.HTTPStatus {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// RetryDelay is the pause before attempt n+1 (n >= 1): retryBaseDelay ×
// 2^(n-1), jittered to between half and one and a half times that.
func RetryDelay(n int) time.Duration {
	d := retryBaseDelay << (n - 1)
	return time.Duration(float64(d) * (0.5 + rand.Float64()))
}

// withRetries calls attempt until it succeeds, fails with an error that is
// not Retryable or is a throttle, maxAttempts are made, or ctx's deadline
// leaves no room for the pause plus one more call as long as the last one
// took (then it gives up at once with the error it got, which says more
// than "timeout"). It returns the last attempt's error.
func withRetries(ctx context.Context, attempt func() error) error {
	for n := 1; ; n++ {
		start := time.Now()
		err := attempt()
		if err == nil || n >= maxAttempts || !Retryable(err) || api.Throttled(err) {
			return err
		}
		pause := RetryDelay(n)
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < pause+time.Since(start) {
			return err
		}
		select {
		case <-time.After(pause):
		case <-ctx.Done():
			return err // the scrape was cancelled; the failure it saw is the news
		}
	}
}
