// Package collector owns scrapes: for each scrape of /metrics it asks
// CodeArts Check for the progress of every configured task, within the
// scrape's deadline, reads the reports (defects, quality gate, code size)
// of the tasks whose check finished, and serves the answers as metrics.
//
// It has three parts, each in files named for it:
//
//   - The collection engine: collector.go (one collection, start to
//     snapshot), progress.go (the progress queries: a work queue, first
//     attempts before retries), schedule.go (which tasks go first when not
//     all fit), share.go (overlapping scrapes and min_interval share one
//     collection), changedetection.go (with change_detection on, the task
//     list says which tasks need a progress query) and errorlog.go (one
//     warning per kind of failure per collection).
//   - The report refresh policy: reports.go (when a task's report is due,
//     and the back-off of failed reads), reportread.go (reading them with
//     what the progress queries left) and reportvalues.go (what is kept of
//     a report).
//   - The exposition: metrics.go (the metric names, help texts and labels:
//     the exporter's interface), snapshot.go (what a collection keeps per
//     task), gather.go (its metric families) and handler.go (the /metrics
//     handler: the scrape's deadline from Prometheus' header, compression,
//     promhttp for the rest).
//
// "Report" is the one word for a check's defects and quality figures here;
// the configuration calls them quality (quality.enabled), as do some
// metric names, which are interface and stay as they are.
package collector
