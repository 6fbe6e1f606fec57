package collector

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/codearts-check-exporter/codearts_check_exporter/config"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/api"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/codearts"
)

// The progress queue. Each of cfg.Concurrency workers takes the next query
// as soon as its last one is answered, so one slow task holds up one
// worker, not a batch. Healthy tasks come first:
//
//   - every task's first attempt goes before any retry: a worker takes a
//     retry only when no first attempt is left;
//   - a failure that may succeed if made again (codearts.Retryable) puts
//     the task back in the queue with a not-before time
//     (codearts.RetryDelay) instead of holding a worker during the pause;
//     a throttle (api.Throttled) comes back with no pause of its own,
//     because api.Adaptive has slowed every call down already;
//   - retries are capped per collection (retryLimit), so that tasks that
//     fail on every call cannot spend the deadline that healthy ones need;
//   - a retry is only queued while the deadline leaves room for its pause
//     plus a call as long as the last one took.
//
// The queue's answer leaves at the deadline: queryAll waits for its
// workers at most lateGrace past ctx's end, and a worker that is still
// busy then (decoding a large answer, say) has its result dropped. Its
// call was sent, and is counted when it ends (api.Caller); the task's
// result is errLate.

// retryShareDivisor and minRetries bound the retries of a collection: at
// most one per retryShareDivisor tasks (10 %), but at least minRetries, so
// that a small task set still rides out a moment of trouble.
const (
	retryShareDivisor = 10
	minRetries        = 5
)

// lateGrace is how long past the deadline the collection waits for calls
// the deadline just cancelled to come back with their error, so that they
// are counted in the scrape they belong to. Nothing else is waited for.
const lateGrace = 50 * time.Millisecond

// retryLimit is how many retries a collection of n tasks may make.
func retryLimit(n int) int { return max(minRetries, n/retryShareDivisor) }

// errLate is the result of a query still in flight when the collection
// stopped waiting for it.
var errLate = fmt.Errorf("query still in flight when the collection's answer left: %w", context.DeadlineExceeded)

// pendingRetry is a task waiting for its next attempt.
type pendingRetry struct {
	task      int
	notBefore time.Time
}

// progressQueue is the state of one collection's queries, guarded by mu.
type progressQueue struct {
	ctx   context.Context
	tasks []config.Task

	mu       sync.Mutex
	results  []result
	attempts []int
	final    []bool // the result is the task's last word in this collection
	inFlight []bool
	next     int            // the next first attempt
	retries  []pendingRetry // by notBefore
	left     int            // retries this collection may still make
	active   int            // workers with a query in flight
	closed   bool           // queryAll stopped waiting: results are dropped
	wake     chan struct{}  // closed (and replaced) when a waiting worker should look again
}

// queryAll queries every task with at most cfg.Concurrency queries in
// flight, as the top of this file describes. Tasks no worker took before
// ctx ended have the context's error as result.
func (c *Collector) queryAll(ctx context.Context, cur current, tasks []config.Task) []result {
	q := &progressQueue{
		ctx: ctx, tasks: tasks,
		results: make([]result, len(tasks)), attempts: make([]int, len(tasks)),
		final: make([]bool, len(tasks)), inFlight: make([]bool, len(tasks)),
		left: retryLimit(len(tasks)), wake: make(chan struct{}),
	}
	var wg sync.WaitGroup
	for range min(cur.Config.Concurrency, len(tasks)) {
		wg.Add(1)
		c.workers.Add(1)
		go func() {
			defer c.workers.Done()
			defer wg.Done()
			q.work(c, cur)
		}()
	}
	waitWorkers(ctx, &wg)
	return q.close()
}

// waitWorkers waits for wg, or for ctx's end plus lateGrace, whichever
// comes first.
func waitWorkers(ctx context.Context, wg *sync.WaitGroup) {
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return
	case <-ctx.Done():
	}
	t := time.NewTimer(lateGrace)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
	}
}

// work is one worker's loop.
func (q *progressQueue) work(c *Collector, cur current) {
	for {
		i, wait, d, ok := q.take()
		if !ok {
			return
		}
		if i < 0 {
			q.sleep(wait, d)
			continue
		}
		t := q.tasks[i]
		start := time.Now()
		p, err := cur.Client.Progress(q.ctx, t.ID, t.JobID)
		took := time.Since(start)
		if hook := c.testHookAfterQuery; hook != nil {
			hook(t.ID)
		}
		q.finish(i, p, err, took)
	}
}

