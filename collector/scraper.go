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
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/namespace"
)

// Scraper answers scrapes of /metrics with collections of the tasks of the
// configuration in force; one lives for the whole process. It is not a
// prometheus.Collector: Handler serves its snapshots.
type Scraper struct {
	config  func() *config.Config // the configuration in force (config.SafeConfig.Get)
	clients *clientcache.Cache
	tasks   TaskSource
	lister  ProjectLister // nil: every task is asked for its progress
	metrics *api.Metrics
	logger  *slog.Logger
	// now is the one clock of the memory and min_interval; tests set a
	// fake one. Deadlines and call durations are on the real clock.
	now func() time.Time

	share             share
	workers           sync.WaitGroup // the executor's, which may outlive their collection by a call
	testHookAfterCall func(c call)   // when set, runs in the worker after each call

	memory        memory               // record's alone
	checkDuration prometheus.Histogram // codearts_check_check_duration_seconds, of the history reads
}

// TaskSource says which tasks a scrape queries under a configuration.
type TaskSource interface {
	Tasks(cfg *config.Config) []config.Task
}

// ProjectLister lists a project's tasks, at most maxPages pages within ctx;
// a listing that fails or is cut short returns the pages that came back,
// with its error. discovery.Discoverer is one, so that its listings and the
// collections' are one.
type ProjectLister interface {
	ListProject(ctx context.Context, cfg *config.Config, client *codearts.Client, projectID string, maxPages int) codearts.Listing
}

// New returns a Scraper querying the tasks source gives for the
// configuration cfg returns at each scrape, through that configuration's
// client from clients (which the caller closes after the Scraper). With
// change detection on, it lists projects through lister (nil: none).
func New(cfg func() *config.Config, clients *clientcache.Cache, source TaskSource, lister ProjectLister,
	metrics *api.Metrics, logger *slog.Logger) *Scraper {
	return &Scraper{config: cfg, clients: clients, tasks: source, lister: lister, metrics: metrics, logger: logger,
		now: time.Now, checkDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			// Checks take under a minute to hours, most of them minutes.
			Namespace: namespace.Name,
			Name:      "check_duration_seconds",
			Help:      checkDurationHelp,
			Buckets: []float64{30, 60, 120, 180, 300, 450, 600, 900, 1200, 1800, 2700, 3600,
				5400, 7200, 10800, 14400},
			NativeHistogramBucketFactor:     1.1,
			NativeHistogramMaxBucketNumber:  100,
			NativeHistogramMinResetDuration: time.Hour,
		})}
}

// HistoryMetrics is the collector of codearts_check_check_duration_seconds,
// kept across collections: register it in the registry Handler serves.
func (s *Scraper) HistoryMetrics() prometheus.Collector {
	return s.checkDuration
}

// Close ends the collection in flight, if any, and waits for its calls.
func (s *Scraper) Close() {
	s.share.mu.Lock()
	col := s.share.inFlight
	s.share.mu.Unlock()
	if col != nil {
		col.cancel()
		<-col.done
	}
	s.workers.Wait()
}

// listed is a listing's answer in a collection, by task ID.
type listed struct {
	tasks map[string]codearts.ListedTask
	end   time.Time // real clock
}

// collect plans, executes and records one collection under one
// configuration and its client, even if a reload happens meanwhile.
func (s *Scraper) collect(ctx context.Context) *snapshot {
	start := time.Now()
	cfg := s.config()
	client, err := s.clients.For(cfg)
	if err != nil {
		s.logger.Error("cannot query the API", "err", err)
		return &snapshot{}
	}
	tasks := s.tasks.Tasks(cfg)
	now := s.now()
	p := plan(tasks, &s.memory, cfg.ChangeDetection, s.lister != nil, now)
	s.logTracked(cfg, tasks)

	deadline, _ := ctx.Deadline()
	listBy, pages := listingLimits(start, deadline, cfg.MaxRequestsPerSecond, len(p.waiting))
	do := func(ctx context.Context, c call) outcome {
		if c.kind == progressCall {
			t := tasks[c.task]
			pr, err := client.Progress(ctx, t.ID, t.JobID)
			return outcome{progress: pr, err: err}
		}
		if !listBy.IsZero() {
			if time.Until(listBy) <= 0 {
				return outcome{err: errNotStarted}
			}
			var cancel context.CancelFunc
			ctx, cancel = context.WithDeadline(ctx, listBy)
			defer cancel()
		}
		return outcome{listing: s.lister.ListProject(ctx, cfg, client, c.project, pages)}
	}
	// then runs in the executor's own goroutine.
	listings := map[string]listed{}
	then := func(c call, o outcome) []call {
		if c.kind != listingCall {
			return nil
		}
		l := listed{tasks: make(map[string]codearts.ListedTask, len(o.listing.Tasks)), end: o.sentAt.Add(o.took)}
		for _, lt := range o.listing.Tasks {
			l.tasks[lt.ID] = lt
		}
		listings[c.project] = l
		return p.afterListing(tasks, &s.memory, c.project, l)
	}
	retries := max(5, len(tasks)/10) // at least 5, so that a small task set rides out a moment of trouble
	jobs := s.execute(ctx, p.calls, cfg.Concurrency, &retries, do, then)

	results := make([]outcome, len(tasks))
	for i, t := range tasks {
		if _, ok := listings[t.ProjectID]; ok && p.need[i] == needListing {
			results[i].byListing = true
		} else if p.need[i] == needListing {
			results[i].err = unqueried(ctx.Err()) // neither its listing nor a progress query ran
		}
	}
	for _, j := range jobs {
		if j.kind == progressCall {
			results[j.task] = j.out
		}
	}
	mems := s.recordProgress(cfg, tasks, results, listings, p.spread, now)

	// A history read takes no check that ended after now: the next
	// progress answer reveals those.
	now = s.now()
	reads := s.readReports(ctx, cfg, client, tasks, mems, readsDue(mems, results, now), start)
	s.recordReads(cfg, tasks, mems, reads, now)
	return s.snapshot(tasks, mems, results)
}

// readReports makes the reads of calls (readsDue), with what ctx's deadline
// and the rate limit leave.
func (s *Scraper) readReports(ctx context.Context, cfg *config.Config, client *codearts.Client, tasks []config.Task,
	mems []*taskMemory, calls []call, start time.Time) []*job {
	if len(calls) == 0 {
		return nil
	}
	startBy := time.Time{}
	workers := cfg.Concurrency // execute bounds it by the calls
	if deadline, ok := ctx.Deadline(); ok {
		startBy = deadline.Add(-deadline.Sub(start) / reportReserveDivisor)
		ctx = api.WithSendBy(ctx, startBy)
		if rate := cfg.MaxRequestsPerSecond; rate > 0 {
			// A read is two calls, and the rate limit hands out tokens in
			// the order asked: with more reads in flight than it can finish
			// by startBy, each would get its first call only, every scrape.
			workers = max(1, min(workers, int(rate*time.Until(startBy).Seconds()/2)))
		}
	}
	none := 0
	return s.execute(ctx, calls, workers, &none, func(ctx context.Context, c call) outcome {
		if !startBy.IsZero() && !time.Now().Before(startBy) {
			return outcome{err: errNotStarted}
		}
		if c.kind == historyCall {
			return mems[c.task].history.read(ctx, client, tasks[c.task])
		}
		return readReport(ctx, client, tasks[c.task].ID)
	}, nil)
}
