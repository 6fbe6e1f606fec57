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
	"net/http"

	"github.com/codearts-check-exporter/codearts_check_exporter/config"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/api"
)

// Verdict is what the API's answer to a request says of its credentials.
type Verdict int

const (
	// Unknown: no answer came (network error, timeout), nothing was learnt.
	Unknown Verdict = iota
	// Accepted: the API answered without refusing the credentials.
	Accepted
	// Refused: the API answered 401 (or an authentication error code).
	Refused
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
}

// TokenHeader carries an IAM token on CodeArts Check requests.
const TokenHeader = "X-Auth-Token"

// readSecret is config.ReadSecretFile for use at run time: label is the
// config key naming the file, and failures are credentials errors.
func readSecret(label, path string) (string, error) {
	s, err := config.ReadSecretFile(path)
	if err != nil {
		return "", credentialsError(fmt.Errorf("%s: %w", label, err))
	}
	return s, nil
}

// credentialsError marks a failure to read the exporter's own credentials,
// so that scrape warnings name it "credentials" rather than an API code.
// It is not an API call and is not counted in codearts_check_api_errors_total.
func credentialsError(err error) error {
	return &api.Error{Code: api.CodeCredentials, Err: err}
}
