package collector

import (
	"compress/gzip"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

// Writing the answer to a scrape. This is what promhttp.HandlerFor does
// (format and gzip negotiated as it does them, name[] honoured), except
// that promhttp needs every family built before it writes the first one,
// and here each family is built just before it is encoded (families.go), so
// a scrape of 10,000 tasks holds one family of 10,000 series, not six.

// gzipWriters reuses gzip writers between scrapes: each holds ~800 KiB of
// compressor state. BestSpeed, not promhttp's default level: deflate was
// 62% of the CPU time of writing an answer; BestSpeed takes 42% less time
// for an answer 8% larger (BenchmarkExpose, BENCHMARKS.md).
var gzipWriters = sync.Pool{New: func() any {
	w, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed) // the level is valid: no error
	return w
}}

// staticFamily serves a family gathered already.
func staticFamily(mf *dto.MetricFamily) lazyFamily {
	return lazyFamily{mf.GetName(), func() *dto.MetricFamily { return mf }}
}

// expose writes families, sorted by name, as the answer to r in the
// format and encoding r asks for. Families must have distinct names; a
// repeated one is logged and left out rather than written twice, which
// would make the whole answer unreadable.
func expose(w http.ResponseWriter, r *http.Request, families []lazyFamily, logger *slog.Logger) {
	slices.SortStableFunc(families, func(a, b lazyFamily) int { return strings.Compare(a.name, b.name) })
	format := expfmt.NegotiateAccept(r.Header, expfmt.DefaultAcceptedFormats()...)
	header := w.Header()
	header.Add("Vary", "Accept")
	header.Add("Vary", "Accept-Encoding")
	header.Set("Content-Type", string(format))
	var out io.Writer = w
	if acceptsGzip(r.Header.Values("Accept-Encoding")) {
		header.Set("Content-Encoding", "gzip")
		gz := gzipWriters.Get().(*gzip.Writer)
		gz.Reset(w)
		defer func() {
			_ = gz.Close() // a write error was logged already
			gz.Reset(nil)  // let go of w
			gzipWriters.Put(gz)
		}()
		out = gz
	}
	var only map[string]bool // the name[] filter of the URL, if any
	if names := r.URL.Query()["name[]"]; len(names) > 0 {
		only = make(map[string]bool, len(names))
		for _, name := range names {
			only[name] = true
		}
	}
	enc := expfmt.NewEncoder(out, format)
	for i, f := range families {
		if i > 0 && f.name == families[i-1].name {
			logger.Error("two metric families share a name; serving the first", "name", f.name)
			continue
		}
		if only != nil && !only[f.name] {
			continue
		}
		mf := f.build()
		if mf == nil {
			continue
		}
		if err := enc.Encode(mf); err != nil {
			// Writing failed: the scraper went away or gave up.
			logger.Error("cannot write the answer to a scrape", "err", err)
			return
		}
	}
	if closer, ok := enc.(expfmt.Closer); ok {
		if err := closer.Close(); err != nil {
			logger.Error("cannot write the answer to a scrape", "err", err)
		}
	}
}

// acceptsGzip reports whether the Accept-Encoding header values let the
// answer be gzipped: they name gzip, or failing that *, with a q-value
// above 0 (RFC 9110, section 12.5.3). promhttp's own parser is internal to
// client_golang. A q-value that does not parse counts as 0: identity is
// always a safe answer.
func acceptsGzip(values []string) bool {
	gzipQ, starQ := -1.0, -1.0 // -1: not named
	for _, value := range values {
		for _, item := range strings.Split(value, ",") {
			coding, params, _ := strings.Cut(item, ";")
			coding = strings.TrimSpace(coding)
			var q *float64
			switch {
			case strings.EqualFold(coding, "gzip"):
				q = &gzipQ
			case coding == "*":
				q = &starQ
			default:
				continue
			}
			*q = max(*q, qValue(params))
		}
	}
	if gzipQ >= 0 {
		return gzipQ > 0
	}
	return starQ > 0
}

// qValue returns the q parameter of the parameters of an Accept-Encoding
// item (";q=0.5"), 1 when there is none, 0 when it does not parse.
func qValue(params string) float64 {
	for _, param := range strings.Split(params, ";") {
		name, value, _ := strings.Cut(strings.TrimSpace(param), "=")
		if !strings.EqualFold(strings.TrimSpace(name), "q") {
			continue
		}
		q, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		if err != nil || !(q >= 0 && q <= 1) { // NaN too
			return 0
		}
		return q
	}
	return 1
}
