package session

import (
	"golang.org/x/time/rate"

	"github.com/codearts-check-exporter/codearts_check_exporter/config"
)

// newBudget returns the API budget of the whole process: one token bucket
// that every api.Caller the Clients build waits on, so that overlapping
// scrapes, IAM token requests and retries all draw from it. It starts
// without a cap; setBudget applies the configuration.
//
// The bucket holds a single token. A larger burst would let the first
// second after an idle spell send burst + rate calls, and the gateway
// counts calls per second: with one token, no second ever sees more than
// max_requests_per_second (+1 at its edge) calls.
func newBudget() *rate.Limiter { return rate.NewLimiter(rate.Inf, 1) }

// setBudget applies cfg's max_requests_per_second (0: no cap) to l. For
// calls it with every configuration it is asked for, which changes the
// limit only when a reload changed the setting; changing it is safe while
// calls are waiting.
func setBudget(l *rate.Limiter, cfg *config.Config) {
	limit := rate.Inf
	if cfg.MaxRequestsPerSecond > 0 {
		limit = rate.Limit(cfg.MaxRequestsPerSecond)
	}
	if l.Limit() != limit {
		l.SetLimit(limit)
	}
}
