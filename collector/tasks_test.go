package collector

import (
	"log/slog"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/codearts-check-exporter/codearts_check_exporter/config"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/api"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/clientcache"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit"
)

// newStaticCollector returns a Collector of cfg's tasks, put in force in a
// config.SafeConfig of its own and queried through a client cache of its
// own, as main wires them. The cache is closed at cleanup, after the
// cleanups the caller registers later (the Collector's among them). A
// client that cannot be built is logged, as main does, and left for
// scrapes to report.
func newStaticCollector(tb testing.TB, cfg *config.Config, metrics *api.Metrics, logger *slog.Logger) *Scraper {
	tb.Helper()
	sc := config.NewSafeConfig(prometheus.NewRegistry())
	sc.Set(cfg)
	clients := clientcache.New(metrics, logger)
	tb.Cleanup(clients.Close)
	if _, err := clients.For(cfg); err != nil {
		logger.Error("Cannot set up the API client; scrapes will fail", "err", err)
	}
	return New(sc.Get, clients, testkit.ConfigTasks{}, nil, metrics, logger)
}
