package collector

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/codearts-check-exporter/codearts_check_exporter/config"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/session"
)

// queryAll queries every task with at most cfg.Concurrency queries in
// flight. It is a work queue, not waves: each of the workers takes the next
// task as soon as its last one is answered, so one slow task holds up one
// worker, not a batch. Tasks still queued when ctx ends are not queried;
// their result is the context's error.
//
// The queue is an index the workers advance themselves: no feeder
// goroutine to wake for every task, nothing to drain when ctx ends.
func (c *Collector) queryAll(ctx context.Context, sess session.API, tasks []config.Task) []result {
	results := make([]result, len(tasks))
	var next atomic.Int64 // the index of the next task to query
	var wg sync.WaitGroup
	for range min(sess.Config.Concurrency, len(tasks)) {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= len(tasks) {
					return
				}
				start := time.Now()
				p, err := sess.Client.Progress(ctx, tasks[i].ID, tasks[i].JobID)
				results[i] = result{progress: p, err: err, duration: time.Since(start)}
			}
		})
	}
	wg.Wait()
	// Tasks no worker took, if ctx ended first.
	for i := min(int(next.Load()), len(tasks)); i < len(tasks); i++ {
		results[i] = result{err: ctx.Err()}
	}
	return results
}
