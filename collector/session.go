package collector

import (
	"fmt"
	"log/slog"
	"reflect"

	promconfig "github.com/prometheus/common/config"
	"golang.org/x/time/rate"

	"github.com/codearts-check-exporter/codearts_check_exporter/config"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/api"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/auth"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/codearts"
)

// session is the API client built from one configuration. It lives until
// the configuration changes, so connections and the IAM token are reused
// from scrape to scrape.
type session struct {
	cfg    *config.Config
	client *codearts.Client
	authn  auth.Authenticator
	caller *api.Caller
	close  func()
}

// newSession builds the client for cfg. prev, when not nil, is the session
// of the configuration in force before: its authenticator (and so its
// cached token) is kept when the credentials and the HTTP client settings
// did not change. budget is the process's API budget, shared by every
// session.
func newSession(cfg *config.Config, prev *session, metrics *api.Metrics, budget *rate.Limiter, logger *slog.Logger) (*session, error) {
	if prev != nil && reflect.DeepEqual(prev.cfg.Auth, cfg.Auth) &&
		reflect.DeepEqual(prev.cfg.HTTPClientConfig, cfg.HTTPClientConfig) {
		client, err := codearts.NewClient(cfg.Endpoint, prev.caller, prev.authn)
		if err != nil {
			return nil, err
		}
		return &session{cfg: cfg, client: client, authn: prev.authn, caller: prev.caller, close: prev.close}, nil
	}

	httpClient, err := promconfig.NewClientFromConfig(cfg.HTTPClientConfig, "codearts_check_exporter",
		promconfig.WithUserAgent("codearts_check_exporter"))
	if err != nil {
		return nil, fmt.Errorf("http_client_config: %w", err)
	}
	if cfg.HTTPClientConfig.TLSConfig.InsecureSkipVerify {
		logger.Warn("TLS certificate verification of the API is off (http_client_config.tls_config.insecure_skip_verify); anyone on the network path can read the credentials")
	}
	caller := &api.Caller{Client: httpClient, Metrics: metrics, Limiter: budget}

	// A session replaced by a reload lets go of its idle connections.
	s := &session{cfg: cfg, caller: caller, close: httpClient.CloseIdleConnections}
	switch {
	case cfg.Auth.IAM != nil:
		iam := cfg.Auth.IAM
		src := auth.NewIAM(auth.IAMConfig{
			Endpoint:     iam.Endpoint,
			DomainName:   iam.DomainName,
			Username:     iam.Username,
			Password:     string(iam.Password),
			PasswordFile: iam.PasswordFile,
			ProjectName:  iam.ProjectName,
			ProjectID:    iam.ProjectID,
		}, caller, logger)
		s.authn = src
		s.close = func() {
			src.Close()
			httpClient.CloseIdleConnections()
		}
	case cfg.Auth.TokenFile != "":
		tf, err := auth.NewTokenFile(cfg.Auth.TokenFile)
		if err != nil {
			return nil, err
		}
		s.authn = tf
	case cfg.Auth.AKSK != nil:
		k := cfg.Auth.AKSK
		signer, err := auth.NewAKSK(auth.AKSKConfig{
			AccessKey:         k.AccessKey,
			SecretKey:         string(k.SecretKey),
			SecretKeyFile:     k.SecretKeyFile,
			ProjectID:         k.ProjectID,
			SecurityToken:     string(k.SecurityToken),
			SecurityTokenFile: k.SecurityTokenFile,
			Region:            k.ProjectName,
			IAMEndpoint:       k.IAMEndpoint,
			Caller:            caller,
		}, logger)
		if err != nil {
			return nil, err
		}
		s.authn = signer
	default:
		return nil, fmt.Errorf("auth: no authentication configured")
	}
	s.client, err = codearts.NewClient(cfg.Endpoint, caller, s.authn)
	if err != nil {
		return nil, err
	}
	return s, nil
}
