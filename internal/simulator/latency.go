package simulator

import (
	"net/http"
	"time"
)

// Latency of progress answers: how a slow service looks to the exporter.

// SetLatency adds d before every normal progress answer (all tasks). It adds
// up with SetTaskLatency. d <= 0 removes it.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = max(d, 0)
}

// SetTaskLatency adds d before every normal progress answer for taskID, on
// top of SetLatency. d <= 0 removes it.
func (s *Server) SetTaskLatency(taskID string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d <= 0 {
		delete(s.taskLatency, taskID)
		return
	}
	s.taskLatency[taskID] = d
}

func (s *Server) latencyFor(taskID string) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.latency + s.taskLatency[taskID]
}

// wait sleeps for d. It reports false if r's client gave up first (so the
// caller must not answer) and true otherwise; Close cuts the wait short so
// that shutdown never waits for a long latency.
func (s *Server) wait(r *http.Request, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-s.closed:
		return true
	case <-r.Context().Done():
		return false
	}
}
