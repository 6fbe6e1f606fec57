package clientcache

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/codearts-check-exporter/codearts_check_exporter/config"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/api"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit"
)

// The warning that TLS verification is off comes when the client is built,
// which For does without a call, as main does before any scrape; with
// verification on there is none.
func TestForWarnsAboutInsecureTLSBeforeAnyCall(t *testing.T) {
	for _, insecure := range []bool{true, false} {
		cfg := &config.Config{
			Endpoint: "https://127.0.0.1:1",
			Auth: config.Auth{IAM: &config.IAM{
				Endpoint: "https://127.0.0.1:1", DomainName: "d", Username: "u", Password: "p", ProjectName: "cn-north-4",
			}},
			Tasks: []config.Task{{ID: "2b31ed5200000000ebedb6e570000000"}},
		}
		cfg.HTTPClientConfig.TLSConfig.InsecureSkipVerify = insecure
		if err := cfg.Validate(); err != nil {
			t.Fatal(err)
		}
		logs := &testkit.Buffer{}
		clients := New(api.NewMetrics(), slog.New(slog.NewTextHandler(logs, nil)))
		if _, err := clients.For(cfg); err != nil {
			t.Fatalf("For: %v", err)
		}
		clients.Close()
		warned := strings.Contains(logs.String(), "level=WARN") && strings.Contains(logs.String(), "insecure_skip_verify")
		if warned != insecure {
			t.Errorf("insecure_skip_verify %v: warned %v; logs:\n%s", insecure, warned, logs)
		}
	}
}
