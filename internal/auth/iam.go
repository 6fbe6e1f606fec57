package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/codearts-check-exporter/codearts_check_exporter/config"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/api"
)

// Timing of token requests. Variables, not constants, so tests can shorten them.
var (
	// iamRequestTimeout bounds one token request. It is not tied to the
	// scrape that happened to trigger the request: the token is for every
	// scrape, and a scrape that gives up should not waste the answer.
	iamRequestTimeout = 30 * time.Second
	// Back-off after a failed token request. Wrong credentials (IAM answered
	// 4xx) wait longer: IAM locks an account after repeated wrong passwords,
	// and a scrape every 15 s from two Prometheus replicas would get there
	// fast. Other failures (IAM down, network) retry sooner.
	credentialBackoffBase = 15 * time.Second
	transientBackoffBase  = 1 * time.Second
	maxBackoff            = 5 * time.Minute
	// A token is renewed when this share of its lifetime is left (capped at
	// maxRenewAhead), so scrapes never wait for a renewal while the old
	// token is still good.
	renewAheadShare = 0.1
	maxRenewAhead   = time.Hour
)

// IAM gets tokens from IAM with a password and caches them. It is safe for
// concurrent use.
type IAM struct {
	cfg    config.IAM
	caller *api.Caller
	logger *slog.Logger
	now    func() time.Time

	ctx    context.Context // cancelled by Close: ends a token request in flight
	cancel context.CancelFunc

	// usedPassword is the password the last token request carried (read
	// from password_file, which may change), for Secrets; guarded by
	// secretMu, not mu, because Secrets is called during requests.
	secretMu     sync.Mutex
	usedPassword string

	mu          sync.Mutex
	token       string
	renewAt     time.Time     // when to start renewing
	expiresAt   time.Time     // when the token stops working
	fetching    chan struct{} // closed when the token request in flight ends; nil when none is
	lastErr     error         // the last token request's failure, until one succeeds
	failures    int           // failed token requests in a row
	nextAttempt time.Time     // no token request before this, after a failure

	// Renewal after a refusal (see Done). A token renewed because the API
	// refused the previous one, and then refused in turn, is not renewed
	// again at once: the refusal is then most likely about what the request
	// asked for, not about the token, and renewing on every refusal would
	// be an IAM login per scrape.
	order         sendOrder // requests sent, and acceptances of the current token
	acceptedAt    uint64    // order of the last acceptance of the current token; 0: none
	renewing      bool      // the token request in flight replaces a refused token
	fromRefusal   bool      // the current token replaced a refused one
	renewPath     string    // the path of the request whose refusal caused the renewal
	holdServed    bool      // the current token's refusals have been held off once
	refusalStreak int       // renewed tokens refused in turn, in a row
	refusalHold   time.Time // no renewal on refusal before this
	lastRefusal   time.Time
}

// refusalMemory is how long refusals are remembered: past it without one,
// a refusal is news again and the token is renewed at once. A function of
// maxBackoff, which tests change.
func refusalMemory() time.Duration { return 2 * maxBackoff }

// NewIAM returns a token source for cfg, a validated auth.iam (its
// endpoint and project defaulted). No request is made until a token is
// needed. A password_file is read again on every token request, so a
// rotated password is picked up.
func NewIAM(cfg config.IAM, caller *api.Caller, logger *slog.Logger) *IAM {
	ctx, cancel := context.WithCancel(context.Background())
	return &IAM{cfg: cfg, caller: caller, logger: logger, now: time.Now, ctx: ctx, cancel: cancel}
}

