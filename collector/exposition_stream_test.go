package collector

import (
	"context"
	"net/http"
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
// it. A measurement, not a handler: it leaves out name[], the in-flight
// cap and promhttp's error accounting.

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
		i := 0
		for _, f := range familiesByName {
			for ; i < len(statics) && strings.Compare(statics[i].GetName(), families[f].name) < 0; i++ {
				_ = enc.Encode(statics[i])
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

// family builds family f of s alone, nil without series.
func (s *snapshot) family(f familyID, l *labeler) *dto.MetricFamily {
	n := 0
	familySeries[f](s, nil, func(float64, []*dto.LabelPair) { n++ })
	if n == 0 {
		return nil
	}
	metrics := make([]dto.Metric, n)
	gauges := make([]dto.Gauge, n)
	values := make([]float64, n)
	ptrs := make([]*dto.Metric, n)
	gaugeType := dto.MetricType_GAUGE
	k := 0
	familySeries[f](s, l, func(v float64, labels []*dto.LabelPair) {
		values[k] = v
		gauges[k].Value = &values[k]
		metrics[k].Label, metrics[k].Gauge = labels, &gauges[k]
		ptrs[k] = &metrics[k]
		k++
	})
	return &dto.MetricFamily{Name: &families[f].name, Help: &families[f].help, Type: &gaugeType, Metric: ptrs}
}
