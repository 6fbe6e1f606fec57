package collector

import (
	"context"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/codearts-check-exporter/codearts_check_exporter/internal/exposition"
)

// timeoutOffset is kept back from Prometheus' scrape timeout to send the answer.
const timeoutOffset = 500 * time.Millisecond

// HandlerOpts configures Handler.
type HandlerOpts = exposition.HandlerOpts

// Handler serves /metrics: the process-wide metrics of static and the
// snapshot of a collection bounded by the scrape deadline: min(the
// configured timeout, X-Prometheus-Scrape-Timeout-Seconds minus a small
// offset). Overlapping requests share one collection (share.go), which
// comes before static is gathered, so the API counters show its calls.
func Handler(c *Scraper, static prometheus.Gatherer, logger *slog.Logger, opts HandlerOpts) http.Handler {
	return exposition.Handler(static, families, func(r *http.Request) *snapshot {
		configured := 30 * time.Second
		if cfg := c.config(); cfg != nil {
			configured = time.Duration(cfg.Timeout)
		}
		timeout := scrapeDeadline(r.Header.Get("X-Prometheus-Scrape-Timeout-Seconds"), configured)
		// The collection outlives ctx (share.go): only its deadline counts.
		ctx, cancel := context.WithTimeout(r.Context(), timeout)
		defer cancel()
		return c.shared(ctx)
	}, logger, opts)
}

// scrapeDeadline is Prometheus' scrape timeout (the header, in seconds)
// less timeoutOffset when shorter than the configured timeout, else that.
// A header that is not a finite positive number is ignored: converted to a
// Duration, 1e10 or Inf seconds would overflow into a past deadline.
func scrapeDeadline(header string, configured time.Duration) time.Duration {
	seconds, err := strconv.ParseFloat(header, 64)
	if err != nil || math.IsNaN(seconds) || seconds <= 0 || seconds > configured.Seconds() {
		return configured
	}
	d := time.Duration(seconds * float64(time.Second))
	if d > 2*timeoutOffset {
		d -= timeoutOffset
	}
	return max(d, time.Nanosecond)
}
