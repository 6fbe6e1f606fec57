package collector

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/codearts-check-exporter/codearts_check_exporter/internal/api"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/codearts"
)

// The executor runs a collection's calls, nothing else: progress queries,
// listings and report reads alike, with at most cfg.Concurrency in flight.
// Each worker takes the next call as soon as its last one is done, so one
// slow task holds up one worker, not a batch. Pacing is the process's one
// rate limit (api.RateLimit, inside every call) and the deadline. Healthy
// tasks come first:
//
//   - every first attempt goes before any retry: a worker takes a retry only
//     when no first attempt is left;
//   - retry decides, in one place, whether a failed call goes again: only a
//     progress query, with a failure that may succeed if made again
//     (codearts.Retryable), within the collection's cap (retryLimit) and
//     while the deadline leaves room for its pause plus a call as long as
//     the last one took. The task goes back in the queue with a not-before
//     time instead of holding a worker during the pause; a throttle
//     (api.Throttled) comes back with no pause of its own, because the rate
//     limit has slowed every call down already.
//
// A finished call may queue more calls (then): the progress queries of the
// tasks a listing did not answer go in the same run, behind what is queued.
//
// The answer leaves at the deadline: run waits for its workers at most
// lateGrace past ctx's end, and a call still in flight then has outcome
// errLate. It was sent, and api.Caller counts it when it ends.

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

// callKind says what a call asks.
type callKind uint8

const (
	progressCall callKind = iota // a task's progress
	listingCall                  // a project's task list (change detection)
	reportCall                   // a task's report: defects statistic, then summary
	historyCall                  // a task's check history (history.go)
)

// call is one thing the executor does.
type call struct {
	kind    callKind
	task    int    // index into the collection's tasks (progress, report)
	id      string // its ID
	project string // listingCall
}

// outcome is what a call came back with.
type outcome struct {
	progress codearts.Progress
	listing  codearts.Listing
	report   codearts.Report
	history  codearts.CheckHistory
	err      error
	asked    bool          // report: its first call was sent
	sentAt   time.Time     // on the real clock, when its last attempt started
	took     time.Duration // retries included
}

// job is a call in a run, with its bookkeeping.
type job struct {
	call
	out       outcome
	attempts  int
	done      bool // out is the call's last word in this run
	inFlight  bool
	notBefore time.Time // of a pending retry
}

// runner is the state of one run, guarded by mu.
type runner struct {
	ctx  context.Context
	do   func(ctx context.Context, c call) outcome
	then func(c call, o outcome) []call // may be nil

	mu      sync.Mutex
	jobs    []*job
	next    int    // the next first attempt
	retries []*job // by notBefore
	left    *int   // retries the collection may still make
	active  int
	closed  bool
	wake    chan struct{} // closed (and replaced) when a waiting worker should look again
	// waited says a worker holds wake: finish replaces it only then, not
	// after every call.
	waited bool
}

