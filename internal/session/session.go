// Package session owns the exporter's one API session: the HTTP client
// built from http_client_config, the api.Caller (request metrics and the
// process-wide request budget), the authenticator and the CodeArts Check
// client built on them. main builds one Session before discovery and the
// collector and hands it to both, so that listing and scrapes share one
// IAM token (one back-off, one AK/SK lock-out guard), one connection pool
// and one budget, and are counted together.
//
// Update puts each configuration in force. The authenticator, and with it
// a cached IAM token or looked-up AK/SK project, is kept while auth and
// http_client_config stay the same; otherwise the new session replaces the
// old one, which lets go of its idle connections.
package session

import (
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"sync"

	promconfig "github.com/prometheus/common/config"
	"golang.org/x/time/rate"

	"github.com/codearts-check-exporter/codearts_check_exporter/config"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/api"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/auth"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/codearts"
)

// API is a configuration and the client built from it. A collection or a
// listing takes one API and uses it throughout, so that its tasks,
// concurrency, timeout and credentials all come from one configuration
// even if a reload happens meanwhile.
type API struct {
	Config *config.Config
	Client *codearts.Client
}

// Session is the API session of the configuration in force. It is safe
// for concurrent use.
type Session struct {
	metrics *api.Metrics
	logger  *slog.Logger
	budget  *rate.Limiter // every Caller's; it outlives the sessions (budget.go)
	// adaptive is every Caller's throttle-driven limit, process-wide like
	// the budget, whose rate caps it.
	adaptive *api.Adaptive

	mu    sync.Mutex
	cfg   *config.Config // in force; nil until the first Update
	built *built         // built for cfg, or for an earlier one if building for cfg failed
}

// built is what one configuration's credentials and HTTP client settings
// make.
type built struct {
	cfg    *config.Config
	client *codearts.Client
	authn  auth.Authenticator
	caller *api.Caller
	close  func()
}

// New returns a Session with no configuration in force: Current fails
// until Update. Calls are counted in metrics.
func New(metrics *api.Metrics, logger *slog.Logger) *Session {
	budget := newBudget()
	return &Session{metrics: metrics, logger: logger, budget: budget, adaptive: api.NewAdaptive(budget)}
}

// Update puts cfg, a validated configuration, in force and builds its
// session at once rather than at the next scrape, so that what building
// reports (TLS verification off, a token file that cannot be read) is
// logged at startup and right after a reload, where an operator looks for
// it. When building fails, cfg stays in force and Current tries again,
// reporting the error, until it succeeds.
func (s *Session) Update(cfg *config.Config) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cfg = cfg
	_, err := s.current()
	return err
}

// Config returns the configuration in force, nil before the first Update.
func (s *Session) Config() *config.Config {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cfg
}

// Current returns the configuration in force and its client.
func (s *Session) Current() (API, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.current()
	if err != nil {
		return API{}, err
	}
	return API{Config: b.cfg, Client: b.client}, nil
}

// current builds the session of s.cfg unless it is built already. s.mu is
// held.
func (s *Session) current() (*built, error) {
	if s.cfg == nil {
		return nil, errors.New("no configuration loaded")
	}
	if s.built != nil && s.built.cfg == s.cfg {
		return s.built, nil
	}
	b, err := build(s.cfg, s.built, s.metrics, s.budget, s.adaptive, s.logger)
	if err != nil {
		return nil, err
	}
	setBudget(s.budget, s.cfg)
	if s.built != nil && s.built.authn != b.authn {
		s.built.close()
	}
	s.built = b
	return b, nil
}

// Close releases the session: its connections, and the IAM token request
// in flight, if any. The Session must not be used after.
func (s *Session) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.built != nil {
		s.built.close()
		s.built = nil
	}
}

// build builds the session of cfg. prev, when not nil, is the session of
// the configuration in force before: its authenticator and caller are kept
// when the credentials and the HTTP client settings did not change.
func build(cfg *config.Config, prev *built, metrics *api.Metrics, budget *rate.Limiter, adaptive *api.Adaptive, logger *slog.Logger) (*built, error) {
	if prev != nil && reflect.DeepEqual(prev.cfg.Auth, cfg.Auth) &&
		reflect.DeepEqual(prev.cfg.HTTPClientConfig, cfg.HTTPClientConfig) {
		client, err := codearts.NewClient(cfg.Endpoint, prev.caller, prev.authn, codearts.WithLanguage(cfg.Language))
		if err != nil {
			return nil, err
		}
		return &built{cfg: cfg, client: client, authn: prev.authn, caller: prev.caller, close: prev.close}, nil
	}

	httpClient, err := promconfig.NewClientFromConfig(cfg.HTTPClientConfig, "codearts_check_exporter")
	if err != nil {
		return nil, fmt.Errorf("http_client_config: %w", err)
	}
	if cfg.HTTPClientConfig.TLSConfig.InsecureSkipVerify {
		logger.Warn("TLS certificate verification of the API is off (http_client_config.tls_config.insecure_skip_verify); anyone on the network path can read the credentials")
	}
	caller := &api.Caller{Client: httpClient, Metrics: metrics, Limiter: budget, Adaptive: adaptive}

	b := &built{cfg: cfg, caller: caller, close: httpClient.CloseIdleConnections}
	switch a := cfg.Auth; {
	case a.IAM != nil:
		iam := auth.NewIAM(*a.IAM, caller, logger)
		b.authn = iam
		b.close = func() {
			iam.Close()
			httpClient.CloseIdleConnections()
		}
	case a.TokenFile != "":
		if b.authn, err = auth.NewFileToken(a.TokenFile); err != nil {
			return nil, err
		}
	case a.AKSK != nil:
		if b.authn, err = auth.NewAKSK(*a.AKSK, caller, logger); err != nil {
			return nil, err
		}
	default:
		return nil, errors.New("auth: no authentication configured")
	}
	if src, ok := b.authn.(auth.SecretSource); ok {
		// Set before the caller's first call: building made none.
		caller.Secrets = src.Secrets
	}
	if b.client, err = codearts.NewClient(cfg.Endpoint, caller, b.authn, codearts.WithLanguage(cfg.Language)); err != nil {
		return nil, err
	}
	return b, nil
}
