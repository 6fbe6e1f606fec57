package fakecloud

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Defaults used by Options zero values and by the demo.
const (
	DefaultDomain    = "demo-domain"
	DefaultUser      = "demo-user"
	DefaultPassword  = "demo-password"
	DefaultProject   = "cn-north-4"                       // IAM project name
	DefaultProjectID = "0123456789abcdef0123456789abcdef" // IAM project id (32 hex)
)

// defaultTokenTTL is how long IAM tokens live in production.
const defaultTokenTTL = 24 * time.Hour

// ContentTypeJSON is what both services put on JSON answers.
const ContentTypeJSON = "application/json;charset=UTF-8"

// User is an IAM user accepted by the token endpoint.
type User struct{ Domain, Name, Password string }

// Options configures New. The zero value is usable.
type Options struct {
	Users    []User           // accepted IAM users; empty = one user {DefaultDomain, DefaultUser, DefaultPassword}
	TokenTTL time.Duration    // lifetime of issued tokens; 0 = 24h
	Now      func() time.Time // clock; nil = time.Now
	Hooks    Hooks            // where a wrapper steps in; the zero value steps in nowhere
}

// Hooks let a wrapper (the tests' simulator) step into the requests the
// Server serves, at the points where the real service can fail or answer
// in another dialect. Every field may be nil.
type Hooks struct {
	// Intercept is called once a request is known to be answerable: after
	// the credentials check and the lookup of the task or project it names
	// (the token call: after the method check, before the body is read).
	// call is one of the Call names, key the task or project ID ("" for
	// IAM). It returns true when it answered the request itself (or the
	// client went away), false to let the Server answer.
	Intercept func(w http.ResponseWriter, r *http.Request, call, key string) bool
	// WriteError sends a CodeArts Check or API Gateway error; nil sends
	// it in the documented shape (Error.Write). IAM's errors are always
	// in theirs.
	WriteError func(w http.ResponseWriter, e *Error)
	// Progress may replace the body of a progress answer before it is sent.
	Progress func(b ProgressBody) any
	// Page may change a task list page before it is sent.
	Page func(projectID string, p *TaskPage)
	// Signed is told the outcome of every AK/SK signature check: the
	// signed header names of a request that passed, or ok false.
	Signed func(signedHeaders []string, ok bool)
}

// Task is the state of one CodeArts Check task as the progress call reports
// it. Pointer fields are pointers so that tests can ask for JSON null, which
// the real service sends for tasks that were never checked.
type Task struct {
	ID           string
	Name         string
	ProjectID    string // CodeArts project the task belongs to, whose task list includes it
	GitBranch    string
	Status       *int    // nil = JSON null ("never checked")
	Ratio        *string // nil = JSON null, e.g. "50%", "33.3%", " 7 %", "garbage"
	Info         *string // nil = JSON null
	NoProgress   bool    // omit the "progress" object entirely (wins over NullProgress)
	NullProgress bool    // send "progress": null
}

// IntPtr returns a pointer to v, for Task.Status.
func IntPtr(v int) *int { return &v }

// StrPtr returns a pointer to v, for Task.Ratio and Task.Info.
func StrPtr(v string) *string { return &v }

var _ http.Handler = (*Server)(nil)

// Server is the simulated IAM + CodeArts Check host. It implements
// http.Handler; create it with New or NewDemo.
type Server struct {
	now      func() time.Time
	tokenTTL time.Duration
	hooks    Hooks

	mu           sync.Mutex
	users        map[userKey]string      // (domain, name) -> password
	tokens       map[string]*tokenRecord // issued tokens by value
	tasks        map[string]Task         // static tasks by ID
	demo         map[string]demoTask     // clock-driven tasks by ID (NewDemo only)
	demoStart    time.Time
	demoRequests map[string]int   // progress requests by demo task ID (demo.go)
	aksk         akskState        // AK/SK signature check (aksk.go)
	lists        taskListState    // task list endpoint (tasklist.go)
	reports      reportState      // report calls (report.go)
	checks       checkState       // checks and last_check_time (checks.go)
	records      checkRecordState // CheckRecord (checkrecord.go)

	projects map[string][]string // IAM project IDs by name (projects.go)
}

// New returns a Server with no tasks.
func New(opts Options) *Server {
	s := &Server{
		now:          opts.Now,
		tokenTTL:     opts.TokenTTL,
		hooks:        opts.Hooks,
		users:        map[userKey]string{},
		tokens:       map[string]*tokenRecord{},
		tasks:        map[string]Task{},
		demo:         map[string]demoTask{},
		demoRequests: map[string]int{},
		projects:     map[string][]string{DefaultProject: {DefaultProjectID}},
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.tokenTTL <= 0 {
		s.tokenTTL = defaultTokenTTL
	}
	users := opts.Users
	if len(users) == 0 {
		users = []User{{DefaultDomain, DefaultUser, DefaultPassword}}
	}
	for _, u := range users {
		s.users[userKey{u.Domain, u.Name}] = u.Password
	}
	return s
}

// SetTask adds or replaces a task. Replacing a demo task freezes it at t.
func (s *Server) SetTask(t Task) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.demo, t.ID)
	delete(s.checks.queued, t.ID)
	s.tasks[t.ID] = t
}

// RemoveTask deletes a task; later progress calls for it answer CC.00050014.
func (s *Server) RemoveTask(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.demo, id)
	delete(s.checks.queued, id)
	delete(s.tasks, id)
}

// Task returns the task as a progress call would report it now (for demo
// tasks, the state computed from the clock).
func (s *Server) Task(id string) (Task, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lookupTask(id)
}

