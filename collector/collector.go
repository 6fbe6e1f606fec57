package collector

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/codearts-check-exporter/codearts_check_exporter/config"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/api"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/codearts"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/session"
)

// Collector queries CodeArts Check for the tasks of the configuration in
// force; one lives for the whole process.
// Handler serves each scrape the snapshot of a collection bound by that
// scrape's deadline and shared with overlapping scrapes (share.go).
type Collector struct {
	config  func() *config.Config // the configuration in force (config.SafeConfig.Get)
	clients *session.Clients
	tasks   TaskSource
	metrics *api.Metrics
	logger  *slog.Logger

	share share // collections shared between scrapes (share.go)
	// workers are the query and read goroutines, which may outlive the
	// collection they worked for by the end of a call (progress.go).
	workers sync.WaitGroup
	// testHookAfterQuery, when set, runs in the worker after each
	// progress call returns and before its result is recorded.
	testHookAfterQuery func(taskID string)
	// testHookAfterRead is the same for report reads.
	testHookAfterRead func(taskID string)

	mu      sync.Mutex
	last    map[string]taskState // last valid answer per task ID
	sched   schedule             // which tasks go first (schedule.go)
	reports reportBook           // report refresh policy (reports.go)
	changes changeBook           // change detection (changedetection.go)
}

// taskState is what the exporter keeps of the last valid answer for a
// task: the values it serves, not the whole answer (progress.info is not
// exported, and 10,000 copies of it would only take memory).
type taskState struct {
	status   int
	ratio    float64
	hasRatio bool
	at       time.Time
}

// TaskSource says which tasks a scrape queries under a configuration.
type TaskSource interface {
	Tasks(cfg *config.Config) []config.Task
}

// New returns a Collector querying the tasks that source gives for the
// configuration in force at each scrape, cfg's answer, through that
// configuration's client from clients, so that a reload takes effect at
// the next scrape. The Collector does not own clients: its creator closes
// them after the Collector.
func New(cfg func() *config.Config, clients *session.Clients, source TaskSource, metrics *api.Metrics, logger *slog.Logger) *Collector {
	return &Collector{config: cfg, clients: clients, tasks: source, metrics: metrics, logger: logger,
		last: map[string]taskState{}, share: share{now: time.Now}, reports: reportBook{now: time.Now},
		changes: changeBook{now: time.Now}}
}

// Close ends the collection in flight, if any, and waits for its calls.
func (c *Collector) Close() {
	c.share.stop()
	c.workers.Wait()
}

// current is a configuration and its client. A collection takes one at its
// start and uses it throughout, so that its tasks, concurrency, timeout
// and credentials all come from one configuration even if a reload
// happens meanwhile.
type current struct {
	Config *config.Config
	Client *codearts.Client
}

// take returns the configuration in force and its client.
func (c *Collector) take() (current, error) {
	cfg := c.config()
	client, err := c.clients.For(cfg)
	if err != nil {
		return current{}, err
	}
	return current{Config: cfg, Client: client}, nil
}

// result is the outcome of one task query in one scrape.
type result struct {
	progress codearts.Progress
	err      error
	duration time.Duration
	// Change detection (changedetection.go): byListing, the listing of listedAt
	// answered the task and progress is its last answer; checkMoved, this
	// progress answer was asked for because last_check_time moved.
	byListing  bool
	listedAt   time.Time
	checkMoved bool
}

// collect queries every task, then reads the reports that are due with
// what is left (reports.go), and returns the snapshot of the collection,
// but for its duration.
func (c *Collector) collect(ctx context.Context) *snapshot {
	start := time.Now()
	cur, err := c.take()
	if err != nil {
		c.logger.Error("cannot query the API", "err", err)
		return &snapshot{}
	}
	tasks := c.byStaleness(c.tasks.Tasks(cur.Config))
	// Change detection: list the tracked tasks' projects, then query only
	// the tasks the listing does not answer (changedetection.go).
	plan := c.planChanges(ctx, cur, tasks)
	results := c.queryPlanned(ctx, cur, tasks, plan)
	quality := cur.Config.Quality.On()
	var due []int
	c.mu.Lock()
	if quality {
		due = c.reports.plan(tasks, results)
	} else {
		c.reports.tasks = nil // turned off: its series go, and a read is due when it is on again
	}
	c.mu.Unlock()
	reads := c.readReports(ctx, cur, tasks, due, start)

	errs := newErrorSummary()
	successes := 0
	snap := &snapshot{rows: make([]taskRow, 0, len(tasks))}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reports.record(tasks, reads, time.Duration(cur.Config.Quality.RefreshInterval), c.logger)
	c.changes.record(tasks, results, plan)
	snap.byProgress, snap.byListing = answeredBy(results)
	current := make(map[string]taskState, len(tasks))
	// In task ID order, the order of the rows of a snapshot.
	for _, i := range byID(tasks) {
		task, r := tasks[i], results[i]
		state, known := c.last[task.ID]
		if r.err == nil {
			successes++
			p := r.progress
			at := time.Now()
			if r.byListing {
				at = r.listedAt
			}
			state, known = taskState{status: p.Status, ratio: p.Ratio, hasRatio: p.HasRatio, at: at}, true
		} else {
			errs.add(task.ID, r.err)
			logEncodedAuthorization(c.logger, task.ID, r.err)
			if !isCounted(r.err) && !isLate(r.err) && errors.Is(r.err, context.DeadlineExceeded) {
				// No API call failed for this task (the deadline left it
				// unqueried, or it waited for a token in vain), but it
				// did miss its answer: a timeout is what happened to it.
				// A late call (errLate) is counted by api.Caller when it
				// ends.
				c.metrics.CountError(api.CodeTimeout)
			}
		}
		if known {
			current[task.ID] = state
		}
		report := c.reports.report(task.ID)
		if report != nil {
			// Where the configuration and discovery give no name or
			// branch, the report's fill them.
			if task.Name == "" {
				task.Name = report.taskName
			}
			if task.GitBranch == "" {
				task.GitBranch = report.gitBranch
			}
		}
		snap.add(taskRow{
			task:        task,
			success:     r.err == nil,
			errorCode:   api.Code(r.err),
			duration:    r.duration.Seconds(),
			known:       known,
			status:      float64(state.status),
			hasRatio:    state.hasRatio,
			ratio:       state.ratio,
			lastSuccess: unixSeconds(state.at),
			report:      report,
		})
	}
	// Forget tasks that left the configuration, so their series go too.
	c.last = current
	c.sched.record(tasks, results)
	errs.log(c.logger, len(tasks))
	snap.up = successes > 0 || len(tasks) == 0
	return snap
}

// byID returns the indexes of tasks in the order of their IDs.
func byID(tasks []config.Task) []int {
	order := make([]int, len(tasks))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return strings.Compare(tasks[a].ID, tasks[b].ID) })
	return order
}

// isCounted reports whether err came from an API call, which api.Caller
// has counted already.
func isCounted(err error) bool {
	var apiErr *api.Error
	return errors.As(err, &apiErr)
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