// take returns the next task to query; or, when none is ready yet, i < 0,
// a channel that says to look again, and how long to wait at most (0: no
// limit); or ok false when the worker is done.
func (q *progressQueue) take() (i int, wake <-chan struct{}, d time.Duration, ok bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed || q.ctx.Err() != nil {
		return 0, nil, 0, false
	}
	if q.next < len(q.tasks) {
		i = q.next
		q.next++
		q.start(i)
		return i, nil, 0, true
	}
	if len(q.retries) > 0 {
		head := q.retries[0]
		if d = time.Until(head.notBefore); d <= 0 {
			q.retries = q.retries[1:]
			q.start(head.task)
			return head.task, nil, 0, true
		}
		return -1, q.wake, d, true
	}
	if q.active > 0 {
		return -1, q.wake, 0, true // a query in flight may queue a retry
	}
	return 0, nil, 0, false
}

// sleep waits until wake is closed, d has passed (0: no limit) or ctx ends.
// The worker holds no call meanwhile: there is nothing to take.
func (q *progressQueue) sleep(wake <-chan struct{}, d time.Duration) {
	var timer <-chan time.Time
	if d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		timer = t.C
	}
	select {
	case <-wake:
	case <-timer:
	case <-q.ctx.Done():
	}
}

// start notes task i's query as in flight. q.mu is held.
func (q *progressQueue) start(i int) {
	q.active++
	q.attempts[i]++
	q.inFlight[i] = true
}

// finish records an attempt's outcome and queues a retry if the policy
// allows one.
func (q *progressQueue) finish(i int, p codearts.Progress, err error, took time.Duration) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.active--
	q.inFlight[i] = false
	if q.closed {
		return // the answer left without it
	}
	q.results[i] = result{progress: p, err: err, duration: q.results[i].duration + took}
	q.final[i] = true
	if err != nil && q.retryable(i, err, took) {
		pause := time.Duration(0)
		if !api.Throttled(err) {
			pause = codearts.RetryDelay(q.attempts[i])
		}
		q.left--
		q.final[i] = false
		r := pendingRetry{task: i, notBefore: time.Now().Add(pause)}
		n, _ := slices.BinarySearchFunc(q.retries, r, func(a, b pendingRetry) int { return a.notBefore.Compare(b.notBefore) })
		q.retries = slices.Insert(q.retries, n, r)
	}
	if len(q.retries) > 0 || q.active == 0 {
		// Waiting workers look again: at the new retry, or to end.
		close(q.wake)
		q.wake = make(chan struct{})
	}
}

// retryable reports whether task i, whose attempt failed with err after
// took, gets another attempt in this collection. q.mu is held.
func (q *progressQueue) retryable(i int, err error, took time.Duration) bool {
	if q.left <= 0 || q.attempts[i] >= codearts.MaxAttempts() || !codearts.Retryable(err) || q.ctx.Err() != nil {
		return false
	}
	if deadline, ok := q.ctx.Deadline(); ok {
		pause := time.Duration(0)
		if !api.Throttled(err) {
			// The longest the jittered pause can be.
			pause = codearts.RetryDelay(q.attempts[i]) * 3 / 2
		}
		if time.Until(deadline) < pause+took {
			return false
		}
	}
	return true
}

// close stops the queue and returns the results: a task that was never
// queried has ctx's error, one still in flight errLate, one whose retry
// never came the error of its last attempt.
func (q *progressQueue) close() []result {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closed = true
	close(q.wake)
	err := q.ctx.Err()
	if err == nil {
		err = context.DeadlineExceeded
	}
	for i := range q.results {
		switch {
		case q.final[i]:
		case q.inFlight[i]:
			q.results[i] = result{err: errLate, duration: q.results[i].duration}
		case q.attempts[i] == 0:
			q.results[i] = result{err: err}
		}
	}
	return q.results
}

// isLate reports whether err is errLate.
func isLate(err error) bool { return errors.Is(err, errLate) }
