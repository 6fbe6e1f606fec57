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

// timeoutOffset is kept back from Prometheus' scrape timeout to send the answer.
const timeoutOffset = 500 * time.Millisecond

// HandlerOpts configures Handler.
type HandlerOpts struct {
	// MaxRequestsInFlight caps concurrent scrapes; more get 503. 0: no cap.
	MaxRequestsInFlight int
	// Registry, if not nil, gets promhttp_metric_handler_errors_total.
	Registry prometheus.Registerer
}

// Handler serves /metrics: the process-wide metrics of static and the
// snapshot of a collection bounded by the scrape deadline: min(the
// configured timeout, X-Prometheus-Scrape-Timeout-Seconds minus a small
// offset). Overlapping requests share one collection (share.go), which
// comes before static is gathered, so the API counters show its calls.
//
// It does what promhttp.HandlerFor would, but writes the snapshot's series
// straight into the answer, gzipped at BestSpeed: dto families and expfmt's
// encoder cost 6-20 % more CPU and 14-30 MiB more peak RSS at 10,000 tasks
// (BENCHMARKS.md, "Issue 24, item 9: the direct exposition").
func Handler(c *Scraper, static prometheus.Gatherer, logger *slog.Logger, opts HandlerOpts) http.Handler {
	var inFlight chan struct{}
	if opts.MaxRequestsInFlight > 0 {
		inFlight = make(chan struct{}, opts.MaxRequestsInFlight)
	}
	errorLog := slog.NewLogLogger(logger.Handler(), slog.LevelError)
	a := &exposer{static: static, errorLog: errorLog, errors: handlerErrors(opts.Registry)}
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
// registered in reg if not nil.
func handlerErrors(reg prometheus.Registerer) *prometheus.CounterVec {
	errs := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "promhttp_metric_handler_errors_total",
		Help: "Total number of internal errors encountered by the promhttp metric handler.",
	}, []string{"cause"})
	if reg != nil {
		// A second Handler on the same registry shares the counter, as
		// promhttp.InstrumentMetricHandler does.
		if err := reg.Register(errs); err != nil {
			are := &prometheus.AlreadyRegisteredError{}
			if !errors.As(err, are) {
				panic(err) // a programming error: another collector of that name
			}
			errs = are.ExistingCollector.(*prometheus.CounterVec)
		}
	}
	errs.WithLabelValues("gathering")
	errs.WithLabelValues("encoding")
	return errs
}

// exposer writes the answers of one Handler.
type exposer struct {
	static   prometheus.Gatherer
	errorLog *log.Logger
	errors   *prometheus.CounterVec
}

// serve answers r with snap and static's families.
func (a *exposer) serve(w http.ResponseWriter, r *http.Request, snap *snapshot) {
	format := expfmt.NegotiateAccept(r.Header, expfmt.DefaultOpenMetricsAcceptedFormats()...)
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
	a.fail("gathering", err)
	a.write(exposition.NewWriter(out, format), mfs, snap, r.URL.Query()["name[]"])
}

// write writes static's families mfs (sorted by name, as a registry
// gathers them) and those of snap in name order, only those named in names
// unless it is empty. A name in both is served once, from mfs.
func (a *exposer) write(ew *exposition.Writer, mfs []*dto.MetricFamily, snap *snapshot, names []string) {
	wanted := func(name string) bool { return len(names) == 0 || slices.Contains(names, name) }
	encode := func(mf *dto.MetricFamily) {
		if wanted(mf.GetName()) {
			a.fail("encoding", ew.Encode(mf))
		}
	}
	i := 0
	for _, f := range families {
		for ; i < len(mfs) && mfs[i].GetName() < f.name; i++ {
			encode(mfs[i])
		}
		if i < len(mfs) && mfs[i].GetName() == f.name {
			a.fail("gathering", fmt.Errorf("two metric families are named %s; serving the first", f.name))
		} else if wanted(f.name) {
			ew.Family(f.name, f.help, f.labels)
			f.series(snap, ew)
		}
	}
	for ; i < len(mfs); i++ {
		encode(mfs[i])
	}
	a.fail("encoding", ew.Close())
}

// fail logs and counts err, if not nil, as promhttp does.
func (a *exposer) fail(cause string, err error) {
	if err != nil {
		a.errorLog.Printf("error %s metrics: %v", cause, err)
		a.errors.WithLabelValues(cause).Inc()
	}
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
	q := map[string]float64{} // by coding, the highest given
	for _, spec := range strings.Split(strings.Join(values, ","), ",") {
		name, params, _ := strings.Cut(spec, ";")
		v := 1.0
		for _, p := range strings.Split(params, ";") {
			if k, val, ok := strings.Cut(p, "="); ok && strings.EqualFold(strings.TrimSpace(k), "q") {
				f, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
				if err != nil || math.IsNaN(f) {
					f = 0
				}
				v = f
			}
		}
		name = strings.ToLower(strings.TrimSpace(name))
		if old, seen := q[name]; !seen || v > old {
			q[name] = v
		}
	}
	gzipQ, named := q["gzip"]
	if !named || gzipQ < 0 {
		gzipQ = q["*"]
	}
	return gzipQ > 0 && gzipQ >= q["identity"]
}

// scrapeTimeout is how long r may take under the configuration in force.
func (c *Scraper) scrapeTimeout(r *http.Request) time.Duration {
	configured := 30 * time.Second
	if cfg := c.config(); cfg != nil {
		configured = time.Duration(cfg.Timeout)
	}
	return scrapeDeadline(r.Header.Get("X-Prometheus-Scrape-Timeout-Seconds"), configured)
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