// execute runs calls with at most workers in flight, retries drawn from
// *retriesLeft, and returns the outcome of every call it ran, in the order
// they were queued (calls, then what then added).
func (s *Scraper) execute(ctx context.Context, calls []call, workers int, retriesLeft *int,
	do func(context.Context, call) outcome, then func(call, outcome) []call) []*job {
	r := &runner{ctx: ctx, do: do, then: then, left: retriesLeft, wake: make(chan struct{})}
	jobs := make([]job, len(calls)) // one allocation, not one per call
	r.jobs = make([]*job, len(calls))
	for i, c := range calls {
		jobs[i].call = c
		r.jobs[i] = &jobs[i]
	}
	var wg sync.WaitGroup
	for range min(workers, len(calls)) {
		wg.Add(1)
		s.workers.Add(1)
		go func() {
			defer s.workers.Done()
			defer wg.Done()
			r.work(s)
		}()
	}
	waitWorkers(ctx, &wg)
	return r.close()
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
func (r *runner) work(s *Scraper) {
	for {
		j, wait, d, ok := r.take()
		if !ok {
			return
		}
		if j == nil {
			r.sleep(wait, d)
			continue
		}
		start := time.Now()
		o := r.do(r.ctx, j.call)
		o.sentAt, o.took = start, time.Since(start)
		if hook := s.testHookAfterCall; hook != nil {
			hook(j.call)
		}
		r.finish(j, o)
	}
}

// take returns the next job; or, when none is ready yet, nil, a channel
// that says to look again and how long to wait at most (0: no limit); or ok
// false when the worker is done.
func (r *runner) take() (j *job, wake <-chan struct{}, d time.Duration, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed || r.ctx.Err() != nil {
		return nil, nil, 0, false
	}
	if r.next < len(r.jobs) {
		j = r.jobs[r.next]
		r.next++
		r.start(j)
		return j, nil, 0, true
	}
	if len(r.retries) > 0 {
		head := r.retries[0]
		if d = time.Until(head.notBefore); d <= 0 {
			r.retries = r.retries[1:]
			r.start(head)
			return head, nil, 0, true
		}
		r.waited = true
		return nil, r.wake, d, true
	}
	if r.active > 0 {
		r.waited = true
		return nil, r.wake, 0, true // a call in flight may queue more
	}
	return nil, nil, 0, false
}

// sleep waits until wake is closed, d has passed (0: no limit) or ctx ends.
func (r *runner) sleep(wake <-chan struct{}, d time.Duration) {
	var timer <-chan time.Time
	if d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		timer = t.C
	}
	select {
	case <-wake:
	case <-timer:
	case <-r.ctx.Done():
	}
}

// start notes j as in flight. r.mu is held.
func (r *runner) start(j *job) {
	r.active++
	j.attempts++
	j.inFlight = true
}

// finish records an attempt's outcome, queues a retry if retry allows one,
// and the calls then adds.
func (r *runner) finish(j *job, o outcome) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.active--
	j.inFlight = false
	if r.closed {
		return // the answer left without it
	}
	o.took += j.out.took
	j.out, j.done = o, true
	if pause, again := r.retry(j, o.err, o.took); again {
		*r.left--
		j.done = false
		j.notBefore = time.Now().Add(pause)
		n, _ := slices.BinarySearchFunc(r.retries, j, func(a, b *job) int { return a.notBefore.Compare(b.notBefore) })
		r.retries = slices.Insert(r.retries, n, j)
	} else if r.then != nil {
		for _, c := range r.then(j.call, o) {
			r.jobs = append(r.jobs, &job{call: c})
		}
	}
	// Waiting workers look again: at new work, or to end.
	if r.waited {
		close(r.wake)
		r.wake, r.waited = make(chan struct{}), false
	}
}

// retry decides whether j, whose attempt failed with err after took, goes
// again in this run, and after what pause. r.mu is held.
func (r *runner) retry(j *job, err error, took time.Duration) (time.Duration, bool) {
	if err == nil || j.kind != progressCall || *r.left <= 0 || j.attempts >= codearts.MaxAttempts() ||
		!codearts.Retryable(err) || r.ctx.Err() != nil {
		return 0, false
	}
	pause, longest := time.Duration(0), time.Duration(0)
	if !api.Throttled(err) {
		pause = codearts.RetryDelay(j.attempts)
		longest = pause * 3 / 2 // the longest the jittered pause can be
	}
	if deadline, ok := r.ctx.Deadline(); ok && time.Until(deadline) < longest+took {
		return 0, false
	}
	return pause, true
}

// close stops the run and returns its jobs: a call never started has
// errUnqueried (progress) or errNotStarted; one still in flight errLate;
// one whose retry never came the error of its last attempt.
func (r *runner) close() []*job {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	close(r.wake)
	for _, j := range r.jobs {
		switch {
		case j.done:
		case j.inFlight && (j.kind == reportCall || j.kind == historyCall):
			j.out = outcome{err: errNotStarted} // its values would come too late to use
		case j.inFlight:
			j.out = outcome{err: errLate, took: j.out.took}
		case j.attempts == 0 && j.kind == progressCall:
			j.out = outcome{err: unqueried(r.ctx.Err())}
		case j.attempts == 0:
			j.out = outcome{err: errNotStarted}
		}
	}
	return r.jobs
}
