package collector

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// Gatherer returns the gatherer of one scrape bound by ctx: the families of
// the collection it shares with other scrapes (share.go).
func (c *Collector) Gatherer(ctx context.Context) prometheus.Gatherer {
	return prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) { return c.shared(ctx) })
}

// gatherCollection runs a collection and returns its metric families,
// sorted by name, ready to be served as they are to every scrape that
// shares the collection.
func (c *Collector) gatherCollection(ctx context.Context) ([]*dto.MetricFamily, error) {
	start := time.Now()
	families, up, err := c.collect(ctx)
	families = append(families,
		gaugeFamily(&upFamily, boolValue(up)),
		gaugeFamily(&scrapeDurationFamily, time.Since(start).Seconds()))
	sortFamilies(families)
	return families, err
}

// upOnly is what a scrape serves when it has no collection at all: up 0.
func upOnly() []*dto.MetricFamily {
	return []*dto.MetricFamily{gaugeFamily(&upFamily, 0)}
}

// DisjointGatherers serves the families of several gatherers whose metric
// names never overlap, such as a scrape's collection and the process-wide
// metrics. prometheus.Gatherers would check every metric against every
// other and sort them again on each scrape; a collection is checked and
// sorted once, when it is gathered (profiling showed that redone work as a
// sixth of a scrape's CPU time, see BENCHMARKS.md). Should two gatherers
// ever share a name, it falls back to prometheus.Gatherers, which merges
// them or reports the conflict.
type DisjointGatherers []prometheus.Gatherer

// Gather implements prometheus.Gatherer.
func (gs DisjointGatherers) Gather() ([]*dto.MetricFamily, error) {
	var (
		all  []*dto.MetricFamily
		errs prometheus.MultiError
	)
	for _, g := range gs {
		families, err := g.Gather()
		errs.Append(err)
		all = append(all, families...)
	}
	slices.SortFunc(all, func(a, b *dto.MetricFamily) int { return strings.Compare(a.GetName(), b.GetName()) })
	for i := 1; i < len(all); i++ {
		if all[i].GetName() == all[i-1].GetName() {
			return prometheus.Gatherers(gs).Gather()
		}
	}
	return all, errs.MaybeUnwrap()
}
