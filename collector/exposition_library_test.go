package collector

import (
	"context"
	"log/slog"
	"net/http"
	"os"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
)

// The library path of issue 24's item 6, for the benchmarks to measure
// beside the hand-built one: the snapshot as a prometheus.Collector of
// const metrics, registered in a registry of its own per scrape, served by
// promhttp with its own negotiation and compression (gzip at its default
// level). CODEARTS_BENCH_EXPOSITION=library makes startBenchExporter use it.
// BENCHMARKS.md, "Exposition: the library path", has the figures.

// benchExposition is the exposition the benchmarks' exporter uses.
var benchExposition = os.Getenv("CODEARTS_BENCH_EXPOSITION")

// libraryDescs are the families' descs, label names in order.
var libraryDescs = func() [numFamilies]*prometheus.Desc {
	var d [numFamilies]*prometheus.Desc
	for f := range families {
		d[f] = prometheus.NewDesc(families[f].name, families[f].help, families[f].labels, nil)
	}
	return d
}()

// snapshotCollector is a snapshot as an unchecked prometheus.Collector.
type snapshotCollector struct{ s *snapshot }

func (snapshotCollector) Describe(chan<- *prometheus.Desc) {}

func (c snapshotCollector) Collect(ch chan<- prometheus.Metric) {
	l := newLabeler(c.s)
	for f := range familySeries {
		familySeries[f](c.s, l, func(v float64, labels []*dto.LabelPair) {
			values := make([]string, len(labels))
			for i, p := range labels {
				values[i] = p.GetValue()
			}
			ch <- prometheus.MustNewConstMetric(libraryDescs[f], prometheus.GaugeValue, v, values...)
		})
	}
}

// libraryHandler is Handler's library path (no in-flight cap).
func libraryHandler(c *Scraper, static prometheus.Gatherer, logger *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), c.scrapeTimeout(r))
		defer cancel()
		reg := prometheus.NewRegistry()
		reg.MustRegister(snapshotCollector{c.shared(ctx)})
		promhttp.HandlerFor(prometheus.Gatherers{static, reg}, promhttp.HandlerOpts{
			ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelError),
			ErrorHandling:     promhttp.ContinueOnError,
			EnableOpenMetrics: true,
		}).ServeHTTP(w, r)
	})
}
