package collector

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/codearts-check-exporter/codearts_check_exporter/config"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/api"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/clientcache"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/codearts"
)

// Scraper answers scrapes of /metrics with collections of the tasks of the
// configuration in force; one lives for the whole process. (It is not a
// prometheus.Collector: Handler serves its snapshots through promhttp.)
// Each scrape gets the snapshot of a collection bound by its deadline and
// shared with overlapping scrapes (share.go).
type Scraper struct {
	config  func() *config.Config // the configuration in force (config.SafeConfig.Get)
	clients *clientcache.Cache
	tasks   TaskSource
	lister  ProjectLister // nil: nothing is listed, every task is asked for its progress
	metrics *api.Metrics
	logger  *slog.Logger
	// now is the one clock of the memory, the report policy, change
	// detection and min_interval: time.Now; tests set a fake one before
	// the first scrape. Deadlines and call durations are on the real clock.
	now func() time.Time

	share share // collections shared between scrapes (share.go)
	// workers are the executor's goroutines, which may outlive the
	// collection they worked for by the end of a call (execute.go).
	workers sync.WaitGroup
	// testHookAfterCall, when set, runs in the worker after each call
	// returns and before its outcome is recorded.
	testHookAfterCall func(c call)

	memory memory // record's alone (memory.go)

	// checkDuration is codearts_check_check_duration_seconds, which
	// record observes (history.go); HistoryMetrics gives it to the
	// registry the handler gathers.
	checkDuration prometheus.Histogram
}

// TaskSource says which tasks a scrape queries under a configuration.
type TaskSource interface {
	Tasks(cfg *config.Config) []config.Task
}

// ProjectLister lists a project's tasks on a collection's behalf, reading at
// most maxPages pages within ctx. A listing that fails or is cut short
// returns the tasks of the pages that came back with its error.
// discovery.Discoverer is one, so that its listings and the collections'
// are one.
type ProjectLister interface {
	ListProject(ctx context.Context, cfg *config.Config, client *codearts.Client, projectID string, maxPages int) codearts.Listing
}

// New returns a Scraper querying the tasks that source gives for the
// configuration in force at each scrape, cfg's answer, through that
// configuration's client from clients, so that a reload takes effect at the
// next scrape. With change detection on, it lists projects through lister
// (nil: none; every task is then asked for its progress). The Scraper does
// not own clients: its creator closes them after the Scraper.
func New(cfg func() *config.Config, clients *clientcache.Cache, source TaskSource, lister ProjectLister, metrics *api.Metrics, logger *slog.Logger) *Scraper {
	return &Scraper{config: cfg, clients: clients, tasks: source, lister: lister, metrics: metrics, logger: logger, now: time.Now,
		checkDuration: newCheckDuration()}
}

// HistoryMetrics is the collector of the metrics the Scraper keeps across
// collections rather than in a snapshot: the histogram of check durations
// (history.go). Register it in the registry Handler serves.
func (s *Scraper) HistoryMetrics() prometheus.Collector {
	return s.checkDuration
}

// Close ends the collection in flight, if any, and waits for its calls.
func (s *Scraper) Close() {
	s.share.stop()
	s.workers.Wait()
}

// inForce is a configuration and its client. A collection takes one at its
// start and uses it throughout, so that its tasks, concurrency, timeout and
// credentials all come from one configuration even if a reload happens
// meanwhile.
type inForce struct {
	cfg    *config.Config
	client *codearts.Client
}

// inForce returns the configuration in force and its client.
func (s *Scraper) inForce() (inForce, error) {
	cfg := s.config()
	client, err := s.clients.For(cfg)
	if err != nil {
		return inForce{}, err
	}
	return inForce{cfg: cfg, client: client}, nil
}

// result is what a collection got for one task.
type result struct {
	progress   codearts.Progress
	err        error
	took       time.Duration
	sentAt     time.Time // real clock
	byListing  bool      // the listing answered it: progress is its last answer
	checkMoved bool      // record: last_check_time moved to a newer time
}

// listed is a listing's outcome in a collection.
type listed struct {
	codearts.Listing
	end time.Time // real clock
}

