package auth

import (
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
	secretKey            string      // when secretKeyFile is nil
	secretKeyFile        *SecretFile // nil: secretKey is inline
	securityToken        string      // when securityTokenFile is nil; "" = none
	securityTokenFile    *SecretFile
	now                  func() time.Time
	logger               *slog.Logger

	// lookup finds the project when projectID is not configured; nil
	// when it is.
	lookup *projectLookup

	// API Gateway locks an access key for 5 minutes after 5 refused
	// signatures in a row, so wrong credentials must cost few requests.
	// Until a signature is known to be accepted, one request (the probe)
	// is sent and the others wait for its verdict; after a refusal,
	// signing pauses with the same back-off as IAM logins.
	mu          sync.Mutex
	verified    bool          // a signature was accepted since the last refusal
	probe       chan struct{} // closed when the probe in flight has its verdict; nil when none is
	refusals    int           // refused signatures in a row
	pausedUntil time.Time

	// One task can be refused while the key is good (the service answers
	// 401 for it). So a refusal is taken for the key's only when no request
	// sent after it was accepted, and, the first time since the key was
	// last accepted, only once a request for another path is refused too
	// (see Done).
	order       sendOrder
	acceptedAt  uint64 // order of the last acceptance
	suspect     string // path of a refusal not yet taken for the key's
	noSuspicion bool   // a refusal was taken for the key's and none was accepted since
	warned      bool   // the key's refusal was logged; none was accepted since
}

// errSignatureRefused is what a paused AK/SK signer reports.
var errSignatureRefused = &api.Error{Code: api.CodeCredentials, Message: "the API refused the AK/SK signature (APIGW.0301)"}

// NewAKSK returns a signer for cfg, a validated auth.aksk. Without a
// project ID, the project named cfg.ProjectName (the region) is looked up
// on cfg.IAMEndpoint through caller (aksk_project.go). Secrets come either
// inline or from a file; a file is re-read when it changes, so rotated
// keys and renewed temporary credentials are picked up without a restart.
// NewAKSK reads the secret files once and fails if one is missing or
// empty, so a broken deployment is reported at startup.
func NewAKSK(cfg config.AKSK, caller *api.Caller, logger *slog.Logger) (*AKSK, error) {
	if cfg.AccessKey == "" {
		return nil, errors.New("aksk: access key is required")
	}
	if cfg.ProjectID == "" && (cfg.ProjectName == "" || cfg.IAMEndpoint == "" || caller == nil) {
		return nil, errors.New("aksk: project ID, or region, IAM endpoint and caller to look it up, are required")
	}
	a := &AKSK{
		accessKey:     cfg.AccessKey,
		projectID:     cfg.ProjectID,
		secretKey:     string(cfg.SecretKey),
		securityToken: string(cfg.SecurityToken),
		now:           time.Now,
		logger:        logger,
	}
	if cfg.ProjectID == "" {
		a.lookup = &projectLookup{region: cfg.ProjectName, endpoint: cfg.IAMEndpoint, caller: caller}
	}
	var err error
	if cfg.SecretKeyFile != "" {
		if a.secretKeyFile, err = NewSecretFile(cfg.SecretKeyFile, "secret_key_file"); err != nil {
			return nil, err
		}
	} else if cfg.SecretKey == "" {
		return nil, errors.New("aksk: no secret key")
	}
	if cfg.SecurityTokenFile != "" {
		if a.securityTokenFile, err = NewSecretFile(cfg.SecurityTokenFile, "security_token_file"); err != nil {
			return nil, err
		}
	}
	return a, nil
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
	projectID, err := a.project(ctx)
	if err != nil {
		// The lookup, if one was sent, had its verdict; this request
		// will not be sent.
		a.mu.Lock()
		a.endProbe()
		a.mu.Unlock()
		return err
	}
	if err := a.sign(req, projectID); err != nil {
		// The request will not be sent: it cannot be the probe.
		a.mu.Lock()
		a.endProbe()
		a.mu.Unlock()
		return err
	}
	a.mu.Lock()
	a.order.send(req)
	a.mu.Unlock()
	return nil
}

// sign adds the signature headers to req; projectID "" sends no
// X-Project-Id (the project lookup itself).
func (a *AKSK) sign(req *http.Request, projectID string) error {
	sk, token, err := a.secrets()
	if err != nil {
		return err
	}
	return a.signWith(req, projectID, sk, token)
}

// signWith is sign with the secrets already read.
func (a *AKSK) signWith(req *http.Request, projectID, sk, token string) error {
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	b := request.NewHttpRequestBuilder().
		WithEndpoint(req.URL.Scheme+"://"+host).
		// The signer escapes each segment of the unescaped path itself. Task
		// and project IDs are letters, digits, '-' and '_' (config
		// validation), so escaped and unescaped paths split alike.
		WithPath(req.URL.Path).
		WithMethod(req.Method).
		// The signer takes the value of "host" from the endpoint.
		AddHeaderParam("Host", host).
		AddHeaderParam(signer.HeaderXDate, a.now().UTC().Format(signer.BasicDateFormat))
	if projectID != "" {
		b.AddHeaderParam(ProjectIDHeader, projectID)
	}
	if token != "" {
		b.AddHeaderParam(SecurityTokenHeader, token)
	}
	for key, values := range req.URL.Query() {
		// The signer only reads reflect.Values: a plain string here would
		// be left out of the signature without a word, and the gateway
		// would refuse every request with a query.
		b.AddQueryParam(key, reflect.ValueOf(values))
	}
	signed, err := signer.Sign(b.Build(), a.accessKey, sk)
	if err != nil {
		// The signer's errors name a missing ak or sk, never a value.
		return fmt.Errorf("aksk: signing: %w", err)
	}
	if projectID != "" {
		req.Header.Set(ProjectIDHeader, projectID)
	}
	if token != "" {
		req.Header.Set(SecurityTokenHeader, token)
	}
	for name, value := range signed {
		req.Header.Set(name, value) // X-Sdk-Date and Authorization
	}
	return nil
}

