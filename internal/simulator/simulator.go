package simulator

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

// contentTypeJSON is what both services put on JSON answers.
const contentTypeJSON = "application/json;charset=UTF-8"

// User is an IAM user accepted by the token endpoint.
type User struct{ Domain, Name, Password string }

// Options configures New. The zero value is usable.
type Options struct {
	Users    []User           // accepted IAM users; empty = one user {DefaultDomain, DefaultUser, DefaultPassword}
	TokenTTL time.Duration    // lifetime of issued tokens; 0 = 24h
	Now      func() time.Time // clock; nil = time.Now
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

	// closed is closed by Close; every wait in a handler selects on it.
	closed    chan struct{}
	closeOnce sync.Once

	mu          sync.Mutex
	users       map[userKey]string      // (domain, name) -> password
	tokens      map[string]*tokenRecord // issued tokens by value
	tasks       map[string]Task         // static tasks by ID
	demo        map[string]demoTask     // clock-driven tasks by ID (NewDemo only)
	demoStart   time.Time
	faults      map[string]*faultState // by task ID; "" = every task
	iamFault    *faultState
	latency     time.Duration
	taskLatency map[string]time.Duration
	st          stats         // request counters (stats.go)
	aksk        akskState     // AK/SK signature check (aksk.go)
	shape       ErrorShape    // body of CodeArts and gateway errors (shape.go)
	omitNulls   bool          // progress answers leave null fields out (shape.go)
	lists       taskListState // task list endpoint (tasklist.go)
	reports     reportState   // report calls (report.go)
	checks      checkState    // checks and last_check_time (checks.go)

	projects map[string][]string // IAM project IDs by name (projects.go)
}

// New returns a Server with no tasks, no faults and no latency.
func New(opts Options) *Server {
	s := &Server{
		now:         opts.Now,
		tokenTTL:    opts.TokenTTL,
		closed:      make(chan struct{}),
		users:       map[userKey]string{},
		tokens:      map[string]*tokenRecord{},
		tasks:       map[string]Task{},
		demo:        map[string]demoTask{},
		faults:      map[string]*faultState{},
		taskLatency: map[string]time.Duration{},
		st:          newStats(),
		projects:    map[string][]string{DefaultProject: {DefaultProjectID}},
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

// Close releases every request held by FaultHang or by latency so that
// httptest.Server.Close, which waits for active requests, never blocks. Hung
// requests are answered by dropping the connection (they "never answer");
// latency waits end early and the request is answered normally. The Server
// keeps serving afterwards, but without waiting. Close is idempotent.
func (s *Server) Close() {
	s.closeOnce.Do(func() { close(s.closed) })
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

// ServeHTTP serves IAM and CodeArts Check on one host. Routing works on the
// escaped path so that a task ID containing an escaped "/" stays one segment.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// Every answer from both gateways carries a request ID; error bodies
	// repeat it (see gatewayError), so set it before anything else.
	w.Header().Set("X-Request-Id", newRequestID())

	path := r.URL.EscapedPath()
	s.recordHeaders(r, callName(r.Method, path))
	if path == tokenPath {
		s.serveToken(w, r)
		return
	}
	if path == projectsPath && r.Method == http.MethodGet {
		s.serveProjects(w, r)
		return
	}
	if id, ok := parseProgressPath(path); ok && r.Method == http.MethodGet {
		s.serveProgress(w, r, id, path)
		return
	}
	if id, ok := parseTaskListPath(path); ok && r.Method == http.MethodGet {
		s.serveTaskList(w, r, id)
		return
	}
	if s.serveReport(w, r, path) {
		return
	}
	// API Gateway matches method and path together: anything else is an
	// API that does not exist.
	s.writeError(w, gatewayError(http.StatusNotFound, "APIGW.0101",
		"The API does not exist or has not been published in the environment"))
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

// apiError is a JSON error body in the {"error_code","error_msg"} dialect
// shared by API Gateway, IAM and CodeArts Check. Gateway errors also repeat
// the X-Request-Id header in the body.
type apiError struct {
	status  int
	code    string
	msg     string
	gateway bool
	encoded string // encoded_authorization_message, for a refused permission
}

func gatewayError(status int, code, msg string) *apiError {
	return &apiError{status: status, code: code, msg: msg, gateway: true}
}

func serviceError(status int, code, msg string) *apiError {
	return &apiError{status: status, code: code, msg: msg}
}

// write sends e in the documented {"error_code","error_msg"} shape;
// Server.writeError sends it in the shape the server is set to.
func (e *apiError) write(w http.ResponseWriter) { e.writeShape(w, ErrorShapeErrorCode) }

// writeJSON marshals v (always one of this package's own types, so Marshal
// cannot fail) and sends it with an explicit Content-Length.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		panic("simulator: marshal: " + err.Error())
	}
	writeRaw(w, status, contentTypeJSON, b)
}

func writeRaw(w http.ResponseWriter, status int, contentType string, body []byte) {
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
