package collector

import (
	"context"
	"sync"
	"time"

	"github.com/codearts-check-exporter/codearts_check_exporter/config"
)

// queryAll queries every task with at most cfg.Concurrency queries in
// flight. It is a work queue, not waves: each of the workers takes the next
// task as soon as its last one is answered, so one slow task holds up one
// worker, not a batch. Tasks still queued when ctx ends are not queried;
// their result is the context's error.
func (c *Collector) queryAll(ctx context.Context, sess *session, tasks []config.Task) []result {
	results := make([]result, len(tasks))
	next := make(chan int)
	workers := min(sess.cfg.Concurrency, len(tasks))

	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				start := time.Now()
				p, err := sess.client.Progress(ctx, tasks[i].ID, tasks[i].JobID)
				results[i] = result{progress: p, err: err, duration: time.Since(start)}
			}
		}()
	}
	queued := 0
feed:
	for ; queued < len(tasks); queued++ {
		select {
		case next <- queued:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	for i := queued; i < len(tasks); i++ {
		results[i] = result{err: ctx.Err()}
	}
	return results
}