// Close cancels a token request in flight. The IAM must not be used after.
func (s *IAM) Close() { s.cancel() }

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
// current one changes nothing and the request is worth sending again with
// the current one, so 50 tasks refused with one token cause one renewal.
// A refusal of the current token drops it, so that the next request gets a
// fresh one, and asks for the request to be sent again; except when
//
//   - the token was accepted on a request sent after the refused one: the
//     token works, and the refusal is the task's own;
//   - the token is itself a renewal after a refusal for the same path: the
//     first such refusal holds renewals off for 15 s (doubling, up to
//     5 min, while refusals keep coming), because a renewed token refused
//     again for the same task points at the task, not the token. A refusal
//     for another path is evidence against the token, and renews it.
//
// In those cases the token is kept for the other tasks and the refused
// request fails under its error code.
func (s *IAM) Done(req *http.Request, v Verdict) bool {
	refused := req.Header.Get(TokenHeader)
	s.mu.Lock()
	defer s.mu.Unlock()
	sentAt := s.order.done(req)
	switch {
	case v == Accepted && refused != "" && refused == s.token:
		s.acceptedAt = s.order.event()
		return false
	case v != Refused:
		return false
	case refused == "" || refused != s.token:
		return true
	}
	now := s.now()
	if now.Sub(s.lastRefusal) > refusalMemory() {
		s.refusalStreak, s.refusalHold = 0, time.Time{}
		s.fromRefusal = false
	}
	s.lastRefusal = now
	switch {
	case s.acceptedAt > sentAt:
		s.logger.Debug("The API refused the IAM token on one request but accepted it on a later one: the refusal is that request's, the token is kept")
		return false
	case s.fromRefusal && req.URL.Path != s.renewPath:
		// Refused for another task than the one whose refusal brought
		// this token: the token itself is refused (revoked, expired).
	case now.Before(s.refusalHold):
		return false
	case s.fromRefusal && !s.holdServed:
		s.refusalStreak++
		s.holdServed = true
		s.refusalHold = now.Add(backoff(s.refusalStreak, credentialBackoffBase))
		s.logger.Warn("The API refused the renewed IAM token too: the token is kept for the requests it works for, and is not renewed on a refusal before the time given; check the permissions of the IAM user on the refused tasks",
			"renewed_tokens_refused_in_a_row", s.refusalStreak, "next_renewal_on_refusal", s.refusalHold.UTC().Format(time.RFC3339))
		return false
	}
	s.logger.Info("The API refused the IAM token (HTTP 401): getting a new one and sending the refused requests again once")
	s.token, s.acceptedAt, s.renewing = "", 0, true
	s.renewPath = req.URL.Path
	return true
}

// Token returns a valid token, requesting one from IAM if needed. However
// many goroutines ask at once, at most one token request is in flight.
func (s *IAM) Token(ctx context.Context) (string, error) {
	for {
		s.mu.Lock()
		now := s.now()
		hasToken := s.token != "" && now.Before(s.expiresAt)
		if hasToken && now.Before(s.renewAt) {
			token := s.token
			s.mu.Unlock()
			return token, nil
		}
		if s.fetching == nil {
			if now.Before(s.nextAttempt) {
				if hasToken {
					// Renewal is backing off, but the old token still works.
					token := s.token
					s.mu.Unlock()
					return token, nil
				}
				err := &BackoffError{What: "no IAM token", Until: s.nextAttempt, Err: s.lastErr}
				s.mu.Unlock()
				return "", err
			}
			s.fetching = make(chan struct{})
			go s.fetch(s.fetching)
		}
		if hasToken {
			// A renewal is under way; the current token is still good.
			token := s.token
			s.mu.Unlock()
			return token, nil
		}
		wait := s.fetching
		s.mu.Unlock()

		select {
		case <-wait:
			// Loop: take the new token, or the new back-off error.
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
}

// BackoffError is returned while token requests or AK/SK signing are
// paused after a failure. It wraps that failure, so api.Code reports its
// error code.
type BackoffError struct {
	What  string // what is missing, in the mode in use: "no IAM token", "AK/SK signing paused"
	Until time.Time
	Err   error
}

func (e *BackoffError) Error() string {
	return fmt.Sprintf("%s: next attempt at %s after: %v", e.What, e.Until.UTC().Format(time.RFC3339), e.Err)
}

func (e *BackoffError) Unwrap() error { return e.Err }

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
		s.lastErr = err
		s.nextAttempt = now.Add(backoff(s.failures, iamBackoffBase(err)))
		s.logger.Warn("IAM token request failed", "error_code", api.Code(err), "failures_in_a_row", s.failures,
			"next_attempt", s.nextAttempt.UTC().Format(time.RFC3339), "err", err)
		return
	}
	if s.failures > 0 {
		s.logger.Info("IAM token request succeeded again", "after_failures", s.failures)
	}
	s.failures, s.lastErr, s.nextAttempt = 0, nil, time.Time{}
	s.token, s.expiresAt = token, expiresAt
	s.acceptedAt = 0
	s.fromRefusal, s.holdServed, s.renewing = s.renewing, false, false
	ahead := time.Duration(float64(expiresAt.Sub(now)) * renewAheadShare)
	s.renewAt = expiresAt.Add(-min(ahead, maxRenewAhead))
	s.logger.Debug("IAM token obtained", "expires_at", expiresAt.UTC().Format(time.RFC3339))
}

