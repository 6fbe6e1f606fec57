package collector

import (
	"bytes"
	"context"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/klauspost/compress/gzip"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

// The streaming path, for the benchmarks to measure beside Handler's: the
// answer written a family at a time with expfmt's encoder, each family
// built from the snapshot's rows just before it is encoded and dropped
// after, instead of every series of the scrape gathered first for
// promhttp. CODEARTS_BENCH_EXPOSITION=stream makes startBenchExporter use
// it; CODEARTS_BENCH_EXPOSITION=direct also writes the snapshot's families
// without expfmt's encoder when the answer is OpenMetrics
// (writeOpenMetrics). Measurements, not a handler: they leave out name[],
// the in-flight cap and promhttp's error accounting. BENCHMARKS.md,
// "Items 9 and 10 after a profiling pass", has the figures.

// streamHandler is Handler's streaming alternative.
func streamHandler(c *Scraper, static prometheus.Gatherer) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), c.scrapeTimeout(r))
		defer cancel()
		snap := c.shared(ctx)
		format := expfmt.NegotiateIncludingOpenMetrics(r.Header)
		w.Header().Set("Content-Type", string(format))
		w.Header().Add("Vary", "Accept-Encoding")
		out := http.ResponseWriter(w)
		var gz *gzip.Writer
		if acceptsGzip(r.Header.Values("Accept-Encoding")) {
			gz = gzipWriters.Get().(*gzip.Writer)
			defer gzipWriters.Put(gz)
			gz.Reset(w)
			w.Header().Set("Content-Encoding", "gzip")
			out = &gzipResponse{ResponseWriter: w, gz: gz}
		}
		enc := expfmt.NewEncoder(out, format)
		statics, _ := static.Gather()
		l := newLabeler(snap)
		direct := benchExposition == "direct" && format.FormatType() == expfmt.TypeOpenMetrics
		var buf []byte
		i := 0
		for _, f := range familiesByName {
			for ; i < len(statics) && strings.Compare(statics[i].GetName(), families[f].name) < 0; i++ {
				_ = enc.Encode(statics[i])
			}
			if direct {
				buf = snap.writeOpenMetrics(buf[:0], f, l, out)
				_, _ = out.Write(buf)
				continue
			}
			if mf := snap.family(f, l); mf != nil {
				_ = enc.Encode(mf)
			}
		}
		for ; i < len(statics); i++ {
			_ = enc.Encode(statics[i])
		}
		if closer, ok := enc.(expfmt.Closer); ok {
			_ = closer.Close()
		}
		if gz != nil {
			_ = gz.Close()
		}
	})
}

// writeOpenMetrics appends family f of s to buf in the OpenMetrics text
// format, as expfmt writes a gauge family, writing buf to out whenever it
// grows past 64 KiB; it returns what is left to write.
func (s *snapshot) writeOpenMetrics(buf []byte, f familyID, l *labeler, out io.Writer) []byte {
	name := families[f].name
	first := true
	familySeries[f](s, l, func(v float64, labels []*dto.LabelPair) {
		if first {
			first = false
			buf = append(buf, "# HELP "...)
			buf = append(buf, name...)
			buf = append(buf, ' ')
			buf = appendEscaped(buf, families[f].help)
			buf = append(buf, "\n# TYPE "...)
			buf = append(buf, name...)
			buf = append(buf, " gauge\n"...)
		}
		buf = append(buf, name...)
		for i, p := range labels {
			if i == 0 {
				buf = append(buf, '{')
			} else {
				buf = append(buf, ',')
			}
			buf = append(buf, *p.Name...)
			buf = append(buf, '=', '"')
			buf = appendEscaped(buf, *p.Value)
			buf = append(buf, '"')
		}
		if len(labels) > 0 {
			buf = append(buf, '}')
		}
		buf = append(buf, ' ')
		switch {
		case v == 1:
			buf = append(buf, "1.0"...)
		case v == 0:
			buf = append(buf, "0.0"...)
		case v == -1:
			buf = append(buf, "-1.0"...)
		case math.IsNaN(v):
			buf = append(buf, "NaN"...)
		case math.IsInf(v, 1):
			buf = append(buf, "+Inf"...)
		case math.IsInf(v, -1):
			buf = append(buf, "-Inf"...)
		default:
			n := len(buf)
			buf = strconv.AppendFloat(buf, v, 'g', -1, 64)
			if !bytes.ContainsAny(buf[n:], "e.") {
				buf = append(buf, '.', '0')
			}
		}
		buf = append(buf, '\n')
		if len(buf) > 64<<10 {
			_, _ = out.Write(buf)
			buf = buf[:0]
		}
	})
	return buf
}

// appendEscaped appends v escaped as an OpenMetrics label value or help.
func appendEscaped(buf []byte, v string) []byte {
	if !strings.ContainsAny(v, "\\\n\"") {
		return append(buf, v...)
	}
	for i := 0; i < len(v); i++ {
		switch c := v[i]; c {
		case '\\':
			buf = append(buf, '\\', '\\')
		case '\n':
			buf = append(buf, '\\', 'n')
		case '"':
			buf = append(buf, '\\', '"')
		default:
			buf = append(buf, c)
		}
	}
	return buf
}

// family builds family f of s alone, nil without series.
func (s *snapshot) family(f familyID, l *labeler) *dto.MetricFamily {
	n := 0
	familySeries[f](s, nil, func(float64, []*dto.LabelPair) { n++ })
	if n == 0 {
		return nil
	}
	typ, counters := dto.MetricType_GAUGE, 0
	if families[f].counter {
		typ, counters = dto.MetricType_COUNTER, n
	}
	all := newSeries(n, counters)
	all.fill(s, l, f, 0)
	return &dto.MetricFamily{Name: &families[f].name, Help: &families[f].help, Type: &typ, Metric: all.ptrs}
}
