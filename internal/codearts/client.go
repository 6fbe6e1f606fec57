// Package codearts is the client for the CodeArts Check API: it asks for a
// task's progress, the project's task list, a check's report (defects
// and code quality) and a task's check history, and decodes the answers,
// trusting none of their fields.
package codearts

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/codearts-check-exporter/codearts_check_exporter/internal/api"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/auth"
)

// Client talks to one CodeArts Check endpoint. It is safe for concurrent use.
type Client struct {
	endpoint *url.URL
	// tasksURL is endpoint + "/v2/tasks/", escaped and without query or
	// fragment: the prefix of every per-task call, to which taskURL adds
	// the escaped task ID.
	tasksURL string
	caller   *api.Caller
	auth     auth.Authenticator
	language string // X-Language of every call
	// languageValue is []string{language}, the header's value
	languageValue []string
	// logger gets a debug line for every failed call (logFailure); nil
	// logs nothing.
	logger *slog.Logger
}

// Option sets an optional property of a Client.
type Option func(*Client)

// WithLanguage makes every call ask for texts (error_msg, progress.info)
// in lang, en-us or zh-cn (config.Language); without it, or with "", en-us.
func WithLanguage(lang string) Option {
	return func(c *Client) {
		if lang != "" {
			c.language = lang
		}
	}
}

// WithLogger makes the client log every failed call at debug level, with
// the task (or project) it was for, the endpoint, the HTTP status and the
// error code: which task fails and why, which the scrape's warnings only
// summarise by code. Without it, or with nil, nothing is logged.
func WithLogger(l *slog.Logger) Option {
	return func(c *Client) { c.logger = l }
}

// Headers of every CodeArts Check call besides the credentials. The
// official SDK sends Content-Type: application/json on these GETs, and
// the service reads X-Language (default Chinese) for its texts. The
// User-Agent is the HTTP client's own (codearts_check_exporter), not the
// SDK's: the service's operators should see which client calls.
const (
	headerLanguage = "X-Language"
	contentJSON    = "application/json"
)

var (
	contentJSONValue = []string{contentJSON}
	userAgentValue   = []string{api.UserAgent}
)

// NewClient returns a client for endpoint (https://codearts-check.{region}.myhuaweicloud.com).
func NewClient(endpoint string, caller *api.Caller, authn auth.Authenticator, opts ...Option) (*Client, error) {
	u, err := url.Parse(strings.TrimSuffix(endpoint, "/"))
	if err != nil {
		return nil, fmt.Errorf("endpoint %q: %w", endpoint, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("endpoint %q: want http(s)://host", endpoint)
	}
	tasks := *u
	tasks.RawQuery, tasks.Fragment = "", ""
	c := &Client{endpoint: u, tasksURL: tasks.String() + "/v2/tasks/", caller: caller, auth: authn, language: "en-us"}
	for _, o := range opts {
		o(c)
	}
	c.languageValue = []string{c.language}
	return c, nil
}

// tokenRefused reports whether err is the API refusing the credentials.
// Any HTTP 401 is, whatever its body says and in whichever shape: API
// Gateway answers 401 only when it did not accept the request's token or
// signature. A few codes say the same with another status:
// CC.00050007 ("IAM authentication failed") is documented with HTTP 200.
// A 403 is not a refusal of the credentials but a missing permission: it
// fails under its own code, and no token renewal would change it.
func tokenRefused(err error) bool {
	var apiErr *api.Error
	if !errors.As(err, &apiErr) {
		return false
	}
	if apiErr.HTTPStatus == http.StatusUnauthorized {
		return true
	}
	switch apiErr.Code {
	case "CC.00000003", "APIGW.0301", "APIGW.0307", "CC.00050007":
		return true
	}
	return false
}

// Progress asks for a task's progress (ShowProgressDetailV2). jobID may be
// empty. When the API refuses the credentials and fresh ones can be had
// (a renewed IAM token), the request is made once more with them (see call).
// It makes one attempt: whether and when to try again is the caller's
// choice (Retryable, RetryDelay; retry.go says why).
func (c *Client) Progress(ctx context.Context, taskID, jobID string) (Progress, error) {
	return get(ctx, c, c.progressURL(taskID, jobID), "progress", taskAttr(taskID), DecodeProgress)
}

// get makes the call u about a task or project (logged with a failure),
// counted under endpoint, and decodes a successful
// answer with decode: every call of the API goes through it. It makes one
// attempt (call may repeat a request whose credentials were refused).
func get[T any](ctx context.Context, c *Client, u, endpoint string, about slog.Attr, decode func([]byte) (T, error)) (T, error) {
	var v T
	err := c.call(ctx, u, endpoint, about, func(resp *api.Response) error {
		var err error
		v, err = decode(resp.Body)
		return err
	})
	if err != nil {
		var zero T
		return zero, err
	}
	return v, nil
}

// call sends GET u with credentials and decodes the answer, telling the
// authenticator what each answer said of the credentials. A request the
// API refused is sent once more if fresh credentials can be had (a renewed
// IAM token); never for AK/SK, where a second refusal only brings the key
// closer to being locked. about names what the call is for (taskAttr,
// projectAttr) in the debug line of each failed attempt.
func (c *Client) call(ctx context.Context, u, endpoint string, about slog.Attr, decode func(*api.Response) error) error {
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return err
		}
		// Assigned, not Set: Set allocates a slice per header per call,
		// where these are shared and never written to.
		req.Header["Accept"] = contentJSONValue
		req.Header["Content-Type"] = contentJSONValue
		req.Header[headerLanguage] = c.languageValue
		req.Header["User-Agent"] = userAgentValue
		if err := c.auth.Authorize(ctx, req); err != nil {
			c.logFailure(ctx, false, endpoint, about, err)
			return err
		}
		err = c.caller.Do(req, endpoint, decode)
		if err != nil {
			c.logFailure(ctx, true, endpoint, about, err)
		}
		v := verdict(err)
		retry := c.auth.Done(req, v)
		if err != nil && v == auth.Refused && retry && attempt == 0 {
			continue
		}
		return err
	}
}

