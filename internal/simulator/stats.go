package simulator

import "net/url"

// Request counters, which tests read to assert what the exporter sent:
// how often, how many at once, and with which path and query.

// stats are the counters behind the accessors below, guarded by Server.mu.
type stats struct {
	iamRequests      int
	progressRequests int
	taskRequests     map[string]int
	inFlight         int
	maxInFlight      int
	lastQuery        map[string]url.Values
	lastRawPath      map[string]string
	projects         projectStats
	headers          headerStats // language.go
}

func newStats() stats {
	return stats{
		taskRequests: map[string]int{},
		lastQuery:    map[string]url.Values{},
		lastRawPath:  map[string]string{},
	}
}

// IAMRequests reports how many token requests arrived (any outcome).
func (s *Server) IAMRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.iamRequests
}

// ProgressRequests reports how many progress requests arrived (any outcome).
func (s *Server) ProgressRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.progressRequests
}

// TaskRequests reports how many progress requests named taskID (any outcome,
// including unknown tasks and rejected credentials).
func (s *Server) TaskRequests(taskID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.taskRequests[taskID]
}

// InFlight reports how many progress requests are being served right now.
func (s *Server) InFlight() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.inFlight
}

// MaxInFlight reports the highest InFlight seen since New or ResetStats, so
// tests can assert the exporter's concurrency limit.
func (s *Server) MaxInFlight() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.maxInFlight
}

// LastQuery returns a copy of the query of the last progress request for
// taskID, or nil if there was none.
func (s *Server) LastQuery(taskID string) url.Values {
	s.mu.Lock()
	defer s.mu.Unlock()
	q, ok := s.st.lastQuery[taskID]
	if !ok {
		return nil
	}
	return cloneValues(q)
}

// LastRawPath returns the escaped path (as sent on the wire) of the last
// progress request for taskID, or "" if there was none.
func (s *Server) LastRawPath(taskID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.lastRawPath[taskID]
}

// ResetStats zeroes every counter. Requests still in flight keep counting
// in InFlight, so MaxInFlight restarts from the current InFlight, not 0.
func (s *Server) ResetStats() {
	s.mu.Lock()
	defer s.mu.Unlock()
	inFlight := s.st.inFlight
	s.st = newStats()
	s.reports.requests = nil
	s.st.inFlight = inFlight
	s.st.maxInFlight = inFlight
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}
