package collector

import (
	"context"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// timeoutOffset is kept back from Prometheus' scrape timeout, so that the
// answer is written and sent before Prometheus gives up on it.
const timeoutOffset = 500 * time.Millisecond

// HandlerOpts configures Handler.
type HandlerOpts struct {
	// MaxRequestsInFlight caps concurrent scrapes; more get 503. 0: no cap.
	MaxRequestsInFlight int
}

// Handler serves /metrics: the process-wide metrics of static and, for
// each request, a collection of the tasks bounded by the scrape deadline:
// min(the configured timeout, X-Prometheus-Scrape-Timeout-Seconds minus a
// small offset). Overlapping requests share one collection (share.go).
func Handler(c *Collector, static prometheus.Gatherer, logger *slog.Logger, opts HandlerOpts) http.Handler {
	var inFlight chan struct{}
	if opts.MaxRequestsInFlight > 0 {
		inFlight = make(chan struct{}, opts.MaxRequestsInFlight)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if inFlight != nil {
			select {
			case inFlight <- struct{}{}:
				defer func() { <-inFlight }()
			default:
				http.Error(w, "too many concurrent scrapes", http.StatusServiceUnavailable)
				return
			}
		}
		ctx, cancel := context.WithTimeout(r.Context(), c.scrapeTimeout(r))
		defer cancel()
		// The collection comes first: it updates the process-wide API
		// counters in static, which must show this scrape's calls.
		snap := c.shared(ctx)
		if snap.err != nil {
			logger.Error("collection served with an error", "err", snap.err)
		}
		families := snap.families()
		gathered, err := static.Gather()
		if err != nil {
			// As promhttp.ContinueOnError: serve what was gathered.
			logger.Error("cannot gather the process-wide metrics", "err", err)
		}
		for _, mf := range gathered {
			families = append(families, staticFamily(mf))
		}
		expose(w, r, families, logger)
	})
}

func (c *Collector) scrapeTimeout(r *http.Request) time.Duration {
	timeout := 30 * time.Second
	if cfg := c.config(); cfg != nil {
		timeout = time.Duration(cfg.Timeout)
	}
	return scrapeDeadline(r.Header.Get("X-Prometheus-Scrape-Timeout-Seconds"), timeout)
}

// scrapeDeadline is how long a scrape may take: Prometheus' scrape timeout
// (the header, in seconds) less timeoutOffset when that is shorter than the
// configured timeout, else the configured timeout. A header that is not a
// finite positive number, or that exceeds the configured timeout, is
// ignored: converted to a Duration, 1e10 or Inf seconds would overflow
// into a deadline in the past and fail every task.
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
