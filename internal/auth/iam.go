package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/codearts-check-exporter/codearts_check_exporter/config"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/api"
)

// Timing; variables so that tests can shorten them.
var (
	// iamRequestTimeout bounds a token request, which is for every scrape,
	// not only the one that triggered it and may give up sooner.
	iamRequestTimeout = 30 * time.Second
	// Back-off after a failed attempt. Wrong credentials wait longer: IAM
	// locks an account after repeated wrong passwords (API Gateway an access
	// key after 5 refused signatures), and two replicas scraping every 15 s
	// would get there fast.
	credentialBackoffBase = 15 * time.Second
	transientBackoffBase  = 1 * time.Second
	maxBackoff            = 5 * time.Minute
	// A token is renewed when this share of its lifetime is left (at most
	// maxRenewAhead), so that no scrape waits for a renewal.
	renewAheadShare = 0.1
	maxRenewAhead   = time.Hour
)

// IAM gets tokens from IAM with a password and caches them. It is safe for
// concurrent use.
type IAM struct {
	cfg      config.IAM
	password *secret
	caller   *api.Caller
	logger   *slog.Logger
	now      func() time.Time
	ctx      context.Context // cancelled by Close: ends a token request in flight
	cancel   context.CancelFunc

	mu          sync.Mutex
	token       string
	renewAt     time.Time
	expiresAt   time.Time
	fetching    chan struct{} // closed when the token request in flight ends; nil when none is
	lastErr     error         // the last token request's failure
	failures    int           // failed token requests in a row
	nextAttempt time.Time     // no token request before this

	// Renewals on a refusal (see Done).
	order       sendOrder
	renewFor    string    // the path whose refusal asked for the token request in flight
	tokenFor    string    // the path whose refusal brought the current token; "": none did
	held        bool      // the current token's refusals were held off once
	streak      int       // renewed tokens refused in turn, in a row
	holdUntil   time.Time // no renewal on a refusal before this
	lastRefusal time.Time
}

// NewIAM returns a token source for cfg, a validated auth.iam. No request
// is made until a token is needed.
func NewIAM(cfg config.IAM, caller *api.Caller, logger *slog.Logger) *IAM {
	ctx, cancel := context.WithCancel(context.Background())
	return &IAM{cfg: cfg, password: newSecret(string(cfg.Password), cfg.PasswordFile, "password_file"),
		caller: caller, logger: logger, now: time.Now, ctx: ctx, cancel: cancel}
}

// Close cancels a token request in flight. The IAM must not be used after.
func (s *IAM) Close() { s.cancel() }

// Secrets implements Authenticator: the password the last token request
// carried, the one an IAM answer could echo.
func (s *IAM) Secrets() []string { return []string{s.password.last()} }

// Authorize implements Authenticator.
func (s *IAM) Authorize(ctx context.Context, req *http.Request) error {
	token, err := s.Token(ctx)
	if err != nil {
		return err
	}
	req.Header.Set(TokenHeader, token)
	s.mu.Lock()
	s.order.send(req)
	s.mu.Unlock()
	return nil
}

// Done implements Authenticator. A refusal of an older token than the
// current one asks for the request to be sent again with the current one,
// so 50 tasks refused with one token cause one renewal. A refusal of the
// current token drops it and asks for the request to be sent again, except
// when the token was accepted on a request sent after the refused one (the
// refusal is the task's own), or when the token is itself a renewal after a
// refusal for the same path: that points at the task, not the token, and
// holds renewals off for 15 s (doubling up to 5 min while refusals keep
// coming). Then the token is kept and the refused request fails.
func (s *IAM) Done(req *http.Request, v Verdict) bool {
	used := req.Header.Get(TokenHeader)
	s.mu.Lock()
	defer s.mu.Unlock()
	acceptedSince := s.order.acceptedSince(req)
	current := used != "" && used == s.token
	switch {
	case v == Accepted && current:
		s.order.accepted++
		return false
	case v != Refused:
		return false
	case !current:
		return true
	}
	now := s.now()
	if now.Sub(s.lastRefusal) > 2*maxBackoff {
		// Refusals long past are forgotten: this one is news.
		s.streak, s.holdUntil, s.tokenFor = 0, time.Time{}, ""
	}
	s.lastRefusal = now
	path := req.URL.Path
	switch {
	case acceptedSince:
		s.logger.Debug("The API refused the IAM token on one request but accepted it on a later one: " +
			"the refusal is that request's, the token is kept")
		return false
	case s.tokenFor != "" && path != s.tokenFor:
		// Another task than the one whose refusal brought this token: the
		// token itself is refused.
	case now.Before(s.holdUntil):
		return false
	case s.tokenFor != "" && !s.held:
		s.streak++
		s.held = true
		s.holdUntil = now.Add(backoff(s.streak, credentialBackoffBase))
		s.logger.Warn("The API refused the renewed IAM token too: it is kept for the requests it works for, and not "+
			"renewed on a refusal before the time given; check the IAM user's permissions on the refused tasks",
			"renewed_tokens_refused_in_a_row", s.streak,
			"next_renewal_on_refusal", s.holdUntil.UTC().Format(time.RFC3339))
		return false
	}
	s.logger.Info("The API refused the IAM token (HTTP 401): renewing it and sending the refused requests again once")
	s.token, s.renewFor = "", path
	return true
}

