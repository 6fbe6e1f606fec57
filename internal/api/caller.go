package api

import (
	"errors"
	"fmt"
	"io"
	"net/http"
)

// MaxBodySize bounds how much of an answer is read. Real answers are a few
// hundred bytes (a task list page a few tens of KiB); anything larger is a
// broken proxy or an attack, which must not cost unbounded memory.
const MaxBodySize = 1 << 20

// Response is an API answer with its body fully read.
type Response struct {
	StatusCode int
	Header     http.Header
	Body       []byte
}

// UserAgent is the User-Agent of every API call, so that the service's
// logs tell the exporter's calls from others'. Caller sets it on the
// request itself: prometheus/common's WithUserAgent would clone every
// request to add it.
const UserAgent = "codearts_check_exporter"

// Caller sends API requests and counts them. It is safe for concurrent use.
type Caller struct {
	Client  *http.Client
	Metrics *Metrics // nil: nothing is counted
	// Limit paces every call of every Caller that shares it (ratelimit.go).
	// nil: no limit.
	Limit *RateLimit
	// Secrets returns the configured secrets (the IAM password, the AK/SK
	// secret key and security token), which are redacted, with the
	// request's own credentials, from every text an *Error keeps. It is
	// set before first use and called once per failed call. nil: none.
	Secrets func() []string
}

// Do sends req, reads its answer, and checks it with checkResponse; decode
// turns a success into the caller's result, and its error becomes an
// invalid_response *Error. Every failure comes back as an *Error, counted
// once under its code; endpoint names the API in
// codearts_check_api_requests_total. A call the rate limit cannot fit
// before req's deadline is not sent: it fails at once, coded budget and
// wrapping ErrRateLimited.
func (c *Caller) Do(req *http.Request, endpoint string, decode func(*Response) error) error {
	if err := c.Limit.wait(req.Context()); err != nil {
		// Not a failed API call: the operator chose the limit, and counting
		// it would make every limited scrape look like an API in trouble.
		// A call whose deadline had passed is a timeout like any other.
		if req.Context().Err() != nil {
			c.Metrics.CountError(Code(err))
		}
		return err
	}
	err := c.do(req, endpoint, decode)
	c.Limit.observe(err)
	if err != nil {
		if e, ok := errors.AsType[*Error](err); ok {
			secrets := requestSecrets(req)
			if c.Secrets != nil {
				secrets = append(secrets, c.Secrets()...)
			}
			newRedactor(secrets).scrub(e)
		}
		c.Metrics.CountError(Code(err))
	}
	return err
}

func (c *Caller) do(req *http.Request, endpoint string, decode func(*Response) error) error {
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", UserAgent)
	}
	httpResp, err := c.Client.Do(req)
	if err != nil {
		c.Metrics.countRequest(endpoint, "error")
		return &Error{Code: Code(err), Err: err}
	}
	defer httpResp.Body.Close()
	c.Metrics.countRequest(endpoint, statusClass(httpResp.StatusCode))

	resp := &Response{StatusCode: httpResp.StatusCode, Header: httpResp.Header}
	resp.Body, err = readBody(httpResp)
	if err != nil {
		return &Error{Code: Code(err), HTTPStatus: resp.StatusCode, Message: "reading the answer", Err: err}
	}
	if len(resp.Body) > MaxBodySize {
		return &Error{Code: CodeInvalidResponse, HTTPStatus: resp.StatusCode,
			Message: fmt.Sprintf("answer larger than %d bytes", MaxBodySize)}
	}
	if e := checkResponse(resp); e != nil {
		return e
	}
	if err := decode(resp); err != nil {
		if _, ok := errors.AsType[*Error](err); ok {
			return err
		}
		return &Error{Code: CodeInvalidResponse, HTTPStatus: resp.StatusCode,
			RequestID: resp.Header.Get("X-Request-Id"), Err: err}
	}
	return nil
}

// readBody reads the answer, at most MaxBodySize+1 bytes: one past the
// limit tells "exactly the limit" from "more". A small answer of a known
// length is read into a buffer of that length (io.ReadAll's first would be
// several times a progress answer); only small, so that a Content-Length
// that lies costs at most 16 KiB before the bytes it claims come.
func readBody(r *http.Response) ([]byte, error) {
	if n := r.ContentLength; n >= 0 && n <= 16<<10 {
		b := make([]byte, n)
		_, err := io.ReadFull(r.Body, b)
		return b, err
	}
	return io.ReadAll(io.LimitReader(r.Body, MaxBodySize+1))
}

// statusClasses are the status_class label values of 1xx..5xx answers,
// made once rather than for every call.
var statusClasses = [...]string{"1xx", "2xx", "3xx", "4xx", "5xx"}

func statusClass(status int) string {
	if status < 100 || status > 599 {
		return "other"
	}
	return statusClasses[status/100-1]
}
