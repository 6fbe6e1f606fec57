package collector

import (
	"slices"
	"strings"

	dto "github.com/prometheus/client_model/go"
)

// Gather implements prometheus.Gatherer: the families of the snapshot,
// as a registry holding it would gather them (a test holds the two equal),
// but built directly from the rows.
//
// It is not left to a registry holding the snapshot because of what that
// costs at 10,000 tasks with reports (200,000 series), where the /metrics
// answer is the exporter's peak memory: per series, a Write into a
// dto.Metric of the registry's own, a hash and a duplicate check, then a
// sort. Measured with the real binary (BENCHMARKS.md, "Reports"), a
// registry's Gather peaks at 97–103 MiB RSS and 8.0–8.2 s CPU for startup
// and five scrapes; this one at 83–86 MiB and 6.6–6.9 s. Here the series
// of a family are allocated together, and only the families the rows do
// not already order are sorted.
func (s *snapshot) Gather() ([]*dto.MetricFamily, error) {
	var counts [numFamilies]int
	s.series(nil, func(f familyID, _ float64, _ []*dto.LabelPair) { counts[f]++ })
	total := 0
	for _, n := range counts {
		total += n
	}
	metrics := make([]dto.Metric, total)
	gauges := make([]dto.Gauge, total)
	values := make([]float64, total)
	ptrs := make([]*dto.Metric, total)
	gaugeType := dto.MetricType_GAUGE
	mfs := make([]dto.MetricFamily, 0, numFamilies) // never grows: pointers into it stay valid
	var byFamily [numFamilies]*dto.MetricFamily
	off := 0
	for f, n := range counts {
		if n > 0 {
			mfs = append(mfs, dto.MetricFamily{Name: &families[f].name, Help: &families[f].help, Type: &gaugeType,
				Metric: ptrs[off : off : off+n]})
			byFamily[f] = &mfs[len(mfs)-1]
			off += n
		}
	}
	k := 0
	s.series(newSeriesBuilder(s, false), func(f familyID, v float64, labels []*dto.LabelPair) {
		values[k] = v
		gauges[k].Value = &values[k]
		metrics[k].Label, metrics[k].Gauge = labels, &gauges[k]
		mf := byFamily[f]
		mf.Metric = append(mf.Metric, &metrics[k])
		k++
	})
	out := make([]*dto.MetricFamily, len(mfs))
	for i := range mfs {
		mf := &mfs[i]
		if !slices.IsSortedFunc(mf.Metric, compareLabels) {
			slices.SortFunc(mf.Metric, compareLabels)
		}
		out[i] = mf
	}
	slices.SortFunc(out, func(a, b *dto.MetricFamily) int { return strings.Compare(a.GetName(), b.GetName()) })
	return out, s.err
}

// compareLabels orders series as the registry does: by their label
// values, in the order of their (sorted) label names.
func compareLabels(a, b *dto.Metric) int {
	for i := range a.Label {
		if c := strings.Compare(a.Label[i].GetValue(), b.Label[i].GetValue()); c != 0 {
			return c
		}
	}
	return 0
}
