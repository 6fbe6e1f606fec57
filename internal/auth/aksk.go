package auth

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"reflect"
	"sync"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/signer"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/request"

	"github.com/codearts-check-exporter/codearts_check_exporter/config"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/api"
)

// Headers of AK/SK-signed requests besides the signature itself.
const (
	ProjectIDHeader     = "X-Project-Id"
	SecurityTokenHeader = "X-Security-Token"
)

// AKSK signs every request with an access key pair (SDK-HMAC-SHA256). The
// signing itself is the official SDK's signer: a hand-written copy could
// drift from what API Gateway checks, and every wrong signature counts
// towards the access key's lock-out. No token is ever fetched.
type AKSK struct {
	accessKey, projectID string
	secretKey, token     *secret // token: the security token of temporary credentials, "" for none
	lookup               *projectLookup
	now                  func() time.Time
	logger               *slog.Logger

	// API Gateway locks an access key after 5 refused signatures in a row:
	// until a signature is accepted, one request (the probe) is sent and the
	// others wait for its verdict; after a refusal, signing pauses.
	mu          sync.Mutex
	order       sendOrder
	probe       chan struct{} // closed when the probe in flight has its verdict; nil when none is
	refusals    int           // refused signatures in a row
	pausedUntil time.Time
	suspect     string // the path of a refusal not yet taken for the key's (see Done)
}

// NewAKSK returns a signer for cfg, a validated auth.aksk. Without a
// project ID, the project named cfg.ProjectName (the region) is looked up
// on cfg.IAMEndpoint through caller. Secret files are read once now, so
// that a missing or empty one is reported at startup.
func NewAKSK(cfg config.AKSK, caller *api.Caller, logger *slog.Logger) (*AKSK, error) {
	if cfg.AccessKey == "" {
		return nil, errors.New("aksk: access key is required")
	}
	if cfg.ProjectID == "" && (cfg.ProjectName == "" || cfg.IAMEndpoint == "" || caller == nil) {
		return nil, errors.New("aksk: project ID, or region, IAM endpoint and caller to look it up, are required")
	}
	a := &AKSK{
		accessKey: cfg.AccessKey,
		projectID: cfg.ProjectID,
		secretKey: newSecret(string(cfg.SecretKey), cfg.SecretKeyFile, "secret_key_file"),
		token:     newSecret(string(cfg.SecurityToken), cfg.SecurityTokenFile, "security_token_file"),
		now:       time.Now,
		logger:    logger,
	}
	if cfg.ProjectID == "" {
		a.lookup = &projectLookup{region: cfg.ProjectName, endpoint: cfg.IAMEndpoint, caller: caller,
			turn: make(chan struct{}, 1)}
	}
	if sk, _, err := a.secrets(); err != nil {
		return nil, err
	} else if sk == "" {
		return nil, errors.New("aksk: no secret key")
	}
	return a, nil
}

// Secrets implements Authenticator: the secret key and the security token.
func (a *AKSK) Secrets() []string { return []string{a.secretKey.last(), a.token.last()} }

func (a *AKSK) secrets() (sk, token string, err error) {
	if sk, err = a.secretKey.Value(); err == nil {
		token, err = a.token.Value()
	}
	return sk, token, err
}

