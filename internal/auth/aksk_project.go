package auth

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/codearts-check-exporter/codearts_check_exporter/internal/api"
)

// CodeProjectLookup is the error code of an IAM project lookup that was
// answered, but with no project or several of the region's name: a fault
// of the account or of the configuration, never fixed by retrying at once.
const CodeProjectLookup = "project_lookup"

// ProjectLookupEndpoint names the lookup in codearts_check_api_requests_total.
const ProjectLookupEndpoint = "iam_projects"

// projectLookup finds the IAM project ID for AK/SK requests when none is
// configured, as the SDK does: a signed GET {iam}/v3/projects?name={region}
// without X-Project-Id. The answer is kept until the credentials change.
// Fields below caller are guarded by AKSK.mu.
type projectLookup struct {
	region, endpoint string
	caller           *api.Caller

	id          string        // the project found; "" = none yet
	key         [32]byte      // the credentials id (or err) was found with
	running     chan struct{} // closed when the lookup in flight ends; nil when none is
	err         error         // the last failed lookup, kept until nextAttempt
	failures    int           // failed lookups in a row
	nextAttempt time.Time
}

// credentialsKey identifies the credentials in force without keeping
// another copy of the secrets.
func credentialsKey(ak, sk, token string) [32]byte {
	return sha256.Sum256([]byte(ak + "\x00" + sk + "\x00" + token))
}

// project returns the project ID to send as X-Project-Id: the configured
// one, or the one looked up with the credentials in force. However many
// requests need it at once, one lookup is in flight; its failure is
// reported to every request until the back-off after it ends, so a broken
// lookup costs one IAM request per back-off, not one per task.
func (a *AKSK) project(ctx context.Context) (string, error) {
	l := a.lookup
	if l == nil {
		return a.projectID, nil
	}
	sk, token, err := a.secrets()
	if err != nil {
		return "", err
	}
	key := credentialsKey(a.accessKey, sk, token)
	for {
		a.mu.Lock()
		switch {
		case l.id != "" && l.key == key:
			id := l.id
			a.mu.Unlock()
			return id, nil
		case l.running == nil && l.err != nil && l.key == key && a.now().Before(l.nextAttempt):
			err := fmt.Errorf("no IAM project ID: next lookup at %s after: %w", l.nextAttempt.UTC().Format(time.RFC3339), l.err)
			a.mu.Unlock()
			return "", err
		case l.running == nil:
			done := make(chan struct{})
			l.running = done
			a.mu.Unlock()
			id, v, err := a.lookupProject(ctx, sk, token)
			a.mu.Lock()
			l.running = nil
			close(done)
			l.record(id, err, key, a.retryAt(err, v, ctx.Err() != nil))
			a.mu.Unlock()
			return id, err
		}
		wait := l.running
		a.mu.Unlock()
		select {
		case <-wait:
			// Loop: take the project found, or the lookup's error.
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
}

// retryAt is when a lookup may follow one that failed with err and verdict
// v: after a refused signature, when the gate's pause ends (no request
// admitted before the refusal may sign again); after another failure, at
// the IAM token back-off; at once when the caller's context cut the lookup
// short, which taught nothing. Called with AKSK.mu held.
func (a *AKSK) retryAt(err error, v Verdict, canceled bool) time.Time {
	l := a.lookup
	switch {
	case err == nil || canceled && v != Refused:
		return time.Time{}
	case v == Refused:
		return a.pausedUntil
	}
	return a.now().Add(backoff(l.failures+1, iamBackoffBase(err)))
}

// record keeps the outcome of a lookup made with the credentials key; a
// failure is reported to every request until retryAt. Called with AKSK.mu
// held.
func (l *projectLookup) record(id string, err error, key [32]byte, retryAt time.Time) {
	l.key = key
	if err == nil {
		l.id, l.err, l.failures, l.nextAttempt = id, nil, 0, time.Time{}
		return
	}
	l.id = ""
	if retryAt.IsZero() {
		return
	}
	l.failures++
	l.err, l.nextAttempt = err, retryAt
}

// projectsResponse is the part of IAM's project list the lookup reads.
type projectsResponse struct {
	Projects *[]struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"projects"`
}

// lookupProject sends the lookup, signed with the same gate as every AK/SK
// request: its verdict goes to Done, so a refused signature pauses signing
// like any other. The caller has been admitted by the gate.
func (a *AKSK) lookupProject(ctx context.Context, sk, token string) (string, Verdict, error) {
	l := a.lookup
	u := strings.TrimSuffix(l.endpoint, "/") + "/v3/projects?" + url.Values{"name": {l.region}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", Unknown, fmt.Errorf("auth.aksk.iam_endpoint %q: %w", l.endpoint, err)
	}
	req.Header.Set("Accept", "application/json")
	if err := a.signWith(req, "", sk, token); err != nil {
		return "", Unknown, err
	}
	var id string
	err = l.caller.Do(req, ProjectLookupEndpoint, func(resp *api.Response) error {
		var err error
		id, err = l.decode(resp)
		return err
	})
	v := lookupVerdict(err)
	a.done(req, v, true)
	if err != nil {
		return "", v, fmt.Errorf("looking up the IAM project of region %s on %s (set auth.aksk.project_id to skip the lookup): %w", l.region, l.endpoint, err)
	}
	return id, v, nil
}

// decode reads the project list: exactly one project, named after the
// region, must be in it.
func (l *projectLookup) decode(resp *api.Response) (string, error) {
	var body projectsResponse
	if err := json.Unmarshal(resp.Body, &body); err != nil {
		return "", fmt.Errorf("IAM project list: %w", err)
	}
	if body.Projects == nil {
		return "", fmt.Errorf("IAM project list has no projects key")
	}
	var ids []string
	for _, p := range *body.Projects {
		// Only the exact name: an IAM that ignored the filter would list
		// every project of the account.
		if p.Name == l.region {
			ids = append(ids, p.ID)
		}
	}
	switch {
	case len(ids) == 0:
		return "", &api.Error{Code: CodeProjectLookup, HTTPStatus: resp.StatusCode, RequestID: resp.Header.Get("X-Request-Id"),
			Message: fmt.Sprintf("the account has no IAM project named %s: check that the region is enabled for the account, or set auth.aksk.project_id", l.region)}
	case len(ids) > 1:
		return "", &api.Error{Code: CodeProjectLookup, HTTPStatus: resp.StatusCode, RequestID: resp.Header.Get("X-Request-Id"),
			Message: fmt.Sprintf("the account has %d IAM projects named %s (%s): set auth.aksk.project_id to the one to use", len(ids), l.region, strings.Join(ids, ", "))}
	}
	if !projectIDPattern(ids[0]) {
		return "", fmt.Errorf("IAM project id %q of %s: want 1 to 64 letters, digits, '-' or '_'", ids[0], l.region)
	}
	return ids[0], nil
}

// projectIDPattern is what config accepts for auth.aksk.project_id: the ID
// travels in a signed header, so nothing else may come from the answer.
func projectIDPattern(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// lookupVerdict reads what IAM's answer to the lookup says of the
// signature. Whatever the body, a 401 is a refusal; any other answer from
// IAM below 500 got past the signature check.
func lookupVerdict(err error) Verdict {
	if err == nil {
		return Accepted
	}
	var apiErr *api.Error
	if !errors.As(err, &apiErr) || apiErr.HTTPStatus == 0 || apiErr.HTTPStatus >= 500 {
		return Unknown
	}
	if apiErr.HTTPStatus == http.StatusUnauthorized || apiErr.Code == "APIGW.0301" {
		return Refused
	}
	return Accepted
}
