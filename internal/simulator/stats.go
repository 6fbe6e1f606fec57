package simulator

import (
	"maps"
	"net/http"
	"net/url"
)

// Request counters, which tests read to assert what the exporter sent:
// how often, how many at once, and with which path, query and headers.

// stats are the counters behind the accessors below, guarded by Server.mu.
type stats struct {
	iamRequests       int
	progressRequests  int
	taskRequests      map[string]int // progress, by task ID
	inFlight          int            // progress
	maxInFlight       int
	lastQuery         map[string]url.Values
	lastRawPath       map[string]string
	listRequests      map[string]int // task list, by project ID
	reportRequests    map[string]int // both report calls, by task ID
	recordRequests    map[string]int // CheckRecord, by task ID
	recordQuery       map[string]url.Values
	projectRequests   int
	lastProjectName   string
	lastProjectHeader bool // the last project query carried X-Project-Id
	signedRequests    int  // requests that passed the AK/SK check
	signatureFailures int  // requests refused by it
	lastSignedHeaders []string
	headers           map[string]*RequestHeaders // by call name
}

func newStats() stats {
	return stats{
		taskRequests:   map[string]int{},
		lastQuery:      map[string]url.Values{},
		lastRawPath:    map[string]string{},
		listRequests:   map[string]int{},
		reportRequests: map[string]int{},
		recordRequests: map[string]int{},
		recordQuery:    map[string]url.Values{},
		headers:        map[string]*RequestHeaders{},
	}
}

// arrive counts a request as it arrives; call and key are its
// fakecloud.Route.
func (s *Server) arrive(r *http.Request, call, key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.countHeaders(r, call)
	switch call {
	case CallIAMToken:
		s.st.iamRequests++
	case CallProjects:
		s.st.projectRequests++
	case CallProgress:
		s.st.progressRequests++
		s.st.taskRequests[key]++
		s.st.lastQuery[key] = cloneValues(r.URL.Query())
		s.st.lastRawPath[key] = r.URL.EscapedPath()
		s.st.inFlight++
		s.st.maxInFlight = max(s.st.maxInFlight, s.st.inFlight)
	case CallTaskList:
		s.st.listRequests[key]++
	case CallDefectsStatistic, CallDefectsSummary:
		s.st.reportRequests[key]++
	case CallCheckRecord:
		s.st.recordRequests[key]++
		s.st.recordQuery[key] = cloneValues(r.URL.Query())
	}
}

// leave counts a request's end.
func (s *Server) leave(call string) {
	if call != CallProgress {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.inFlight--
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

// TaskListRequests reports how many task list requests named projectID
// (any outcome), or named any project when projectID is "". ResetStats
// leaves them alone.
func (s *Server) TaskListRequests(projectID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return countOf(s.st.listRequests, projectID)
}

// CheckRecordRequests reports how many CheckRecord requests named taskID
// (any outcome), or any task when taskID is "".
func (s *Server) CheckRecordRequests(taskID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return countOf(s.st.recordRequests, taskID)
}

// LastCheckRecordQuery is the query of the last CheckRecord request that
// named taskID, nil when none did.
func (s *Server) LastCheckRecordQuery(taskID string) url.Values {
	s.mu.Lock()
	defer s.mu.Unlock()
	return cloneValues(s.st.recordQuery[taskID])
}

// ReportRequests reports how many report calls (both kinds, any outcome)
// named taskID, or all tasks together when taskID is "".
func (s *Server) ReportRequests(taskID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return countOf(s.st.reportRequests, taskID)
}

// countOf is counts[key], or the sum of counts when key is "".
func countOf(counts map[string]int, key string) int {
	if key != "" {
		return counts[key]
	}
	n := 0
	for _, c := range counts {
		n += c
	}
	return n
}

// ProjectRequests reports how many project-list requests arrived (any
// outcome).
func (s *Server) ProjectRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.projectRequests
}

// LastProjectQuery returns the name asked for by the last project-list
// request that passed the credentials check, and whether it carried
// X-Project-Id (the SDK's lookup does not).
func (s *Server) LastProjectQuery() (name string, withProjectHeader bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.lastProjectName, s.st.lastProjectHeader
}

func (s *Server) recordProjectQuery(r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.lastProjectName = r.URL.Query().Get("name")
	s.st.lastProjectHeader = r.Header.Get("X-Project-Id") != ""
}

// SignedRequests reports how many signed requests passed the check.
func (s *Server) SignedRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.signedRequests
}

// SignatureFailures reports how many signed requests were refused.
func (s *Server) SignatureFailures() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.signatureFailures
}

// LastSignedHeaders returns the SignedHeaders list of the last signed
// request that passed the check.
func (s *Server) LastSignedHeaders() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.st.lastSignedHeaders...)
}

// recordSignature is fakecloud's Hooks.Signed.
func (s *Server) recordSignature(signed []string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !ok {
		s.st.signatureFailures++
		return
	}
	s.st.signedRequests++
	s.st.lastSignedHeaders = signed
}

// RequestHeaders is what one kind of call sent: how many calls sent each
// X-Language, Content-Type and User-Agent value ("" for none).
type RequestHeaders struct {
	Language    map[string]int
	ContentType map[string]int
	UserAgent   map[string]int
}

// RequestHeaders returns a copy of what the calls named call (CallProgress,
// ...) sent since New or ResetStats.
func (s *Server) RequestHeaders(call string) RequestHeaders {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := RequestHeaders{Language: map[string]int{}, ContentType: map[string]int{}, UserAgent: map[string]int{}}
	if h := s.st.headers[call]; h != nil {
		maps.Copy(out.Language, h.Language)
		maps.Copy(out.ContentType, h.ContentType)
		maps.Copy(out.UserAgent, h.UserAgent)
	}
	return out
}

// countHeaders counts r's X-Language, Content-Type and User-Agent under
// its call ("" = CallOther). Values are cut to 64 bytes so that a client
// sending junk cannot grow them much. s.mu is held.
func (s *Server) countHeaders(r *http.Request, call string) {
	if call == "" {
		call = CallOther
	}
	cut := func(v string) string { return v[:min(len(v), 64)] }
	h := s.st.headers[call]
	if h == nil {
		h = &RequestHeaders{Language: map[string]int{}, ContentType: map[string]int{}, UserAgent: map[string]int{}}
		s.st.headers[call] = h
	}
	h.Language[cut(r.Header.Get("X-Language"))]++
	h.ContentType[cut(r.Header.Get("Content-Type"))]++
	h.UserAgent[cut(r.Header.Get("User-Agent"))]++
}

// ResetStats zeroes every counter but TaskListRequests and the AK/SK
// check's. Requests still in flight keep counting in InFlight, so
// MaxInFlight restarts from the current InFlight, not 0.
func (s *Server) ResetStats() {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.st
	s.st = newStats()
	s.st.inFlight, s.st.maxInFlight = old.inFlight, old.inFlight
	s.st.listRequests = old.listRequests
	s.st.signedRequests, s.st.signatureFailures, s.st.lastSignedHeaders = old.signedRequests, old.signatureFailures, old.lastSignedHeaders
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}