// backoff is the pause after the n-th failed attempt in a row: exponential
// from base, capped, with ±10% jitter so that replicas drift apart.
func backoff(n int, base time.Duration) time.Duration {
	d := maxBackoff
	if n < 20 {
		d = min(base<<(n-1), maxBackoff)
	}
	return time.Duration(float64(d) * (0.9 + 0.2*rand.Float64()))
}

// iamBackoffBase is where the back-off after a failed token request starts:
// later for wrong credentials (IAM answered 4xx, not 429) than for IAM being
// down or out of reach.
func iamBackoffBase(err error) time.Duration {
	var apiErr *api.Error
	if errors.As(err, &apiErr) && apiErr.HTTPStatus >= 400 && apiErr.HTTPStatus < 500 && apiErr.HTTPStatus != http.StatusTooManyRequests {
		return credentialBackoffBase
	}
	return transientBackoffBase
}

// tokenRequest is the IAM password-token request body.
type tokenRequest struct {
	Auth struct {
		Identity struct {
			Methods  []string `json:"methods"`
			Password struct {
				User struct {
					Domain   nameOrID `json:"domain"`
					Name     string   `json:"name"`
					Password string   `json:"password"`
				} `json:"user"`
			} `json:"password"`
		} `json:"identity"`
		Scope struct {
			Project nameOrID `json:"project"`
		} `json:"scope"`
	} `json:"auth"`
}

type nameOrID struct {
	Name string `json:"name,omitempty"`
	ID   string `json:"id,omitempty"`
}

type tokenResponse struct {
	Token struct {
		ExpiresAt string `json:"expires_at"`
		IssuedAt  string `json:"issued_at"`
	} `json:"token"`
}

// localExpiry is when a token answered at now stops working, by this host's
// clock. IAM's expires_at is by IAM's clock: with a host clock a day off it
// is already past (or far off) here, and a token taken as expired on arrival
// would be requested again at once, over and over, which can lock the
// account. So the token's lifetime (expires_at - issued_at, both IAM's)
// counts from now; expires_at alone is used only when issued_at is missing.
func localExpiry(tr tokenResponse, now time.Time) (time.Time, error) {
	expiresAt, err := time.Parse(time.RFC3339Nano, tr.Token.ExpiresAt)
	if err != nil {
		return time.Time{}, fmt.Errorf("IAM answer token.expires_at %q: %w", tr.Token.ExpiresAt, err)
	}
	if issuedAt, err := time.Parse(time.RFC3339Nano, tr.Token.IssuedAt); err == nil {
		if lifetime := expiresAt.Sub(issuedAt); lifetime > 0 {
			return now.Add(lifetime), nil
		}
		return time.Time{}, fmt.Errorf("IAM answer token.expires_at %s is not after issued_at %s", tr.Token.ExpiresAt, tr.Token.IssuedAt)
	}
	if !expiresAt.After(now) {
		return time.Time{}, fmt.Errorf("IAM answer token.expires_at %s is already past by this host's clock (%s), and no issued_at tells the token's lifetime: check the clock",
			tr.Token.ExpiresAt, now.UTC().Format(time.RFC3339))
	}
	return expiresAt, nil
}

// request makes the token call: POST /v3/auth/tokens, 201 with the token in
// the X-Subject-Token header.
func (s *IAM) request(ctx context.Context) (token string, expiresAt time.Time, err error) {
	password, err := s.password()
	if err != nil {
		return "", time.Time{}, err
	}
	s.notePassword(password)
	var body tokenRequest
	body.Auth.Identity.Methods = []string{"password"}
	user := &body.Auth.Identity.Password.User
	user.Domain.Name, user.Name, user.Password = s.cfg.DomainName, s.cfg.Username, password
	body.Auth.Scope.Project = nameOrID{Name: s.cfg.ProjectName, ID: s.cfg.ProjectID}
	payload, err := json.Marshal(body)
	if err != nil {
		return "", time.Time{}, err
	}

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
		token = resp.Header.Get("X-Subject-Token")
		if token == "" {
			return errors.New("IAM answer has no X-Subject-Token header")
		}
		var tr tokenResponse
		if err := json.Unmarshal(resp.Body, &tr); err != nil {
			return fmt.Errorf("IAM answer body: %w", err)
		}
		expiresAt, err = localExpiry(tr, s.now())
		return err
	})
	return token, expiresAt, err
}

func (s *IAM) password() (string, error) {
	if s.cfg.PasswordFile == "" {
		return string(s.cfg.Password), nil
	}
	return readSecret("password_file", s.cfg.PasswordFile)
}
