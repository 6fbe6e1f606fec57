package collector

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/codearts-check-exporter/codearts_check_exporter/internal/api"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/codearts"
)

// The executor runs a collection's calls with at most concurrency in
// flight; each worker takes the next call as soon as its last one is done,
// so one slow task holds up one worker, not a batch. Pacing is the one rate
// limit (api.RateLimit, inside every call) and the deadline. Every first
// attempt goes before any retry, so that tasks that fail on every call do
// not take the places healthy tasks need. A retry waits in the queue for
// its pause rather than holding a worker. A finished call may queue more
// (then): the progress queries of the tasks a listing did not answer.
//
// The answer leaves at the deadline: the run waits lateGrace past it for
// calls the deadline just cancelled, so that they are counted in their
// scrape; one still in flight then is errLate, which api.Caller counts.

// lateGrace is how long past the deadline the run waits for its calls.
const lateGrace = 50 * time.Millisecond

// retryLimit is how many retries a collection of n tasks may make: one per
// ten tasks, but at least 5, so that a small task set rides out a moment
// of trouble.
func retryLimit(n int) int { return max(5, n/10) }

type callKind uint8

const (
	progressCall callKind = iota
	listingCall           // a project's task list (change detection)
	reportCall            // defects statistic, then summary (reports.go)
	historyCall           // a task's check history (history.go)
)

// call is one thing the executor does.
type call struct {
	kind    callKind
	task    int    // index into the collection's tasks (not listingCall)
	id      string // its ID
	project string // listingCall
}

// outcome is what a call came back with.
type outcome struct {
	progress  codearts.Progress
	listing   codearts.Listing
	report    codearts.Report
	history   codearts.CheckHistory
	err       error
	asked     bool          // report: its first call was sent
	byListing bool          // progress: its project's listing answered it instead
	sentAt    time.Time     // on the real clock, when its last attempt started
	took      time.Duration // retries included
}

// job is a call in a run.
type job struct {
	call
	out       outcome
	attempts  int
	inFlight  bool
	notBefore time.Time // of a pending retry
}

// runner is one run, guarded by mu; cond wakes workers waiting for work.
type runner struct {
	ctx     context.Context
	do      func(ctx context.Context, c call) outcome
	then    func(c call, o outcome) []call // may be nil
	mu      sync.Mutex
	cond    sync.Cond
	jobs    []*job
	next    int    // the next first attempt
	retries []*job // by notBefore
	left    *int   // retries the collection may still make
	active  int
	closed  bool
}

// execute runs calls with at most workers in flight, retries drawn from
// *retriesLeft, and returns every job, in the order queued.
func (s *Scraper) execute(ctx context.Context, calls []call, workers int, retriesLeft *int,
	do func(context.Context, call) outcome, then func(call, outcome) []call) []*job {
	r := &runner{ctx: ctx, do: do, then: then, left: retriesLeft}
	r.cond.L = &r.mu
	jobs := make([]job, len(calls)) // one allocation, not one per call
	r.jobs = make([]*job, len(calls))
	for i, c := range calls {
		jobs[i].call = c
		r.jobs[i] = &jobs[i]
	}
	defer context.AfterFunc(ctx, r.wake)()
	var wg sync.WaitGroup
	for range min(workers, len(calls)) {
		wg.Add(1)
		s.workers.Add(1)
		go func() {
			defer s.workers.Done()
			defer wg.Done()
			for j := r.take(); j != nil; j = r.take() {
				start := time.Now()
				o := r.do(r.ctx, j.call)
				o.sentAt, o.took = start, time.Since(start)
				if hook := s.testHookAfterCall; hook != nil {
					hook(j.call)
				}
				r.finish(j, o)
			}
		}()
	}
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		select {
		case <-done:
		case <-time.After(lateGrace):
		}
	}
	return r.close()
}

func (r *runner) wake() {
	r.mu.Lock()
	r.cond.Broadcast()
	r.mu.Unlock()
}

// take waits for the next job: a first attempt, else a retry whose pause is
// over; nil when nothing is left, nor in flight to queue more.
func (r *runner) take() *job {
	r.mu.Lock()
	defer r.mu.Unlock()
	for !r.closed && r.ctx.Err() == nil {
		var j *job
		switch {
		case r.next < len(r.jobs):
			j = r.jobs[r.next]
			r.next++
		case len(r.retries) > 0 && !time.Now().Before(r.retries[0].notBefore):
			j, r.retries = r.retries[0], r.retries[1:]
		case len(r.retries) == 0 && r.active == 0:
			return nil
		default:
			r.cond.Wait()
			continue
		}
		r.active++
		j.attempts++
		j.inFlight = true
		return j
	}
	return nil
}

// finish records an attempt's outcome, and queues its retry or the calls
// then adds.
func (r *runner) finish(j *job, o outcome) {
	r.mu.Lock()
	defer r.mu.Unlock()
	defer r.cond.Broadcast()
	r.active--
	j.inFlight = false
	if r.closed {
		return // the answer left without it
	}
	o.took += j.out.took
	j.out = o
	if pause, again := r.retry(j, o.err, o.took); again {
		*r.left--
		j.notBefore = time.Now().Add(pause)
		n, _ := slices.BinarySearchFunc(r.retries, j, func(a, b *job) int { return a.notBefore.Compare(b.notBefore) })
		r.retries = slices.Insert(r.retries, n, j)
		time.AfterFunc(pause, r.wake)
	} else if r.then != nil {
		for _, c := range r.then(j.call, o) {
			r.jobs = append(r.jobs, &job{call: c})
		}
	}
}

// retry is the one place that decides whether a failed call goes again,
// and after what pause: only a progress query, with a failure that may
// succeed if made again, within the collection's cap, and while the
// deadline leaves room for the pause plus a call as long as the last. A
// throttle has no pause of its own: the rate limit slowed every call.
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
// errUnqueried (progress) or errNotStarted; a report or history read still
// in flight errNotStarted (its values would come too late); another call
// in flight errLate; a retry that never came its last attempt's error.
func (r *runner) close() []*job {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	r.cond.Broadcast()
	for _, j := range r.jobs {
		switch {
		case j.inFlight && (j.kind == reportCall || j.kind == historyCall):
			j.out = outcome{err: errNotStarted}
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
