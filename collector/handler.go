package collector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
)

// timeoutOffset is kept back from Prometheus' scrape timeout, so that the
// answer is written and sent before Prometheus gives up on it.
const timeoutOffset = 500 * time.Millisecond

// HandlerOpts configures Handler.
type HandlerOpts struct {
	// MaxRequestsInFlight caps concurrent scrapes; more get 503. 0: no cap.
	MaxRequestsInFlight int
	// Registry, if not nil, gets promhttp_metric_handler_errors_total.
	Registry prometheus.Registerer
}

// Handler serves /metrics: the process-wide metrics of static and the
// snapshot of a collection of the tasks bounded by the scrape deadline:
// min(the configured timeout, X-Prometheus-Scrape-Timeout-Seconds minus a
// small offset). Overlapping requests share one collection (share.go).
//
// promhttp.Gatherer has no way to learn the request it gathers for, so
// each request gets the snapshot for its deadline first and then a
// promhttp handler of its own, over static and that snapshot (a Gatherer
// itself, gather.go), as blackbox_exporter answers a probe. The collection comes
// before static is gathered, so the API counters show this scrape's calls.
//
// The in-flight cap is Handler's own, not promhttp's MaxRequestsInFlight:
// promhttp counts the requests of one handler value, and each request here
// builds its own; and the cap must cover the collection, which is the
// costly part and runs before promhttp is reached. So is the compression
// (respond).
func Handler(c *Scraper, static prometheus.Gatherer, logger *slog.Logger, opts HandlerOpts) http.Handler {
	var inFlight chan struct{}
	if opts.MaxRequestsInFlight > 0 {
		inFlight = make(chan struct{}, opts.MaxRequestsInFlight)
	}
	answer := promhttp.HandlerOpts{
		// promhttp logs gather errors (a family name in both gatherers)
		// and writes that failed (the scraper went away) through it.
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelError),
		ErrorHandling:     promhttp.ContinueOnError,
		Registry:          opts.Registry,
		EnableOpenMetrics: true,
		// respond compresses.
		DisableCompression: true,
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
		respond(w, r, static, c.shared(ctx), answer)
	})
}

// respond answers r with the metrics of static and snap, gzipped if r
// accepts gzip. The compression is respond's, not promhttp's, for its
// level: promhttp deflates at gzip's default level, which took most of the
// CPU of an answer, where BestSpeed takes a fraction of it for somewhat
// larger answers (BENCHMARKS.md, "The /metrics answer").
//
// Why not the library path (a prometheus.Collector of const metrics in a
// registry, promhttp compressing): measured side by side on the whole
// binary it costs 2.2 times a bare client's CPU per task query where this
// path costs 1.6 (reports off), 3.1-3.8 against 1.9-2.1 (reports on), and
// 81 MiB peak RSS at 10,000 tasks against 59-63 (BENCHMARKS.md,
// "Exposition: the library path").
func respond(w http.ResponseWriter, r *http.Request, static prometheus.Gatherer, snap *snapshot, opts promhttp.HandlerOpts) {
	h := promhttp.HandlerFor(disjoint{static, snap}, opts)
	w.Header().Add("Vary", "Accept-Encoding")
	if !acceptsGzip(r.Header.Values("Accept-Encoding")) {
		h.ServeHTTP(w, r)
		return
	}
	gz := gzipWriters.Get().(*gzip.Writer)
	defer gzipWriters.Put(gz)
	gz.Reset(w)
	w.Header().Set("Content-Encoding", "gzip")
	g := &gzipResponse{ResponseWriter: w, gz: gz}
	h.ServeHTTP(g, r)
	g.close()
}

var gzipWriters = sync.Pool{New: func() any {
	gz, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed) // a valid level: no error
	return gz
}}

// gzipResponse compresses what promhttp writes, unless promhttp has taken
// the Content-Encoding header back (it does when it answers with an
// error) by the time it writes.
type gzipResponse struct {
	http.ResponseWriter
	gz           *gzip.Writer
	decided, raw bool
}

func (g *gzipResponse) decide() {
	if !g.decided {
		g.decided = true
		g.raw = g.Header().Get("Content-Encoding") != "gzip"
	}
}

func (g *gzipResponse) WriteHeader(code int) {
	g.decide()
	g.ResponseWriter.WriteHeader(code)
}

func (g *gzipResponse) Write(p []byte) (int, error) {
	g.decide()
	if g.raw {
		return g.ResponseWriter.Write(p)
	}
	return g.gz.Write(p)
}

// close ends the gzip stream; a scraper that went away is promhttp's to
// log, and the write it failed is the one promhttp saw.
func (g *gzipResponse) close() {
	g.decide()
	if !g.raw {
		_ = g.gz.Close()
	}
}

// acceptsGzip reports whether an Accept-Encoding header (its values)
// accepts gzip (RFC 9110, 12.5.3): gzip, or else *, with a q above 0, and
// no identity with a higher q. A q that is not a number counts as 0: an
// unreadable header gets the answer uncompressed, which every client reads.
func acceptsGzip(values []string) bool {
	gzipQ, starQ, identityQ := -1.0, -1.0, -1.0
	for _, v := range values {
		for _, spec := range strings.Split(v, ",") {
			name, params, _ := strings.Cut(spec, ";")
			q := 1.0
			for _, p := range strings.Split(params, ";") {
				if k, val, ok := strings.Cut(strings.TrimSpace(p), "="); ok && strings.EqualFold(strings.TrimSpace(k), "q") {
					f, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
					if err != nil || math.IsNaN(f) {
						f = 0
					}
					q = f
				}
			}
			switch name = strings.ToLower(strings.TrimSpace(name)); name {
			case "gzip":
				gzipQ = max(gzipQ, q)
			case "*":
				starQ = max(starQ, q)
			case "identity":
				identityQ = max(identityQ, q)
			}
		}
	}
	if gzipQ < 0 {
		gzipQ = starQ
	}
	return gzipQ > 0 && gzipQ >= identityQ
}

// disjoint gathers two gatherers whose families have different names: the
// process-wide metrics and a collection's, whose names are the
// collector's own. It concatenates what each gathered, where
// prometheus.Gatherers would check and hash every series of the collection
// a second time (60,000 at 10,000 tasks) to merge families that never
// meet. A name in both is an error, and only the first family is served.
type disjoint [2]prometheus.Gatherer

func (d disjoint) Gather() ([]*dto.MetricFamily, error) {
	a, errA := d[0].Gather()
	b, errB := d[1].Gather()
	mfs := slices.Concat(a, b)
	slices.SortStableFunc(mfs, func(x, y *dto.MetricFamily) int { return strings.Compare(x.GetName(), y.GetName()) })
	errs := []error{errA, errB}
	mfs = slices.CompactFunc(mfs, func(x, y *dto.MetricFamily) bool {
		if x.GetName() != y.GetName() {
			return false
		}
		errs = append(errs, fmt.Errorf("two metric families are named %s; serving the first", x.GetName()))
		return true
	})
	return mfs, errors.Join(errs...)
}

// configuredTimeout is the timeout of the configuration in force.
func (c *Scraper) configuredTimeout() time.Duration {
	if cfg := c.config(); cfg != nil {
		return time.Duration(cfg.Timeout)
	}
	return 30 * time.Second
}

func (c *Scraper) scrapeTimeout(r *http.Request) time.Duration {
	return scrapeDeadline(r.Header.Get("X-Prometheus-Scrape-Timeout-Seconds"), c.configuredTimeout())
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