// secrets returns the secret key and the security token ("" for none).
func (a *AKSK) secrets() (sk, token string, err error) {
	sk = a.secretKey
	if a.secretKeyFile != nil {
		if sk, err = a.secretKeyFile.Value(); err != nil {
			return "", "", err
		}
	}
	token = a.securityToken
	if a.securityTokenFile != nil {
		if token, err = a.securityTokenFile.Value(); err != nil {
			return "", "", err
		}
	}
	return sk, token, nil
}

// admit returns when a request for path may be signed and sent: at once
// when a signature was accepted lately; as the probe when none is in
// flight; else after the probe's verdict. It fails while signing is paused
// after a refusal, except, after a refusal only suspected of being the
// key's, for requests for other paths, which probe the key.
func (a *AKSK) admit(ctx context.Context, path string) error {
	for {
		a.mu.Lock()
		if a.now().Before(a.pausedUntil) && (a.suspect == "" || a.suspect == path) {
			err := &BackoffError{What: "AK/SK signing paused", Until: a.pausedUntil, Err: errSignatureRefused}
			a.mu.Unlock()
			return err
		}
		if a.verified {
			a.mu.Unlock()
			return nil
		}
		if a.probe == nil {
			a.probe = make(chan struct{})
			a.mu.Unlock()
			return nil
		}
		wait := a.probe
		a.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Done implements Authenticator. There is no token to renew: a refused
// signature means a wrong or disabled key, expired temporary credentials or
// a clock more than 15 minutes off, so the request is not sent again, and
// signing pauses (15 s, doubling up to 5 min). The secret files are checked
// for a change at once, and the first refusal is logged with what to check
// (later ones show in codearts_check_api_errors_total).
//
// A refusal is not the key's, and changes nothing for other requests, when
// a request sent after it was accepted: the key worked after it, so the
// refusal is the task's own. Without that evidence, the first refusal
// since the key was last accepted (or since start) is only suspected:
// signing pauses for that path, while requests for other paths go on one
// at a time as probes; the first accepted ends the pause, a refused one
// makes it the key's. So one task answering 401 does not stop the others,
// at the price of a second refused signature when the key itself is wrong
// and more than one task is configured (the gateway locks it at 5 in a
// row).
func (a *AKSK) Done(req *http.Request, v Verdict) bool {
	a.done(req, v, false)
	return false
}

// done records the verdict on req. keyWide says a refusal cannot be one
// task's: the project lookup asks for no task, so its refusal is the key's.
func (a *AKSK) done(req *http.Request, v Verdict, keyWide bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	sentAt := a.order.done(req)
	switch v {
	case Accepted:
		a.verified, a.refusals, a.pausedUntil = true, 0, time.Time{}
		a.acceptedAt = a.order.event()
		a.suspect, a.noSuspicion, a.warned = "", false, false
	case Refused:
		path := req.URL.Path
		switch {
		case a.acceptedAt > sentAt:
			a.logger.Debug("The API refused the AK/SK signature on one request but accepted it on a later one: the refusal is that request's",
				"path", path)
		case !keyWide && !a.noSuspicion && a.suspect == "":
			a.refuse(path)
		default:
			a.refuse("")
		}
	}
	a.endProbe()
}

// refuse pauses signing after a refusal: for requests for suspect only
// when suspect is not "" (see Done), else for every request. Called with
// a.mu held.
func (a *AKSK) refuse(suspect string) {
	a.verified, a.suspect = false, suspect
	a.noSuspicion = suspect == ""
	a.refusals++
	a.pausedUntil = a.now().Add(backoff(a.refusals, credentialBackoffBase))
	if a.secretKeyFile != nil {
		a.secretKeyFile.recheck()
	}
	if a.securityTokenFile != nil {
		a.securityTokenFile.recheck()
	}
	const check = "If the key is refused, check access_key and secret_key, that temporary credentials (security_token) have not expired, and that this host's clock is within 15 minutes of the real time. Signing pauses before trying again, because API Gateway locks an access key for 5 minutes after 5 refused signatures in a row."
	switch {
	case suspect != "":
		a.logger.Info("The API refused the AK/SK signature on a request for one task: requests for the other tasks go on, one at a time, to tell whether the access key or that task is refused. "+check,
			"access_key", a.accessKey, "path", suspect, "next_attempt", a.pausedUntil.UTC().Format(time.RFC3339))
	case !a.warned:
		a.warned = true
		a.logger.Warn("The API refused the AK/SK signature on the IAM project lookup or on requests for more than one task: the access key is refused. "+check,
			"access_key", a.accessKey, "next_attempt", a.pausedUntil.UTC().Format(time.RFC3339))
	}
}

// endProbe lets the requests waiting for a probe's verdict go on, as the
// next probe or signed. Called with a.mu held.
func (a *AKSK) endProbe() {
	if a.probe != nil {
		close(a.probe)
		a.probe = nil
	}
}
