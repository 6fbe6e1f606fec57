package collector

import (
	"context"
	"sync"
	"time"

	"github.com/codearts-check-exporter/codearts_check_exporter/config"
)

// Scrapes share collections (Scraper.shared) so that an HA pair of
// Prometheus servers does not double the API calls for the same answers.

// collection is one run of Scraper.collect and the snapshot it produced.
type collection struct {
	cfg      *config.Config // in force when it started; a reload invalidates reuse
	start    time.Time
	deadline time.Time // zero: none
	cancel   context.CancelFunc
	done     chan struct{}
	snap     *snapshot // valid once done is closed; read-only
	joined   int       // scrapes served by it besides the one that started it; guarded by share.mu
}

type share struct {
	mu       sync.Mutex
	inFlight *collection // nil when no collection is running
	last     *collection // the last finished collection, until the next one starts
}

// shared returns the snapshot a scrape bound by ctx serves: that of the
// collection in flight, of a recent enough one, or of a new one.
func (c *Scraper) shared(ctx context.Context) *snapshot {
	cfg := c.config()
	s := &c.share
	s.mu.Lock()
	now := c.now()
	if last := s.last; last != nil && cfg != nil && last.cfg == cfg && now.Sub(last.start) < time.Duration(cfg.MinInterval) {
		last.joined++
		s.mu.Unlock()
		return last.snap
	}
	col := s.inFlight
	if col != nil {
		col.joined++
	} else {
		col = &collection{cfg: cfg, start: now, done: make(chan struct{})}
		// The collection serves every scrape that joins it: the one that
		// started it going away must not cancel it, but its deadline holds.
		runCtx := context.WithoutCancel(ctx)
		if deadline, ok := ctx.Deadline(); ok {
			col.deadline = deadline
			runCtx, col.cancel = context.WithDeadline(runCtx, deadline)
		} else {
			runCtx, col.cancel = context.WithCancel(runCtx)
		}
		// Only min_interval reuses the last snapshot, which a new
		// collection rules out: no need to hold two at once.
		s.inFlight, s.last = col, nil
		go func() {
			start := time.Now()
			col.snap = c.collect(runCtx)
			col.snap.duration = time.Since(start).Seconds()
			col.cancel()
			s.mu.Lock()
			s.inFlight, s.last = nil, col
			s.mu.Unlock()
			close(col.done)
		}()
	}
	s.mu.Unlock()

	// A scrape whose deadline is not before the collection's waits for it,
	// which ends at its deadline plus the moments rows take. One with an
	// earlier deadline answers on time with codearts_check_up 0 and no task
	// series: better a visible gap than a scrape Prometheus gives up on.
	deadline, hasDeadline := ctx.Deadline()
	if !col.deadline.IsZero() && (!hasDeadline || !deadline.Before(col.deadline)) {
		<-col.done
		return col.snap
	}
	select {
	case <-col.done:
		return col.snap
	case <-ctx.Done():
	}
	c.logger.Debug("scrape deadline ended before the shared collection it joined; serving up 0")
	return &snapshot{noCollection: true}
}
