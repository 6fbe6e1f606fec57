package simulator

import (
	"maps"
	"net/http"
	"strings"
)

// The request headers CodeArts Check reads besides the credentials, and
// the language of its texts. The service reads X-Language (en-us or
// zh-cn; without it, Chinese) for error_msg and progress.info; the SDK
// sends Content-Type: application/json on its GETs. The simulator records
// what every call sent, so that tests can assert the exporter's headers,
// and answers its errors in English only when asked to, as the service
// does where the reference gives both wordings.

// Call names of RequestHeaders, one per API the simulator serves.
const (
	CallIAMToken         = "iam_token"
	CallProjects         = "projects"
	CallProgress         = "progress"
	CallTaskList         = "task_list"
	CallDefectsStatistic = "defects_statistic"
	CallDefectsSummary   = "defects_summary"
	CallOther            = "other"
)

// RequestHeaders is what one kind of call sent: how many calls sent each
// X-Language, Content-Type and User-Agent value ("" for none).
type RequestHeaders struct {
	Language    map[string]int
	ContentType map[string]int
	UserAgent   map[string]int
}

// headerStats are the counters behind RequestHeaders, by call name,
// guarded by Server.mu. Values are cut to 64 bytes so that a client
// sending junk cannot grow them much.
type headerStats map[string]*RequestHeaders

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

// recordHeaders counts r's X-Language, Content-Type and User-Agent under
// its call.
func (s *Server) recordHeaders(r *http.Request, call string) {
	cut := func(v string) string { return v[:min(len(v), 64)] }
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.st.headers == nil {
		s.st.headers = headerStats{}
	}
	h := s.st.headers[call]
	if h == nil {
		h = &RequestHeaders{Language: map[string]int{}, ContentType: map[string]int{}, UserAgent: map[string]int{}}
		s.st.headers[call] = h
	}
	h.Language[cut(r.Header.Get("X-Language"))]++
	h.ContentType[cut(r.Header.Get("Content-Type"))]++
	h.UserAgent[cut(r.Header.Get("User-Agent"))]++
}

// callName names the API that method and the escaped path call.
func callName(method, path string) string {
	switch {
	case path == tokenPath:
		return CallIAMToken
	case path == projectsPath:
		return CallProjects
	case method != http.MethodGet:
		return CallOther
	case strings.HasSuffix(path, progressSuffix) && strings.HasPrefix(path, progressPrefix):
		return CallProgress
	case strings.HasSuffix(path, "/defects-statistic"):
		return CallDefectsStatistic
	case strings.HasSuffix(path, "/defects-summary"):
		return CallDefectsSummary
	}
	if _, ok := parseTaskListPath(path); ok {
		return CallTaskList
	}
	return CallOther
}

// english reports whether r asked for English texts.
func english(r *http.Request) bool {
	return strings.EqualFold(strings.TrimSpace(r.Header.Get("X-Language")), "en-us")
}

// text is zh, or en when r asked for English.
func text(r *http.Request, zh, en string) string {
	if r != nil && english(r) {
		return en
	}
	return zh
}
