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

// Retry policy of CodeArts Check calls (progress, task list, reports).
//
// A failed call is retried only when the failure says "try again": the
// service is busy (CC.00000000, CC.00050012), the gateway throttles
// (APIGW.0308), a proxy or the gateway has no backend for a moment
// (HTTP 502, 503, 504, whatever their error_code), or the connection failed
// (error code network). Nothing else is retried: another 4xx will be
// answered the same way next time, a timeout means the deadline is gone, a
// TLS failure is a configuration error, an invalid answer will not improve,
// and a host name that does not exist will not exist 100 ms later.
//
// Attempts are at most maxAttempts in all, separated by an exponential
// back-off (retryBaseDelay, then twice that) with jitter of ±50%, so that
// the tasks of a throttled scrape do not all come back at the same instant.
// A retry is only made while the scrape deadline leaves room for the pause
// plus one more call as long as the last one took: otherwise the task gives
// up at once with the error it got, which says more than "timeout".
//
// Every failed attempt is counted in codearts_check_api_errors_total (by
// api.Caller); a 401 that asks for a fresh token is handled inside an
// attempt (see Client.Progress), not by this policy.
//
// Variables, not constants, so tests can change them.
var (
	maxAttempts    = 3
	retryBaseDelay = 100 * time.Millisecond
)

// retryable reports whether a failed call may succeed if made again
// shortly.
func retryable(err error) bool {
	// A token the IAM source is backing off from will not come sooner for
	// asking; the source already paces its own retries.
	var backoff *auth.BackoffError
	if errors.As(err, &backoff) {
		return false
	}
	var apiErr *api.Error
	if !errors.As(err, &apiErr) {
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
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// retryDelay is the pause before attempt n+1 (n >= 1): retryBaseDelay ×
// 2^(n-1), jittered to between half and one and a half times that.
func retryDelay(n int) time.Duration {
	d := retryBaseDelay << (n - 1)
	return time.Duration(float64(d) * (0.5 + rand.Float64()))
}

// withRetries calls attempt until it succeeds, fails with an error that is
// not retryable, maxAttempts are made, or ctx's deadline leaves no room for
// another. It returns the last attempt's error.
func withRetries(ctx context.Context, attempt func() error) error {
	for n := 1; ; n++ {
		start := time.Now()
		err := attempt()
		if err == nil || n >= maxAttempts || !retryable(err) {
			return err
		}
		pause := retryDelay(n)
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < pause+time.Since(start) {
			return err
		}
		t := time.NewTimer(pause)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			// The scrape was cancelled; the failure it saw is the news.
			return err
		}
	}
}