// Token returns a valid token, requesting one from IAM if needed. However
// many goroutines ask at once, at most one token request is in flight, and
// none waits for a renewal while the old token still works.
func (s *IAM) Token(ctx context.Context) (string, error) {
	for {
		s.mu.Lock()
		now := s.now()
		valid := s.token != "" && now.Before(s.expiresAt)
		due := !valid || !now.Before(s.renewAt)
		if due && s.fetching == nil && !now.Before(s.nextAttempt) {
			s.fetching = make(chan struct{})
			go s.fetch(s.fetching)
		}
		token, wait, until, lastErr := s.token, s.fetching, s.nextAttempt, s.lastErr
		s.mu.Unlock()
		switch {
		case valid:
			return token, nil
		case wait == nil:
			return "", &BackoffError{What: "no IAM token", Until: until, Err: lastErr}
		}
		if err := waitFor(ctx, wait); err != nil {
			return "", err
		}
	}
}

// fetch makes one token request and records its outcome.
func (s *IAM) fetch(done chan struct{}) {
	ctx, cancel := context.WithTimeout(s.ctx, iamRequestTimeout)
	token, expiresAt, err := s.request(ctx)
	cancel()

	s.mu.Lock()
	defer s.mu.Unlock()
	defer close(done)
	s.fetching = nil
	now := s.now()
	if err != nil {
		s.failures++
		s.lastErr, s.nextAttempt = err, now.Add(backoff(s.failures, iamBackoffBase(err)))
		s.logger.Warn("IAM token request failed", "error_code", api.Code(err), "failures_in_a_row", s.failures,
			"next_attempt", s.nextAttempt.UTC().Format(time.RFC3339), "err", err)
		return
	}
	if s.failures > 0 {
		s.logger.Info("IAM token request succeeded again", "after_failures", s.failures)
	}
	s.failures = 0
	s.token, s.expiresAt = token, expiresAt
	s.tokenFor, s.renewFor, s.held = s.renewFor, "", false
	ahead := time.Duration(float64(expiresAt.Sub(now)) * renewAheadShare)
	s.renewAt = expiresAt.Add(-min(ahead, maxRenewAhead))
	s.logger.Debug("IAM token obtained", "expires_at", expiresAt.UTC().Format(time.RFC3339))
}

// iamBackoffBase is where the back-off after a failed IAM request starts:
// later for wrong credentials (a 4xx other than 429).
func iamBackoffBase(err error) time.Duration {
	if apiErr, ok := errors.AsType[*api.Error](err); ok && apiErr.HTTPStatus >= 400 && apiErr.HTTPStatus < 500 &&
		apiErr.HTTPStatus != http.StatusTooManyRequests {
		return credentialBackoffBase
	}
	return transientBackoffBase
}

// request makes the token call: POST /v3/auth/tokens, answered 201 with
// the token in X-Subject-Token.
func (s *IAM) request(ctx context.Context) (token string, expiresAt time.Time, err error) {
	s.password.recheck() // a rotated password_file is read at the next token request
	password, err := s.password.Value()
	if err != nil {
		return "", time.Time{}, err
	}
	type obj = map[string]any
	project := obj{"name": s.cfg.ProjectName}
	if s.cfg.ProjectID != "" {
		project = obj{"id": s.cfg.ProjectID}
	}
	user := obj{"domain": obj{"name": s.cfg.DomainName}, "name": s.cfg.Username, "password": password}
	payload, _ := json.Marshal(obj{"auth": obj{ // maps of strings: no error
		"identity": obj{"methods": []string{"password"}, "password": obj{"user": user}},
		"scope":    obj{"project": project},
	}})
	endpoint := strings.TrimSuffix(s.cfg.Endpoint, "/") + "/v3/auth/tokens?nocatalog=true"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(payload))
	if err != nil {
		return "", time.Time{}, fmt.Errorf("IAM endpoint %q: %w", s.cfg.Endpoint, err)
	}
	req.Header.Set("Content-Type", "application/json;charset=utf8")
	err = s.caller.Do(req, "iam_token", func(resp *api.Response) error {
		if resp.StatusCode != http.StatusCreated {
			return fmt.Errorf("IAM answered %d, want 201", resp.StatusCode)
		}
		if token = resp.Header.Get("X-Subject-Token"); token == "" {
			return errors.New("IAM answer has no X-Subject-Token header")
		}
		var body struct {
			Token struct {
				ExpiresAt string `json:"expires_at"`
				IssuedAt  string `json:"issued_at"`
			} `json:"token"`
		}
		if err := json.Unmarshal(resp.Body, &body); err != nil {
			return fmt.Errorf("IAM answer body: %w", err)
		}
		expiresAt, err = localExpiry(body.Token.ExpiresAt, body.Token.IssuedAt, s.now())
		return err
	})
	return token, expiresAt, err
}

// localExpiry is when a token answered at now stops working, by this host's
// clock. With a host clock a day off IAM's, expires_at is already past here,
// and a token taken as expired on arrival would be requested over and over,
// which can lock the account. So the lifetime (expires_at - issued_at) counts
// from now; expires_at alone serves only when issued_at is missing.
func localExpiry(expires, issued string, now time.Time) (time.Time, error) {
	expiresAt, err := time.Parse(time.RFC3339Nano, expires)
	if err != nil {
		return time.Time{}, fmt.Errorf("IAM answer token.expires_at %q: %w", expires, err)
	}
	issuedAt, err := time.Parse(time.RFC3339Nano, issued)
	switch {
	case err == nil && expiresAt.After(issuedAt):
		return now.Add(expiresAt.Sub(issuedAt)), nil
	case err == nil:
		return time.Time{}, fmt.Errorf("IAM answer token.expires_at %s is not after issued_at %s", expires, issued)
	case !expiresAt.After(now):
		return time.Time{}, fmt.Errorf("IAM answer token.expires_at %s is already past by this host's clock (%s), "+
			"and no issued_at tells the token's lifetime: check the clock", expires, now.UTC().Format(time.RFC3339))
	}
	return expiresAt, nil
}