// lookupTask requires s.mu.
func (s *Server) lookupTask(id string) (Task, bool) {
	if d, ok := s.demo[id]; ok {
		return d.at(s.now().Sub(s.demoStart)), true
	}
	if q, ok := s.queuedState(id); ok {
		return q, true
	}
	t, ok := s.tasks[id]
	return t, ok
}

const (
	tokenPath      = "/v3/auth/tokens"
	progressPrefix = "/v2/tasks/"
	progressSuffix = "/progress"
)

// Route names the call a request makes (one of the Call names) and the
// task or project ID its path names, as ServeHTTP routes it; call is ""
// for a request answered 404 APIGW.0101 (an API that does not exist).
// escapedPath is the request's URL.EscapedPath.
func Route(method, escapedPath string) (call, key string) {
	if escapedPath == tokenPath {
		return CallIAMToken, ""
	}
	if method != http.MethodGet {
		return "", ""
	}
	if escapedPath == projectsPath {
		return CallProjects, ""
	}
	if id, ok := parseProgressPath(escapedPath); ok {
		return CallProgress, id
	}
	if id, ok := parseTaskListPath(escapedPath); ok {
		return CallTaskList, id
	}
	if id, ok := pathSegment(escapedPath, progressPrefix, "/defects-statistic"); ok {
		return CallDefectsStatistic, id
	}
	if id, ok := pathSegment(escapedPath, progressPrefix, "/defects-summary"); ok {
		return CallDefectsSummary, id
	}
	if _, id, ok := parseCheckRecordPath(escapedPath); ok {
		return CallCheckRecord, id
	}
	return "", ""
}

// ServeHTTP serves IAM and CodeArts Check on one host. Routing works on the
// escaped path so that a task ID containing an escaped "/" stays one segment.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// Every answer from both gateways carries a request ID; error bodies
	// repeat it (see GatewayError), so set it before anything else.
	w.Header().Set("X-Request-Id", newRequestID())

	switch call, key := Route(r.Method, r.URL.EscapedPath()); call {
	case CallIAMToken:
		s.serveToken(w, r)
	case CallProjects:
		s.serveProjects(w, r)
	case CallProgress:
		s.serveProgress(w, r, key)
	case CallTaskList:
		s.serveTaskList(w, r, key)
	case CallDefectsStatistic, CallDefectsSummary:
		s.serveReport(w, r, call, key)
	case CallCheckRecord:
		s.serveCheckRecord(w, r, key)
	default:
		// API Gateway matches method and path together: anything else is
		// an API that does not exist.
		s.writeError(w, GatewayError(http.StatusNotFound, "APIGW.0101",
			"The API does not exist or has not been published in the environment"))
	}
}

// intercept lets Hooks.Intercept answer the request; see Hooks.
func (s *Server) intercept(w http.ResponseWriter, r *http.Request, call, key string) bool {
	return s.hooks.Intercept != nil && s.hooks.Intercept(w, r, call, key)
}

// writeError sends e as Hooks.WriteError says, or in the documented shape.
func (s *Server) writeError(w http.ResponseWriter, e *Error) {
	if s.hooks.WriteError != nil {
		s.hooks.WriteError(w, e)
		return
	}
	e.Write(w)
}

// parseProgressPath extracts and unescapes the task ID from an escaped
// /v2/tasks/{task_id}/progress path.
func parseProgressPath(escaped string) (string, bool) {
	return pathSegment(escaped, progressPrefix, progressSuffix)
}

// pathSegment returns the one unescaped path segment between prefix and
// suffix of an escaped path, as API Gateway routes it: an escaped "/" stays
// inside the segment, an unescaped one makes it another API.
func pathSegment(escaped, prefix, suffix string) (string, bool) {
	rest, ok := strings.CutPrefix(escaped, prefix)
	if !ok {
		return "", false
	}
	seg, ok := strings.CutSuffix(rest, suffix)
	if !ok || seg == "" || strings.Contains(seg, "/") {
		return "", false
	}
	id, err := url.PathUnescape(seg)
	if err != nil || id == "" {
		return "", false
	}
	return id, true
}

// Error is a JSON error body in the {"error_code","error_msg"} dialect
// shared by API Gateway, IAM and CodeArts Check. Gateway errors also repeat
// the X-Request-Id header in the body.
type Error struct {
	Status  int
	Code    string
	Msg     string
	Gateway bool
	Encoded string // encoded_authorization_message, for a refused permission
}

// GatewayError is an error API Gateway answers.
func GatewayError(status int, code, msg string) *Error {
	return &Error{Status: status, Code: code, Msg: msg, Gateway: true}
}

// ServiceError is an error the service behind the gateway answers.
func ServiceError(status int, code, msg string) *Error {
	return &Error{Status: status, Code: code, Msg: msg}
}

// Write sends e in the documented {"error_code","error_msg"} shape.
func (e *Error) Write(w http.ResponseWriter) {
	body := map[string]any{"error_code": e.Code, "error_msg": e.Msg}
	if e.Encoded != "" {
		body["encoded_authorization_message"] = e.Encoded
	}
	if e.Gateway {
		body["request_id"] = w.Header().Get("X-Request-Id")
	}
	WriteJSON(w, e.Status, body)
}

// WriteJSON marshals v (always one of this package's own types, so Marshal
// cannot fail) and sends it with an explicit Content-Length.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		panic("simulator: marshal: " + err.Error())
	}
	WriteRaw(w, status, ContentTypeJSON, b)
}

// WriteRaw sends body as it is, with an explicit Content-Length.
func WriteRaw(w http.ResponseWriter, status int, contentType string, body []byte) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	// A write error means the client went away; there is no one to tell.
	_, _ = w.Write(body)
}

// newRequestID returns 32 lowercase hex characters, the shape API Gateway
// request IDs have.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go >= 1.24)
	return hex.EncodeToString(b[:])
}
