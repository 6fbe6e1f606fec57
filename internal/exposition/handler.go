package exposition

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/klauspost/compress/gzip"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

// Family is a family of the caller's, as Writer.Family takes it; Series
// writes its series with Writer.Series from the value collected for a scrape.
type Family[T any] struct {
	Name, Help string
	Labels     []string
	Series     func(v T, w *Writer)
}

// HandlerOpts configures Handler.
type HandlerOpts struct {
	// MaxRequestsInFlight caps concurrent scrapes; more get 503. 0: no cap.
	MaxRequestsInFlight int
	// Registry, if not nil, gets promhttp_metric_handler_errors_total.
	Registry prometheus.Registerer
}

// Handler answers a scrape as promhttp.HandlerFor does for static: the
// format negotiated, gzipped at BestSpeed if accepted, only the families
// named by name[] if any, errors logged to logger and counted in
// promhttp_metric_handler_errors_total. Beside static's families it writes
// fams from the value collect gives for the request, which it calls before
// gathering static; all in name order, a name in both served from static.
func Handler[T any](static prometheus.Gatherer, fams []Family[T], collect func(*http.Request) T, logger *slog.Logger, opts HandlerOpts) http.Handler {
	fams = slices.SortedFunc(slices.Values(fams), func(a, b Family[T]) int { return strings.Compare(a.Name, b.Name) })
	errs := handlerErrors(opts.Registry)
	fail := func(cause string, err error) { // as promhttp does
		if err != nil {
			logger.Error(fmt.Sprintf("error %s metrics: %v", cause, err))
			errs.WithLabelValues(cause).Inc()
		}
	}
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
		v := collect(r)
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
		mfs, err := static.Gather()
		fail("gathering", err)
		write(newWriter(out, format), fams, v, mfs, r.URL.Query()["name[]"], fail)
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
			if are, ok := errors.AsType[prometheus.AlreadyRegisteredError](err); ok {
				errs = are.ExistingCollector.(*prometheus.CounterVec)
			} else {
				panic(err) // a programming error: another collector of that name
			}
		}
	}
	errs.WithLabelValues("gathering")
	errs.WithLabelValues("encoding")
	return errs
}

// write writes fams, from v, and a registry's families mfs, both sorted by
// name, in name order, only those named in names unless it is empty. A
// name in both is served once, from mfs.
func write[T any](ew *Writer, fams []Family[T], v T, mfs []*dto.MetricFamily, names []string, fail func(string, error)) {
	wanted := func(name string) bool { return len(names) == 0 || slices.Contains(names, name) }
	encode := func(mf *dto.MetricFamily) {
		if wanted(mf.GetName()) {
			fail("encoding", ew.encode(mf))
		}
	}
	i := 0
	for _, f := range fams {
		for ; i < len(mfs) && mfs[i].GetName() < f.Name; i++ {
			encode(mfs[i])
		}
		if i < len(mfs) && mfs[i].GetName() == f.Name {
			fail("gathering", fmt.Errorf("two metric families are named %s; serving the first", f.Name))
		} else if wanted(f.Name) {
			ew.Family(f.Name, f.Help, f.Labels)
			f.Series(v, ew)
		}
	}
	for ; i < len(mfs); i++ {
		encode(mfs[i])
	}
	fail("encoding", ew.close())
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