// taskAttr and projectAttr name the task or the CodeArts project a call is
// for in its debug line.
func taskAttr(id string) slog.Attr    { return slog.String("task_id", id) }
func projectAttr(id string) slog.Attr { return slog.String("project_id", id) }

// logFailure logs one failed attempt at debug level; sent is false when
// the authenticator failed, before the call. Every text of err that the
// API sent is bounded and has had the credentials and secrets redacted by
// api.Caller, and an authenticator's errors carry no credential, so err is
// logged as it is. A call that the rate limit did not send is left out: no
// call failed, and the scrape's info line already says how many tasks the
// rate limit left for later.
func (c *Client) logFailure(ctx context.Context, sent bool, endpoint string, about slog.Attr, err error) {
	if c.logger == nil || !c.logger.Enabled(ctx, slog.LevelDebug) {
		return
	}
	code := api.Code(err)
	if code == api.CodeBudget {
		return
	}
	if !sent {
		// The status an IAM error holds is the token request's, not
		// this call's: err says it.
		c.logger.LogAttrs(ctx, slog.LevelDebug, "API call not sent: no credentials", about,
			slog.String("endpoint", endpoint), slog.String("error_code", code), slog.Any("err", err))
		return
	}
	status := 0 // no answer arrived
	var apiErr *api.Error
	if errors.As(err, &apiErr) {
		status = apiErr.HTTPStatus
	}
	c.logger.LogAttrs(ctx, slog.LevelDebug, "API call failed", about, slog.String("endpoint", endpoint),
		slog.Int("http_status", status), slog.String("error_code", code), slog.Any("err", err))
}

// verdict reads what an answer says of the request's credentials. Only an
// answer from behind the gateway's authentication counts as Accepted: no
// answer, and 5xx from a proxy or a gateway in trouble, say nothing.
func verdict(err error) auth.Verdict {
	if err == nil {
		return auth.Accepted
	}
	if tokenRefused(err) {
		return auth.Refused
	}
	var apiErr *api.Error
	if errors.As(err, &apiErr) && apiErr.HTTPStatus > 0 && apiErr.HTTPStatus < 500 {
		return auth.Accepted
	}
	return auth.Unknown
}

// progressURL builds /v2/tasks/{task_id}/progress, job_id encoded as a
// query value so that it cannot change the path or the query whatever it
// contains.
func (c *Client) progressURL(taskID, jobID string) string {
	u := c.taskURL(taskID, "progress")
	if jobID != "" {
		u += "?" + url.Values{"job_id": {jobID}}.Encode()
	}
	return u
}

// taskURL builds /v2/tasks/{task_id}/{call}. The task ID is escaped as one
// path segment, so it cannot change the path whatever it contains (config
// validation already rejects such IDs; this is the second line).
func (c *Client) taskURL(taskID, call string) string {
	return c.tasksURL + escapeSegment(taskID) + "/" + call
}

// escapeSegment escapes id as one path segment.
func escapeSegment(id string) string {
	if id == "." || id == ".." {
		// PathEscape leaves dots alone, and every proxy on the way would
		// resolve a dot segment: /v2/tasks/../progress is /v2/progress.
		return strings.ReplaceAll(id, ".", "%2E")
	}
	return url.PathEscape(id)
}
