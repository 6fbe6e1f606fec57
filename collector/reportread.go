package collector

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/codearts-check-exporter/codearts_check_exporter/config"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/api"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/codearts"
)

// Reading the reports that reports.go finds due.

// reportRead is the outcome of one report read in a collection.
type reportRead struct {
	task   int // index into the collection's tasks
	report codearts.Report
	err    error
	asked  bool // a call was sent
	at     time.Time
}

// readReports reads the reports of the tasks due (indexes into tasks, in
// order) with what ctx's deadline and the API budget leave, with at most
// cur.Config.Concurrency reads in flight. A read not started, or still
// running when the collection stopped waiting, has err errNotStarted.
func (c *Collector) readReports(ctx context.Context, cur current, tasks []config.Task, due []int, start time.Time) []reportRead {
	reads := make([]reportRead, len(due))
	if len(due) == 0 {
		return reads
	}
	startBy := time.Time{}
	if deadline, ok := ctx.Deadline(); ok {
		startBy = deadline.Add(-deadline.Sub(start) / reportReserveDivisor)
		ctx = api.WithBudgetDeadline(ctx, startBy)
	}
	workers := min(cur.Config.Concurrency, len(due))
	if rate := cur.Config.MaxRequestsPerSecond; rate > 0 && !startBy.IsZero() {
		// A read is two calls, and the budget hands out tokens in the
		// order they are asked for: with more reads in flight than the
		// budget can finish before startBy, each would get its first call
		// and not its second, and every read would be wasted, scrape
		// after scrape.
		workers = max(1, min(workers, int(rate*time.Until(startBy).Seconds()/2)))
	}
	// Reads still running when the collection stops waiting (at the
	// deadline, see waitWorkers) are dropped: the answer leaves without
	// them, and they count as not started.
	var mu sync.Mutex
	closed := false
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		c.workers.Add(1)
		go func() {
			defer c.workers.Done()
			defer wg.Done()
			for ctx.Err() == nil && (startBy.IsZero() || time.Now().Before(startBy)) {
				n := int(next.Add(1) - 1)
				if n >= len(due) {
					return
				}
				i := due[n]
				r := readReport(ctx, cur, tasks[i].ID)
				if hook := c.testHookAfterRead; hook != nil {
					hook(tasks[i].ID)
				}
				r.task, r.at = i, c.reports.now()
				mu.Lock()
				if !closed {
					reads[n] = r
				}
				mu.Unlock()
			}
		}()
	}
	waitWorkers(ctx, &wg)
	mu.Lock()
	defer mu.Unlock()
	closed = true
	for n := range reads {
		if reads[n].at.IsZero() {
			reads[n] = reportRead{task: due[n], err: errNotStarted}
		}
	}
	return reads
}

// readReport reads the report of the task id: the defects statistic, then
// the summary (the first failure ends it: the second call would meet the
// same trouble), noting whether the first call was sent, so that a read
// the budget cut in half still counts as asked for. Each call has its own
// reportCallTimeout.
func readReport(ctx context.Context, cur current, id string) reportRead {
	var r reportRead
	var err error
	callCtx, cancel := context.WithTimeout(ctx, reportCallTimeout)
	r.report.Statistic, err = cur.Client.DefectsStatistic(callCtx, id)
	cancel()
	if err != nil {
		r.err, r.asked = fmt.Errorf("defects statistic: %w", err), wasSent(err)
		return r
	}
	r.asked = true
	callCtx, cancel = context.WithTimeout(ctx, reportCallTimeout)
	r.report.Summary, err = cur.Client.DefectsSummary(callCtx, id)
	cancel()
	if err != nil {
		r.err = fmt.Errorf("defects summary: %w", err)
	}
	return r
}

// errNotStarted is the outcome of a read the collection had no time left for.
var errNotStarted = errors.New("report read left for a later scrape")
