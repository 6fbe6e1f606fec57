// Package collector owns scrapes: for each scrape of /metrics it collects
// the progress of every configured task from CodeArts Check, within the
// scrape's deadline, reads the reports (defects, quality gate, code size)
// of the tasks whose check finished, and serves the answers as metrics.
//
// A collection is three stages, each in a file named for it:
//
//   - plan.go: which calls to make, in what order — the progress queries,
//     the listings of change detection and what each falls back to, the
//     reports due (reports.go), the check histories due (history.go) —
//     from the tasks, the memory, the configuration and the time. Pure:
//     no I/O, no clock of its own.
//   - execute.go: one worker pool under concurrency and the deadline, for
//     every kind of call; retries are decided there, in one place. The one
//     rate limit is api.RateLimit, inside every call.
//   - record.go: the only writer of the memory (memory.go: one taskMemory
//     per task), which also counts what no API call counted (counting.go)
//     and every finished check (history.go), and derives the snapshot.
//
// scraper.go runs the three for one collection; share.go lets overlapping
// scrapes and min_interval share one; errorlog.go logs one warning per kind
// of failure per collection.
//
// The exposition: snapshot.go (what a collection keeps per task),
// metrics.go (the families: names, help texts, labels, the exporter's
// interface, and how each writes its series from the snapshot) and
// handler.go (the /metrics handler: the scrape's deadline from Prometheus'
// header, negotiation, gzip, and the families written straight into the
// answer by internal/exposition, the process-wide ones merged in by name).
//
// "Report" is the one word for a check's defects and quality figures here;
// the configuration calls them quality (quality.enabled), as do some
// metric names, which are interface and stay as they are.
package collector
