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
	"strconv"
	"strings"

	"github.com/codearts-check-exporter/codearts_check_exporter/internal/api"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/auth"
)

// Client talks to one CodeArts Check endpoint. It is safe for concurrent use.
type Client struct {
	base     string // the endpoint, escaped, without query or fragment
	caller   *api.Caller
	auth     auth.Authenticator
	language []string     // X-Language
	logger   *slog.Logger // nil logs nothing
}

// Option sets an optional property of a Client.
type Option func(*Client)

// WithLanguage makes every call ask for texts (error_msg, progress.info)
// in lang, en-us or zh-cn (config.Language); without it, or with "", en-us.
func WithLanguage(lang string) Option {
	return func(c *Client) {
		if lang != "" {
			c.language = []string{lang}
		}
	}
}

// WithLogger makes the client log every failed call at debug level, with
// the task (or project) it was for, the endpoint, the HTTP status and the
// error code, which the scrape's warnings only summarise by code.
func WithLogger(l *slog.Logger) Option {
	return func(c *Client) { c.logger = l }
}

// Header values of every call besides the credentials, shared and never
// written to: assigned to each request's header, not Set, which would
// allocate per header per call. The official SDK sends Content-Type:
// application/json on these GETs; the User-Agent is the exporter's own, so
// that the service's operators see which client calls.
var (
	contentJSON    = []string{"application/json"}
	userAgentValue = []string{api.UserAgent}
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
	u.RawQuery, u.Fragment, u.ForceQuery = "", "", false
	c := &Client{base: u.String(), caller: caller, auth: authn, language: []string{"en-us"}}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

// get sends GET u with credentials, counted under endpoint, and decodes a
// successful answer with decode: every call of the API goes through it.
// about names the call's task or project in the debug line of a failed
// attempt. It makes one attempt, but for a request the API refused when
// fresh credentials can be had (a renewed IAM token); never for AK/SK,
// where a second refusal only brings the key closer to being locked.
func get[T any](ctx context.Context, c *Client, u, endpoint string, about slog.Attr, decode func([]byte) (T, error)) (T, error) {
	var v T // set only by a decode that succeeded: the decoders return a zero T with their error
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return v, err
		}
		req.Header["Accept"] = contentJSON
		req.Header["Content-Type"] = contentJSON
		req.Header["X-Language"] = c.language
		req.Header["User-Agent"] = userAgentValue
		if err := c.auth.Authorize(ctx, req); err != nil {
			c.logFailure(ctx, false, endpoint, about, err)
			return v, err
		}
		err = c.caller.Do(req, endpoint, func(resp *api.Response) error {
			var err error
			v, err = decode(resp.Body)
			return err
		})
		if err != nil {
			c.logFailure(ctx, true, endpoint, about, err)
		}
		said := verdict(err)
		if !c.auth.Done(req, said) || said != auth.Refused || attempt > 0 {
			return v, err
		}
	}
}

func taskAttr(id string) slog.Attr    { return slog.String("task_id", id) }
func projectAttr(id string) slog.Attr { return slog.String("project_id", id) }

// logFailure logs one failed attempt at debug level; sent is false when
// the authenticator failed, before the call. err is safe to log: api.Caller
// redacted what the API sent, and an authenticator's errors carry no
// credential. A call the rate limit did not send is no failed call.
func (c *Client) logFailure(ctx context.Context, sent bool, endpoint string, about slog.Attr, err error) {
	if c.logger == nil || !c.logger.Enabled(ctx, slog.LevelDebug) {
		return
	}
	code := api.Code(err)
	if code == api.CodeBudget {
		return
	}
	if !sent {
		// The status an IAM error holds is the token request's: err says it.
		c.logger.LogAttrs(ctx, slog.LevelDebug, "API call not sent: no credentials", about,
			slog.String("endpoint", endpoint), slog.String("error_code", code), slog.Any("err", err))
		return
	}
	status := 0 // no answer arrived
	if apiErr, ok := errors.AsType[*api.Error](err); ok {
		status = apiErr.HTTPStatus
	}
	c.logger.LogAttrs(ctx, slog.LevelDebug, "API call failed", about, slog.String("endpoint", endpoint),
		slog.Int("http_status", status), slog.String("error_code", code), slog.Any("err", err))
}

// verdict reads what an answer says of the request's credentials. Any 401
// refuses them (API Gateway's answer to a token or signature it did not
// accept), and so do a few codes with another status (CC.00050007 comes
// with HTTP 200); a 403 is a missing permission, which no new token would
// change. No answer, and 5xx from a proxy or a gateway in trouble, say
// nothing.
func verdict(err error) auth.Verdict {
	apiErr, isAPI := errors.AsType[*api.Error](err)
	switch {
	case err == nil:
		return auth.Accepted
	case !isAPI:
		return auth.Unknown
	case apiErr.HTTPStatus == http.StatusUnauthorized:
		return auth.Refused
	}
	switch apiErr.Code {
	case "CC.00000003", "APIGW.0301", "APIGW.0307", "CC.00050007":
		return auth.Refused
	}
	if apiErr.HTTPStatus > 0 && apiErr.HTTPStatus < 500 {
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

func (c *Client) taskURL(taskID, call string) string {
	return c.base + "/v2/tasks/" + escapeSegment(taskID) + "/" + call
}

// projectURL builds /v2/{project_id}{rest}?offset=&limit=, with query's
// other parameters: both of its calls are pages.
func (c *Client) projectURL(projectID, rest string, offset, limit int, query url.Values) string {
	query.Set("offset", strconv.Itoa(offset))
	query.Set("limit", strconv.Itoa(limit))
	return c.base + "/v2/" + escapeSegment(projectID) + rest + "?" + query.Encode()
}

// escapeSegment escapes id as one path segment, so that it cannot change
// the path whatever it contains (config validation already rejects such
// IDs; this is the second line).
func escapeSegment(id string) string {
	if id == "." || id == ".." {
		// PathEscape leaves dots alone, and every proxy on the way would
		// resolve a dot segment: /v2/tasks/../progress is /v2/progress.
		return strings.ReplaceAll(id, ".", "%2E")
	}
	return url.PathEscape(id)
}
