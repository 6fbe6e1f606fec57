// Package collector owns scrapes: for each scrape of /metrics it collects
// the progress of every configured task from CodeArts Check, within the
// scrape's deadline, reads the reports (defects, quality gate, code size)
// of the tasks whose check finished, and serves the answers as metrics.
//
// A collection is three stages (scraper.go runs them): plan.go, pure,
// decides the calls from the tasks, the memory, the configuration and the
// time; execute.go runs them in one worker pool under concurrency and the
// deadline, retries decided in one place; record.go is the only writer of
// the memory (memory.go: one taskMemory per task) and derives the
// snapshot. reports.go and history.go hold the report and check history
// parts of plan and record; counting.go says which outcomes the collector
// counts as API errors; share.go lets overlapping scrapes and min_interval
// share one collection.
//
// The exposition: snapshot.go (what a collection keeps per task),
// metrics.go (the families: names, help texts, labels, the exporter's
// interface, and how each writes its series from the snapshot) and
// handler.go (the /metrics handler: the scrape's deadline from Prometheus'
// header and the shared collection; internal/exposition does the rest, as
// promhttp would for a registry: negotiation, gzip, name[], the merge).
//
// "Report" is the one word for a check's defects and quality figures here;
// the configuration calls them quality (quality.enabled), as do some
// metric names, which are interface and stay as they are.
package collector
