// Package clientcache builds and caches the exporter's API client: the
// HTTP client, the api.Caller (request metrics, the process-wide rate
// limit), the authenticator and the CodeArts Check client that a
// configuration's auth, http_client_config, endpoint and language make.
// Discovery and the collector both ask Cache.For for the client of the
// configuration in force, so that listing and scrapes share one IAM token
// (one back-off, one AK/SK lock-out guard), one connection pool and one
// rate limit, and are counted together.
//
// While auth and http_client_config stay the same, reloads keep the
// authenticator, and with it a cached IAM token or looked-up AK/SK
// project; other credentials build a new one and close the old.
package clientcache

import (
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"sync"

	promconfig "github.com/prometheus/common/config"

	"github.com/codearts-check-exporter/codearts_check_exporter/config"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/api"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/auth"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/codearts"
)

// Cache is the cache of API clients. It is safe for concurrent use.
type Cache struct {
	metrics *api.Metrics
	logger  *slog.Logger
	// limit is every Caller's rate limit: one per process, it outlives
	// the credentials.
	limit *api.RateLimit

	mu      sync.Mutex
	current *entry // nil until a For succeeds
}

// entry is what one set of credentials and HTTP client settings make, and
// the client of one endpoint and language over them.
type entry struct {
	built  *config.Config // the configuration authn and caller were built from
	authn  auth.Authenticator
	caller *api.Caller
	close  func()
	client *codearts.Client
	cfg    *config.Config // the last configuration client was returned for; nil before
}

// New returns an empty cache whose clients count their calls in metrics.
func New(metrics *api.Metrics, logger *slog.Logger) *Cache {
	return &Cache{metrics: metrics, logger: logger, limit: api.NewRateLimit()}
}

// For returns the client of cfg, a validated configuration, building it
// unless the cached one was built from the same credentials and HTTP
// client settings, for the same endpoint and language. It also applies
// cfg's max_requests_per_second to the process-wide rate limit. A failure
// is not cached: the next For tries again.
func (c *Cache) For(cfg *config.Config) (*codearts.Client, error) {
	if cfg == nil {
		return nil, errors.New("no configuration loaded")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.limit.SetMax(cfg.MaxRequestsPerSecond)
	e := c.current
	if e == nil || !reflect.DeepEqual(e.built.Auth, cfg.Auth) ||
		!reflect.DeepEqual(e.built.HTTPClientConfig, cfg.HTTPClientConfig) {
		built, err := c.build(cfg)
		if err != nil {
			return nil, err
		}
		if e != nil {
			e.close()
		}
		c.current, e = built, built
	}
	if e.cfg == nil || e.cfg.Endpoint != cfg.Endpoint || e.cfg.Language != cfg.Language {
		client, err := codearts.NewClient(cfg.Endpoint, e.caller, e.authn, codearts.WithLanguage(cfg.Language), codearts.WithLogger(c.logger))
		if err != nil {
			return nil, err
		}
		e.client = client
	}
	e.cfg = cfg
	return e.client, nil
}

// Close releases the cached client: its connections, and the IAM token
// request in flight, if any. The Cache must not be used after.
func (c *Cache) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.current != nil {
		c.current.close()
		c.current = nil
	}
}

// build builds the HTTP client, caller and authenticator of cfg's
// credentials; For adds the CodeArts Check client.
func (c *Cache) build(cfg *config.Config) (*entry, error) {
	httpClient, err := promconfig.NewClientFromConfig(cfg.HTTPClientConfig, "codearts_check_exporter")
	if err != nil {
		return nil, fmt.Errorf("http_client_config: %w", err)
	}
	if cfg.HTTPClientConfig.TLSConfig.InsecureSkipVerify {
		c.logger.Warn("TLS certificate verification of the API is off (http_client_config.tls_config.insecure_skip_verify); anyone on the network path can read the credentials")
	}
	caller := &api.Caller{Client: httpClient, Metrics: c.metrics, Limit: c.limit}

	e := &entry{built: cfg, caller: caller, close: httpClient.CloseIdleConnections}
	switch a := cfg.Auth; {
	case a.IAM != nil:
		iam := auth.NewIAM(*a.IAM, caller, c.logger)
		e.authn = iam
		e.close = func() {
			iam.Close()
			httpClient.CloseIdleConnections()
		}
	case a.TokenFile != "":
		e.authn, err = auth.NewFileToken(a.TokenFile)
	case a.AKSK != nil:
		e.authn, err = auth.NewAKSK(*a.AKSK, caller, c.logger)
	default:
		err = errors.New("auth: no authentication configured")
	}
	if err != nil {
		return nil, err
	}
	caller.Secrets = e.authn.Secrets // set before the caller's first call: building made none
	return e, nil
}
