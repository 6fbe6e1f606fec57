package api

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strconv"
)

// Error codes for failures that carry no error_code from the API. Together
// with the API's own codes (CC.*, APIGW.*, IAM.*) they are the values of the
// error_code label; docs/api-errors.md lists them.
const (
	// CodeTimeout: the scrape deadline (or a client timeout) ended the call
	// before an answer arrived, or before the call could be made.
	CodeTimeout  = "timeout"
	CodeCanceled = "canceled" // the caller (the scrape) went away
	CodeNetwork  = "network"  // DNS, connect, reset or another transport failure
	CodeTLS      = "tls"      // the server's certificate was not trusted, or the handshake failed
	// CodeCredentials: the exporter's own credentials could not be used (a
	// password, token or secret key file missing, empty or unreadable, or
	// AK/SK requests paused after a refused signature). No call was made:
	// a label of scrape warnings, never counted as an API error.
	CodeCredentials = "credentials"
	// CodeBudget: the call was not made because max_requests_per_second
	// left no room for it before the deadline. Like credentials, never
	// counted as an API error.
	CodeBudget = "budget"
	// CodeInvalidResponse: an answer that is not what the API documents:
	// not JSON, wrong field types, a missing token header, or a body over
	// MaxBodySize.
	CodeInvalidResponse = "invalid_response"
)

// HTTPStatusCode is the code of a failed HTTP answer whose body names no
// error_code: "http_502" for a 502 with an HTML body.
func HTTPStatusCode(status int) string { return "http_" + strconv.Itoa(status) }

// Error is a failed API call. Message is the API's own error_msg (or a
// description written here). Caller.Do bounds every text an API sent back
// and redacts credentials from it (text.go); no credential is ever part of
// a URL or of a message built in this module.
type Error struct {
	Code       string // API error_code, or one of the Code* constants, or HTTPStatusCode
	Message    string
	HTTPStatus int    // 0 when no HTTP answer arrived
	RequestID  string // X-Request-Id, when the gateway sent one
	Err        error  // underlying transport or decoding error, if any
	// EncodedAuthorizationMessage is the gateway's encoded diagnostic of a
	// refused permission, which the account's administrator can decode. It
	// is long, so it is left out of Error(): callers log it at debug level.
	EncodedAuthorizationMessage string
}

func (e *Error) Error() string {
	msg := e.Code
	if e.HTTPStatus != 0 {
		msg += fmt.Sprintf(" (HTTP %d)", e.HTTPStatus)
	}
	if e.Message != "" {
		msg += ": " + e.Message
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	if e.RequestID != "" {
		msg += " [request_id " + e.RequestID + "]"
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// Code returns the error_code label value for err: the API's code when the
// API sent one, an exporter code otherwise. It never returns "".
func Code(err error) string {
	apiErr, isAPI := errors.AsType[*Error](err)
	switch {
	case err == nil:
		return ""
	case isAPI && apiErr.Code != "":
		return apiErr.Code
	case errors.Is(err, context.DeadlineExceeded):
		return CodeTimeout
	case errors.Is(err, context.Canceled):
		return CodeCanceled
	}
	return transportCode(err)
}

// transportCode classifies an error from http.Client.Do. The handshake
// wraps every certificate it could not verify (unknown authority, wrong
// host name, expired) in a tls.CertificateVerificationError.
func transportCode(err error) string {
	var (
		netErr    net.Error
		verifyErr *tls.CertificateVerificationError
		recordErr tls.RecordHeaderError
		alertErr  tls.AlertError
	)
	switch {
	case errors.As(err, &verifyErr), errors.As(err, &recordErr), errors.As(err, &alertErr):
		return CodeTLS
	case errors.As(err, &netErr) && netErr.Timeout():
		return CodeTimeout
	}
	return CodeNetwork
}
