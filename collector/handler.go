package collector

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
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
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	"github.com/codearts-check-exporter/codearts_check_exporter/internal/exposition"
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
// small offset). Overlapping requests share one collection (share.go). The
// collection comes before static is gathered, so the API counters show
// this scrape's calls.
//
// It does what promhttp.HandlerFor would (format negotiation, name[],
// promhttp_metric_handler_errors_total, the error log) but writes the
// snapshot's series straight into the answer (internal/exposition): a
// registry and promhttp's encoder cost 1.1-1.2 times the CPU per task
// query and 20-40 MiB more peak RSS at 10,000 tasks (BENCHMARKS.md, "Issue
// 24, item 9: the direct exposition"). gzip is at BestSpeed, where
// promhttp's default level took most of the CPU of an answer.
func Handler(c *Scraper, static prometheus.Gatherer, logger *slog.Logger, opts HandlerOpts) http.Handler {
	var inFlight chan struct{}
	if opts.MaxRequestsInFlight > 0 {
		inFlight = make(chan struct{}, opts.MaxRequestsInFlight)
	}
	a := &exposer{static: static, errorLog: slog.NewLogLogger(logger.Handler(), slog.LevelError), errors: handlerErrors(opts.Registry)}
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
		a.serve(w, r, c.shared(ctx))
	})
}

// handlerErrors is promhttp's promhttp_metric_handler_errors_total,
// registered in reg as promhttp registers it, or unregistered.
func handlerErrors(reg prometheus.Registerer) *prometheus.CounterVec {
	errs := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "promhttp_metric_handler_errors_total",
		Help: "Total number of internal errors encountered by the promhttp metric handler.",
	}, []string{"cause"})
	errs.WithLabelValues("gathering")
	errs.WithLabelValues("encoding")
	if reg != nil {
		if err := reg.Register(errs); err != nil {
			are := prometheus.AlreadyRegisteredError{}
			if !errors.As(err, &are) {
				panic(err)
			}
			errs = are.ExistingCollector.(*prometheus.CounterVec)
		}
	}
	return errs
}

// exposer writes the answers of one Handler.
type exposer struct {
	static   prometheus.Gatherer
	errorLog *log.Logger
	errors   *prometheus.CounterVec
}

// acceptedFormats are promhttp's, OpenMetrics included.
var acceptedFormats = expfmt.DefaultOpenMetricsAcceptedFormats()

func (a *exposer) serve(w http.ResponseWriter, r *http.Request, snap *snapshot) {
	format := expfmt.NegotiateAccept(r.Header, acceptedFormats...)
	w.Header().Add("Vary", "Accept")
	w.Header().Add("Vary", "Accept-Encoding")
	w.Header().Set("Content-Type", string(format))
	out := io.Writer(w)
	if acceptsGzip(r.Header.Values("Accept-Encoding")) {
		gz := gzipWriters.Get().(*gzip.Writer)
		defer gzipWriters.Put(gz)
		gz.Reset(w)
		defer gz.Close() // its error, the scraper gone, uncounted as in promhttp
		w.Header().Set("Content-Encoding", "gzip")
		out = gz
	}
	mfs, err := a.static.Gather()
	if err != nil {
		a.fail("gathering", "error gathering metrics:", err)
	}
	var names []string
	if r.URL != nil {
		names = r.URL.Query()["name[]"]
	}
	a.write(exposition.NewWriter(out, format), mfs, snap, names)
}

// write writes static's families mfs (sorted by name, as a registry
// gathers them) and those of snap in name order, only
// those named in names unless it is empty. A name in both is served once,
// from mfs.
func (a *exposer) write(ew *exposition.Writer, mfs []*dto.MetricFamily, snap *snapshot, names []string) {
	wanted := func(name string) bool { return len(names) == 0 || slices.Contains(names, name) }
	encode := func(mf *dto.MetricFamily) {
		if wanted(mf.GetName()) {
			if err := ew.Encode(mf); err != nil {
				a.fail("encoding", "error encoding and sending metric family:", err)
			}
		}
	}
	i := 0
	for _, f := range familiesByName {
		name := families[f].name
		for ; i < len(mfs) && mfs[i].GetName() < name; i++ {
			encode(mfs[i])
		}
		if i < len(mfs) && mfs[i].GetName() == name {
			a.fail("gathering", "error gathering metrics:", fmt.Errorf("two metric families are named %s; serving the first", name))
			continue
		}
		if wanted(name) {
			ew.Family(name, families[f].help, families[f].counter, families[f].labels)
			familySeries[f](snap, ew)
		}
	}
	for ; i < len(mfs); i++ {
		encode(mfs[i])
	}
	if err := ew.Close(); err != nil {
		a.fail("encoding", "error encoding and sending metric family:", err)
	}
}

// fail logs and counts an error as promhttp does.
func (a *exposer) fail(cause, msg string, err error) {
	a.errorLog.Println(msg, err)
	a.errors.WithLabelValues(cause).Inc()
}

var gzipWriters = sync.Pool{New: func() any {
	gz, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed) // a valid level: no error
	return gz
}}

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
