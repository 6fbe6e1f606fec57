package collector

import (
	"context"
	"slices"
	"time"

	"github.com/codearts-check-exporter/codearts_check_exporter/internal/api"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/codearts"
)

// lateGrace is how long past the deadline a run waits for the calls it just
// cancelled, so that they are counted in their scrape; one still in flight
// then is errLate, which api.Caller counts when it ends.
const lateGrace = 50 * time.Millisecond

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

// job is a call in a run. Only execute's own goroutine touches it, but for
// call, which its workers read.
type job struct {
	call
	out       outcome
	attempts  int
	inFlight  bool
	notBefore time.Time // of a pending retry
}

// execute runs calls with at most workers in flight, the next as soon as one
// is done, retries drawn from *left, and returns every job, in the order
// queued; a finished call may queue more (then). Pacing is the rate limit
// (inside every call) and the deadline. Every first attempt goes before any
// retry, so that tasks failing every call do not take healthy tasks'
// places; a retry waits out its pause in the queue, not in a worker. This
// goroutine alone decides what starts, and hands it to the workers.
func (s *Scraper) execute(ctx context.Context, calls []call, workers int, left *int,
	do func(context.Context, call) outcome, then func(call, outcome) []call) []*job {
	all := make([]job, len(calls)) // one allocation, not one per call
	jobs := make([]*job, len(calls))
	for i, c := range calls {
		all[i].call = c
		jobs[i] = &all[i]
	}
	type done struct {
		j *job
		o outcome
	}
	// Both as wide as the concurrency, which bounds what is in them: no
	// send blocks, not even a late call's after the run ended. A run whose
	// calls queue more (a listing's fallback to progress) keeps every
	// worker: its first calls say nothing of how many follow.
	if then == nil {
		workers = min(workers, len(calls))
	}
	work, finished := make(chan *job, workers), make(chan done, workers)
	defer close(work)
	for range workers {
		s.workers.Add(1)
		go func() {
			defer s.workers.Done()
			for j := range work {
				start := time.Now()
				o := do(ctx, j.call)
				o.sentAt, o.took = start, time.Since(start)
				if hook := s.testHookAfterCall; hook != nil {
					hook(j.call)
				}
				finished <- done{j, o}
			}
		}()
	}
	var retries []*job // by notBefore
	next, active := 0, 0
	finish := func(j *job, o outcome) {
		j.inFlight = false
		o.took += j.out.took
		j.out = o
		if pause, again := retry(ctx, j, *left); again {
			*left--
			j.notBefore = time.Now().Add(pause)
			n, _ := slices.BinarySearchFunc(retries, j, func(a, b *job) int { return a.notBefore.Compare(b.notBefore) })
			retries = slices.Insert(retries, n, j)
		} else if then != nil {
			for _, c := range then(j.call, o) {
				jobs = append(jobs, &job{call: c})
			}
		}
	}
	ctxDone, grace := ctx.Done(), (<-chan time.Time)(nil)
	for {
		for active < workers && ctx.Err() == nil {
			var j *job
			if next < len(jobs) {
				j, next = jobs[next], next+1
			} else if len(retries) > 0 && !time.Now().Before(retries[0].notBefore) {
				j, retries = retries[0], retries[1:]
			} else {
				break
			}
			active, j.attempts, j.inFlight = active+1, j.attempts+1, true
			work <- j
		}
		if active == 0 && (ctx.Err() != nil || next == len(jobs) && len(retries) == 0) {
			break
		}
		var wake <-chan time.Time
		if len(retries) > 0 && active < workers && ctx.Err() == nil {
			wake = time.After(time.Until(retries[0].notBefore))
		}
		select {
		case d := <-finished:
			active--
			finish(d.j, d.o)
		case <-wake:
		case <-ctxDone:
			ctxDone, grace = nil, time.After(lateGrace)
		case <-grace:
			for len(finished) > 0 { // back in time, though the timer won the select
				d := <-finished
				finish(d.j, d.o)
			}
			return closeRun(ctx, jobs)
		}
	}
	return closeRun(ctx, jobs)
}

// retry is the one place that decides whether a failed call goes again,
// and after what pause: only a progress query, with a failure that may
// succeed if made again, within the collection's cap (left), and while the
// deadline leaves room for the pause plus a call as long as the last. A
// throttle has no pause of its own: the rate limit slowed every call.
func retry(ctx context.Context, j *job, left int) (time.Duration, bool) {
	err := j.out.err
	if err == nil || j.kind != progressCall || left <= 0 || j.attempts >= codearts.MaxAttempts() ||
		!codearts.Retryable(err) || ctx.Err() != nil {
		return 0, false
	}
	pause, longest := time.Duration(0), time.Duration(0)
	if !api.Throttled(err) {
		pause = codearts.RetryDelay(j.attempts)
		longest = pause * 3 / 2 // the longest the jittered pause can be
	}
	if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < longest+j.out.took {
		return 0, false
	}
	return pause, true
}

// closeRun ends a run: a call never started is unqueried (progress) or has
// errNotStarted; a report or history read still in flight errNotStarted
// (its values would come too late); another call in flight errLate; a
// retry that never came its last attempt's error.
func closeRun(ctx context.Context, jobs []*job) []*job {
	for _, j := range jobs {
		switch {
		case j.inFlight && (j.kind == progressCall || j.kind == listingCall):
			j.out = outcome{err: errLate, took: j.out.took}
		case j.attempts == 0 && j.kind == progressCall:
			j.out = outcome{err: unqueried(ctx.Err())}
		case j.inFlight || j.attempts == 0:
			j.out = outcome{err: errNotStarted}
		}
	}
	return jobs
}
