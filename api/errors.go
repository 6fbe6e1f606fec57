package api

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
)

// Error codes for failures that carry no error_code from the API. Together
// with the API's own codes (CC.*, APIGW.*, IAM.*) they are the values of the
// error_code label; the README lists them.
const (
	// CodeTimeout: the scrape deadline (or a client timeout) ended the call
	// before an answer arrived, or before the call could be made.
	CodeTimeout = "timeout"
	// CodeCanceled: the caller went away (the scrape was cancelled).
	CodeCanceled = "canceled"
	// CodeNetwork: DNS, connect, reset or another transport failure.
	CodeNetwork = "network"
	// CodeTLS: the server's certificate was not trusted, or the handshake failed.
	CodeTLS = "tls"
	// CodeCredentials: the exporter's own credentials could not be used (a
	// password, token or secret key file missing, empty or unreadable, or
	// AK/SK requests paused after a refused signature). No API call was
	// made, so it is a label of scrape warnings, never counted as an API
	// error.
	CodeCredentials = "credentials"
	// CodeBudget: the call was not made because max_requests_per_second
	// left no room for it before the scrape's deadline. Like credentials,
	// a label of scrape warnings, never counted as an API error.
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
// description written here); it never holds credentials because no
// credential is ever part of a URL or a message built in this module.
type Error struct {
	Code       string // API error_code, or one of the Code* constants, or HTTPStatusCode
	Message    string
	HTTPStatus int    // 0 when no HTTP answer arrived
	RequestID  string // X-Request-Id, when the gateway sent one
	Err        error  // underlying transport or decoding error, if any
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
	var apiErr *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &apiErr) && apiErr.Code != "":
		return apiErr.Code
	case errors.Is(err, context.DeadlineExceeded):
		return CodeTimeout
	case errors.Is(err, context.Canceled):
		return CodeCanceled
	}
	return transportCode(err)
}

// transportCode classifies an error from http.Client.Do.
func transportCode(err error) string {
	var (
		netErr     net.Error
		unknownCA  x509.UnknownAuthorityError
		hostErr    x509.HostnameError
		certErr    x509.CertificateInvalidError
		verifyErr  *tls.CertificateVerificationError
		recordErr  tls.RecordHeaderError
		alertError tls.AlertError
	)
	switch {
	case errors.As(err, &verifyErr), errors.As(err, &unknownCA), errors.As(err, &hostErr),
		errors.As(err, &certErr), errors.As(err, &recordErr), errors.As(err, &alertError):
		return CodeTLS
	case errors.As(err, &netErr) && netErr.Timeout():
		return CodeTimeout
	}
	return CodeNetwork
}

// errorBody covers both error shapes Huawei Cloud uses: the gateway and
// CodeArts style {"error_code","error_msg","request_id"} and IAM's keystone
// style {"error":{"code":401,"message":...,"title":...}}.
type errorBody struct {
	ErrorCode string `json:"error_code"`
	ErrorMsg  string `json:"error_msg"`
	RequestID string `json:"request_id"`
	Keystone  *struct {
		Message string `json:"message"`
		Title   string `json:"title"`
	} `json:"error"`
}

// CheckResponse returns an *Error when the answer is a failure: any status
// of 400 or more, and any body that carries an error_code whatever its
// status. CodeArts Check documents its errors with HTTP 200, so a 200 is
// not proof of success; a client that only looked at the status would read
// such an answer as an empty, "never checked" task.
func CheckResponse(resp *Response) error {
	// Nearly every answer is a success without an error_code, and decoding
	// each one twice, here and then in the caller's decoder, was a visible
	// share of the CPU time per task query (BENCHMARKS.md). So a success
	// status whose body cannot name an error_code is not decoded here.
	if resp.StatusCode < http.StatusBadRequest && !mayNameErrorCode(resp.Body) {
		return nil
	}
	var body errorBody
	// A body that is not JSON is fine here: an error page from a proxy is
	// judged by its status, a success body by the caller's decoder.
	_ = json.Unmarshal(resp.Body, &body)
	requestID := body.RequestID
	if requestID == "" {
		requestID = resp.Header.Get("X-Request-Id")
	}
	switch {
	case body.ErrorCode != "":
		return &Error{Code: body.ErrorCode, Message: body.ErrorMsg, HTTPStatus: resp.StatusCode, RequestID: requestID}
	case resp.StatusCode < http.StatusBadRequest:
		return nil
	case body.Keystone != nil:
		return &Error{Code: HTTPStatusCode(resp.StatusCode), Message: body.Keystone.Message, HTTPStatus: resp.StatusCode, RequestID: requestID}
	}
	return &Error{Code: HTTPStatusCode(resp.StatusCode), Message: http.StatusText(resp.StatusCode), HTTPStatus: resp.StatusCode, RequestID: requestID}
}

var errorCodeKey = []byte("error_code")

// mayNameErrorCode reports whether body could hold an error_code key as
// encoding/json reads one. json matches keys after unescaping them and
// without regard to case (only k and s have non-ASCII case forms, and
// error_code has neither), so a body that could is one with a backslash
// anywhere, or with "error_code" in any mix of case. False positives only
// cost a decode; FuzzCheckResponse holds this against json.Unmarshal.
func mayNameErrorCode(body []byte) bool {
	if bytes.IndexByte(body, '\\') >= 0 {
		return true
	}
	// Look around every underscore: "error" before it, "code" after.
	for i := 0; i < len(body); i++ {
		j := bytes.IndexByte(body[i:], '_')
		if j < 0 {
			return false
		}
		i += j
		if i >= 5 && i+5 <= len(body) && bytes.EqualFold(body[i-5:i+5], errorCodeKey) {
			return true
		}
	}
	return false
}
