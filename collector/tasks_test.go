package collector

import (
	"log/slog"
	"testing"

	"github.com/codearts-check-exporter/codearts_check_exporter/config"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/api"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/session"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit"
)

// newStaticCollector returns a Collector of cfg's tasks over an API session
// of its own, put in force as main does. The session is closed at cleanup,
// after the cleanups the caller registers later (the Collector's among
// them). A session that cannot be built is logged, as main does, and left
// for scrapes to report.
func newStaticCollector(tb testing.TB, cfg *config.Config, metrics *api.Metrics, logger *slog.Logger) *Collector {
	tb.Helper()
	sess := session.New(metrics, logger)
	tb.Cleanup(sess.Close)
	if err := sess.Update(cfg); err != nil {
		logger.Error("Cannot set up the API client; scrapes will fail", "err", err)
	}
	return New(sess, testkit.ConfigTasks{}, metrics, logger)
}
