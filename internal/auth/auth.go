// Package auth owns the credentials on API calls: IAM password tokens
// (fetched on first need, cached, renewed before they expire, one IAM call
// at a time, backed off on failure so wrong credentials cannot lock the
// account), tokens issued elsewhere and read from a file, and AK/SK request
// signing (paused after a refused signature, for the same reason), with the
// lookup of the IAM project when none is configured.
//
// Nothing in this package logs, formats or returns a password, secret key
// or token in an error: errors describe what failed, never with what.
package auth

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"time"
)

// Verdict is what the API's answer to a request says of its credentials.
type Verdict int

const (
	Unknown  Verdict = iota // no answer came (network error, timeout): nothing was learnt
	Accepted                // the API answered without refusing the credentials
	Refused                 // the API answered 401 (or an authentication error code)
)

// Authenticator puts credentials on outgoing API requests.
type Authenticator interface {
	// Authorize adds credentials to req. It may wait for a token, as long
	// as ctx allows.
	Authorize(ctx context.Context, req *http.Request) error
	// Done reports the verdict on the credentials Authorize put on req. For
	// Refused it returns whether sending the request again may succeed
	// because fresh credentials can be had (a renewed token); many
	// requests refused with the same token lead to one renewal, not many.
	Done(req *http.Request, v Verdict) (retry bool)
	// Secrets returns the secrets in use now, so that api.Caller can redact
	// them from what an API sends back: an API that echoes a request, or a
	// proxy that quotes one, must not put a password or a key in an error or
	// a log line. It reads no file and is safe for concurrent use.
	Secrets() []string
}

// TokenHeader carries an IAM token on CodeArts Check requests.
const TokenHeader = "X-Auth-Token"

// BackoffError is returned while token requests or AK/SK signing are
// paused after a failure. It wraps that failure, so api.Code reports its
// error code.
type BackoffError struct {
	What  string // what is missing, in the mode in use: "no IAM token", "AK/SK signing paused"
	Until time.Time
	Err   error
}

func (e *BackoffError) Error() string {
	return fmt.Sprintf("%s: next attempt at %s after: %v", e.What, e.Until.UTC().Format(time.RFC3339), e.Err)
}

func (e *BackoffError) Unwrap() error { return e.Err }

// backoff is the pause after the n-th failed attempt in a row: exponential
// from base, capped, with ±10% jitter so that replicas drift apart.
func backoff(n int, base time.Duration) time.Duration {
	d := maxBackoff
	if n < 20 {
		d = min(base<<(n-1), maxBackoff)
	}
	return time.Duration(float64(d) * (0.9 + 0.2*rand.Float64()))
}

func waitFor(ctx context.Context, ch <-chan struct{}) error {
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// sendOrder tells whether credentials were accepted after a request was
// sent: then its refusal is the task's own (its permissions, or a service
// that answers 401 for it), and must not cost the other tasks a renewal or
// a pause. Every request sent must reach Done, which forgets it. Guarded by
// its owner's mutex.
type sendOrder struct {
	accepted uint64                   // acceptances heard
	sent     map[*http.Request]uint64 // accepted when each request was sent
}

func (o *sendOrder) send(req *http.Request) {
	if o.sent == nil {
		o.sent = map[*http.Request]uint64{}
	}
	o.sent[req] = o.accepted
}

// acceptedSince forgets req and tells whether an acceptance was heard after
// it was sent; never for a request not sent.
func (o *sendOrder) acceptedSince(req *http.Request) bool {
	n, ok := o.sent[req]
	delete(o.sent, req)
	return ok && o.accepted > n
}