// Authorize implements Authenticator: it signs req, which must have no
// body (every call the exporter makes is a GET). The signed headers are
// host, X-Project-Id, X-Sdk-Date and, with temporary credentials,
// X-Security-Token; the query (job_id, offset, limit) is signed too.
func (a *AKSK) Authorize(ctx context.Context, req *http.Request) error {
	if req.Body != nil && req.Body != http.NoBody {
		return errors.New("aksk: signing requests with a body is not supported")
	}
	if err := a.admit(ctx, req.URL.Path); err != nil {
		return err
	}
	sk, token, err := a.secrets()
	projectID := ""
	if err == nil {
		projectID, err = a.project(ctx, sk, token)
	}
	if err == nil {
		err = a.sign(req, projectID, sk, token)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if err != nil {
		a.endProbe() // this request will not be sent: it cannot be the probe
		return err
	}
	a.order.send(req)
	return nil
}

// sign adds the signature headers to req; projectID "" sends no
// X-Project-Id (the project lookup itself).
func (a *AKSK) sign(req *http.Request, projectID, sk, token string) error {
	host := cmp.Or(req.Host, req.URL.Host)
	b := request.NewHttpRequestBuilder().
		WithEndpoint(req.URL.Scheme+"://"+host).
		// The signer escapes each segment itself: IDs in paths are letters,
		// digits, '-' and '_' (config validation), so no '/' is escaped.
		WithPath(req.URL.Path).
		WithMethod(req.Method).
		AddHeaderParam("Host", host).
		AddHeaderParam(signer.HeaderXDate, a.now().UTC().Format(signer.BasicDateFormat))
	if projectID != "" {
		req.Header.Set(ProjectIDHeader, projectID)
		b.AddHeaderParam(ProjectIDHeader, projectID)
	}
	if token != "" {
		req.Header.Set(SecurityTokenHeader, token)
		b.AddHeaderParam(SecurityTokenHeader, token)
	}
	for key, values := range req.URL.Query() {
		// The signer silently leaves out values that are not reflect.Values.
		b.AddQueryParam(key, reflect.ValueOf(values))
	}
	signed, err := signer.Sign(b.Build(), a.accessKey, sk)
	if err != nil {
		return fmt.Errorf("aksk: signing: %w", err) // it names a missing ak or sk, never a value
	}
	for name, value := range signed {
		req.Header.Set(name, value) // X-Sdk-Date and Authorization
	}
	return nil
}

// admit returns when a request for path may be signed and sent: at once
// when a signature was accepted since the last refusal; as the probe when
// none is in flight; else after the probe's verdict. It fails while signing
// is paused for path (see Done).
func (a *AKSK) admit(ctx context.Context, path string) error {
	for {
		a.mu.Lock()
		wait, err := a.probe, error(nil)
		switch {
		case a.now().Before(a.pausedUntil) && (a.suspect == "" || a.suspect == path):
			err = &BackoffError{What: "AK/SK signing paused", Until: a.pausedUntil, Err: &api.Error{
				Code: api.CodeCredentials, Message: "the API refused the AK/SK signature (APIGW.0301)"}}
		case a.refusals == 0 && a.order.accepted != 0: // accepted since the last refusal
			wait = nil
		case wait == nil:
			a.probe = make(chan struct{})
		}
		a.mu.Unlock()
		if err != nil || wait == nil {
			return err
		}
		if err := waitFor(ctx, wait); err != nil {
			return err
		}
	}
}

// Done implements Authenticator. A refused signature is never sent again:
// there is no token to renew. Signing pauses (15 s, doubling up to 5 min),
// the secret files are read again, and the key's refusal is logged once.
//
// A refusal is the task's own, and changes nothing, when a request sent
// after it was accepted. Without that evidence, the first refusal since the
// key was last accepted is only suspected: signing pauses for that path
// while requests for other paths go on, one at a time, as probes; the first
// accepted ends the pause, a refused one makes it the key's. So one task
// answering 401 does not stop the others, at the price of a second refused
// signature when the key itself is wrong.
func (a *AKSK) Done(req *http.Request, v Verdict) bool {
	a.done(req, v, false)
	return false
}

// done records the verdict on req. keyWide says a refusal cannot be one
// task's: the project lookup asks for no task, so its refusal is the key's.
func (a *AKSK) done(req *http.Request, v Verdict, keyWide bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.endProbe()
	acceptedSince := a.order.acceptedSince(req)
	switch {
	case v == Accepted:
		a.order.accepted++
		a.refusals, a.pausedUntil, a.suspect = 0, time.Time{}, ""
	case v != Refused:
	case acceptedSince:
		a.logger.Debug("The API refused the AK/SK signature on one request but accepted it on a later one: "+
			"the refusal is that request's", "path", req.URL.Path)
	default:
		a.refuse(req.URL.Path, keyWide)
	}
}

// refuse pauses signing after a refusal for path. Called with a.mu held.
func (a *AKSK) refuse(path string, keyWide bool) {
	keyNewlyRefused := a.refusals == 0 || a.suspect != ""
	a.suspect = ""
	if !keyWide && a.refusals == 0 {
		a.suspect = path
	}
	a.refusals++
	a.pausedUntil = a.now().Add(backoff(a.refusals, credentialBackoffBase))
	a.secretKey.recheck()
	a.token.recheck()
	const check = " If the key is refused, check access_key and secret_key, that temporary credentials " +
		"(security_token) have not expired, and that this host's clock is within 15 minutes of the real time. " +
		"Signing pauses between attempts: API Gateway locks an access key after 5 refused signatures in a row."
	next := a.pausedUntil.UTC().Format(time.RFC3339)
	switch {
	case a.suspect != "":
		a.logger.Info("The API refused the AK/SK signature on a request for one task: requests for the other tasks "+
			"go on, one at a time, to tell whether the access key or that task is refused."+check,
			"access_key", a.accessKey, "path", path, "next_attempt", next)
	case keyNewlyRefused:
		a.logger.Warn("The API refused the AK/SK signature on the IAM project lookup or on requests for more than "+
			"one task: the access key is refused."+check, "access_key", a.accessKey, "next_attempt", next)
	}
}

// endProbe lets the requests waiting for a probe's verdict go on. Called
// with a.mu held.
func (a *AKSK) endProbe() {
	if a.probe != nil {
		close(a.probe)
		a.probe = nil
	}
}
