// Package auth owns the credentials on API calls: IAM password tokens
// (fetched on first need, cached, renewed before they expire, one IAM call
// at a time, backed off on failure so wrong credentials cannot lock the
// account) and tokens issued elsewhere and read from a file.
//
// Nothing in this package logs, formats or returns a password or a token in
// an error: errors describe what failed, never with what.
package auth

import (
	"context"
	"net/http"
)

// Authenticator puts credentials on outgoing API requests.
type Authenticator interface {
	// Authorize adds credentials to req. It may wait for a token, as long
	// as ctx allows.
	Authorize(ctx context.Context, req *http.Request) error
	// Reject reports that the API refused the credentials Authorize put on
	// req (a 401), so that the next Authorize gets fresh ones. Many
	// requests refused with the same token lead to one renewal, not many.
	Reject(req *http.Request)
}

// TokenHeader carries an IAM token on CodeArts Check requests.
const TokenHeader = "X-Auth-Token"