// collect plans, executes and records one collection, and returns its
// snapshot, but for its duration.
func (s *Scraper) collect(ctx context.Context) *snapshot {
	start := time.Now()
	cur, err := s.inForce()
	if err != nil {
		s.logger.Error("cannot query the API", "err", err)
		return &snapshot{}
	}
	cfg := cur.cfg
	tasks := s.tasks.Tasks(cfg)
	now := s.now()
	p := plan(tasks, &s.memory, cfg.ChangeDetection, s.lister != nil, now)
	s.logTracked(cfg, tasks)

	deadline, _ := ctx.Deadline()
	listings := map[string]listed{}
	projects := 0
	for _, c := range p.calls {
		if c.kind == listingCall {
			projects++
		}
	}
	listBy, pages := listingLimits(start, deadline, cfg.MaxRequestsPerSecond, projects)
	do := func(ctx context.Context, c call) outcome {
		switch c.kind {
		case listingCall:
			if !listBy.IsZero() {
				if time.Until(listBy) <= 0 {
					return outcome{err: errNotStarted}
				}
				var cancel context.CancelFunc
				ctx, cancel = context.WithDeadline(ctx, listBy)
				defer cancel()
			}
			return outcome{listing: s.lister.ListProject(ctx, cfg, cur.client, c.project, pages)}
		default:
			t := tasks[c.task]
			pr, err := cur.client.Progress(ctx, t.ID, t.JobID)
			return outcome{progress: pr, err: err}
		}
	}
	// then runs under the executor's lock: listings is the run's alone
	// until execute returns.
	then := func(c call, o outcome) []call {
		if c.kind != listingCall {
			return nil
		}
		listings[c.project] = listed{Listing: o.listing, end: o.sentAt.Add(o.took)}
		return p.afterListing(tasks, &s.memory, c.project, o.listing)
	}
	retries := retryLimit(len(tasks))
	jobs := s.execute(ctx, p.calls, cfg.Concurrency, &retries, do, then)

	results := make([]result, len(tasks))
	for i := range results {
		results[i].byListing = p.need[i] == needListing
	}
	for _, j := range jobs {
		if j.kind == progressCall {
			o := j.out
			results[j.task] = result{progress: o.progress, err: o.err, took: o.took, sentAt: o.sentAt}
		}
	}
	for i := range results {
		if _, ok := listings[tasks[i].ProjectID]; results[i].byListing && !ok {
			// Its listing never ran (no time or rate left): a progress
			// query it did not get either.
			results[i] = result{err: unqueried(ctx.Err())}
		}
	}
	mems := s.recordProgress(cfg, tasks, p, results, listings, now)

	answered := make([]bool, len(tasks))
	for i, r := range results {
		answered[i] = r.err == nil
	}
	// The progress answers are in: a history read takes no check that
	// ended after now, which the next answer may reveal.
	now = s.now()
	var reports []int
	if cfg.Quality.On() {
		reports = reportsDue(mems, answered, now)
	}
	histories := historyDue(tasks, mems, answered, cfg.History.On(), now)
	reads := s.readReports(ctx, cur, tasks, mems, reports, histories, start)
	s.recordHistories(tasks, mems, reads, now)
	return s.recordReports(cfg, tasks, mems, results, reads)
}

// readReports reads the reports, then the histories, of the tasks due
// (indexes into tasks, in order) with what ctx's deadline and the rate
// limit leave.
func (s *Scraper) readReports(ctx context.Context, cur inForce, tasks []config.Task, mems []*taskMemory, due, histories []int, start time.Time) []*job {
	if len(due)+len(histories) == 0 {
		return nil
	}
	startBy := time.Time{}
	if deadline, ok := ctx.Deadline(); ok {
		startBy = deadline.Add(-deadline.Sub(start) / reportReserveDivisor)
		ctx = api.WithSendBy(ctx, startBy)
	}
	workers := min(cur.cfg.Concurrency, len(due)+len(histories))
	if rate := cur.cfg.MaxRequestsPerSecond; rate > 0 && !startBy.IsZero() {
		// A read is two calls, and the rate limit hands out tokens in the
		// order they are asked for: with more reads in flight than it can
		// finish before startBy, each would get its first call and not
		// its second, and every read would be wasted, scrape after scrape.
		workers = max(1, min(workers, int(rate*time.Until(startBy).Seconds()/2)))
	}
	calls := make([]call, 0, len(due)+len(histories))
	for _, i := range due {
		calls = append(calls, call{kind: reportCall, task: i, id: tasks[i].ID})
	}
	since := make(map[int]time.Time, len(histories))
	for _, i := range histories {
		calls = append(calls, call{kind: historyCall, task: i, id: tasks[i].ID})
		since[i] = mems[i].history.since()
	}
	none := 0
	return s.execute(ctx, calls, workers, &none, func(ctx context.Context, c call) outcome {
		if !startBy.IsZero() && !time.Now().Before(startBy) {
			return outcome{err: errNotStarted}
		}
		if c.kind == historyCall {
			return readHistory(ctx, cur.client, tasks[c.task], since[c.task])
		}
		return readReport(ctx, cur.client, tasks[c.task].ID)
	}, nil)
}
