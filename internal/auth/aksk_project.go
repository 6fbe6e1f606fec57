package auth

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
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
type projectLookup struct {
	region, endpoint string
	caller           *api.Caller

	// turn is held by the one request that looks the project up or reads
	// the outcome; it guards the fields below.
	turn     chan struct{}
	key      [32]byte // a hash of the credentials id or err was found with
	id       string   // "": none found
	err      error    // the last failure, reported until nextTry
	failures int      // failed lookups in a row
	nextTry  time.Time
}

// project returns the project ID to send as X-Project-Id: the configured
// one, or the one looked up with the credentials in force. One lookup is
// sent at a time, and its failure is reported to every request until the
// back-off after it ends: a broken lookup costs one request per back-off.
// The lookup passed the same gate as every AK/SK request (admit), and its
// verdict counts like theirs: a refused signature pauses signing.
func (a *AKSK) project(ctx context.Context, sk, token string) (string, error) {
	l := a.lookup
	if l == nil {
		return a.projectID, nil
	}
	select {
	case l.turn <- struct{}{}:
		defer func() { <-l.turn }()
	case <-ctx.Done():
		return "", ctx.Err()
	}
	key := sha256.Sum256([]byte(a.accessKey + "\x00" + sk + "\x00" + token))
	switch {
	case l.key == key && l.id != "":
		return l.id, nil
	case l.key == key && l.err != nil && a.now().Before(l.nextTry):
		return "", fmt.Errorf("no IAM project ID: next lookup at %s after: %w",
			l.nextTry.UTC().Format(time.RFC3339), l.err)
	}
	l.key, l.id = key, ""
	u := strings.TrimSuffix(l.endpoint, "/") + "/v3/projects?" + url.Values{"name": {l.region}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", fmt.Errorf("auth.aksk.iam_endpoint %q: %w", l.endpoint, err)
	}
	req.Header.Set("Accept", "application/json")
	if err := a.sign(req, "", sk, token); err != nil {
		return "", err
	}
	err = l.caller.Do(req, ProjectLookupEndpoint, func(resp *api.Response) error {
		var err error
		l.id, err = decodeProjects(resp, l.region)
		return err
	})
	v := lookupVerdict(err)
	a.done(req, v, true)
	if err == nil {
		l.err, l.failures = nil, 0
		return l.id, nil
	}
	err = fmt.Errorf("looking up the IAM project of region %s on %s (set auth.aksk.project_id to skip the lookup): %w",
		l.region, l.endpoint, err)
	if v != Refused && ctx.Err() != nil {
		return "", err // cut short by the caller: nothing was learnt
	}
	l.failures++
	l.err, l.nextTry = err, a.now().Add(backoff(l.failures, iamBackoffBase(err)))
	return "", err
}

// decodeProjects reads IAM's project list: exactly one project, named
// region, must be in it.
func decodeProjects(resp *api.Response, region string) (string, error) {
	var body struct {
		Projects *[]struct{ ID, Name string } `json:"projects"`
	}
	if err := json.Unmarshal(resp.Body, &body); err != nil {
		return "", fmt.Errorf("IAM project list: %w", err)
	}
	if body.Projects == nil {
		return "", errors.New("IAM project list has no projects key")
	}
	var ids []string
	for _, p := range *body.Projects {
		// Only the exact name: an IAM that ignored the filter would list
		// every project of the account.
		if p.Name == region {
			ids = append(ids, p.ID)
		}
	}
	var msg string
	switch {
	case len(ids) == 0:
		msg = fmt.Sprintf("the account has no IAM project named %s: check that the region is enabled for the account, "+
			"or set auth.aksk.project_id", region)
	case len(ids) > 1:
		msg = fmt.Sprintf("the account has %d IAM projects named %s (%s): set auth.aksk.project_id to the one to use",
			len(ids), region, strings.Join(ids, ", "))
	case !safeProjectID.MatchString(ids[0]):
		return "", fmt.Errorf("IAM project id %q of %s: want 1 to 64 letters, digits, '-' or '_'", ids[0], region)
	default:
		return ids[0], nil
	}
	return "", &api.Error{Code: CodeProjectLookup, HTTPStatus: resp.StatusCode,
		RequestID: resp.Header.Get("X-Request-Id"), Message: msg}
}

// safeProjectID is what may come from the answer: the ID travels in a
// signed header.
var safeProjectID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// lookupVerdict reads what IAM's answer to the lookup says of the
// signature. Whatever the body, a 401 is a refusal; any other answer from
// IAM below 500 got past the signature check.
func lookupVerdict(err error) Verdict {
	switch apiErr, ok := errors.AsType[*api.Error](err); {
	case err == nil:
		return Accepted
	case !ok || apiErr.HTTPStatus == 0 || apiErr.HTTPStatus >= 500:
		return Unknown
	case apiErr.HTTPStatus == http.StatusUnauthorized || apiErr.Code == "APIGW.0301":
		return Refused
	}
	return Accepted
}
