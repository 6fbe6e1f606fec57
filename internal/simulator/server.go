package simulator

import (
	"net/http"
	"sync"
	"time"

	"github.com/codearts-check-exporter/codearts_check_exporter/internal/simulator/fakecloud"
)

// The faithful API is fakecloud's; these names let tests keep saying
// simulator.Task, simulator.Report, ...
type (
	Options       = fakecloud.Options
	User          = fakecloud.User
	Task          = fakecloud.Task
	AccessKey     = fakecloud.AccessKey
	Report        = fakecloud.Report
	ReportAnswer  = fakecloud.ReportAnswer
	SummaryShape  = fakecloud.SummaryShape
	Denial        = fakecloud.Denial
	OffsetMode    = fakecloud.OffsetMode
	LastCheckMode = fakecloud.LastCheckMode

	CheckRecordDialect = fakecloud.CheckRecordDialect

	apiError     = fakecloud.Error
	progressBody = fakecloud.ProgressBody
	taskListBody = fakecloud.TaskPage
	taskListItem = fakecloud.TaskListItem
)

const (
	DefaultDomain     = fakecloud.DefaultDomain
	DefaultUser       = fakecloud.DefaultUser
	DefaultPassword   = fakecloud.DefaultPassword
	DefaultProject    = fakecloud.DefaultProject
	DefaultProjectID  = fakecloud.DefaultProjectID
	DemoProjectID     = fakecloud.DemoProjectID
	DemoDeletedTaskID = fakecloud.DemoDeletedTaskID

	ReportFull     = fakecloud.ReportFull
	ReportEmpty    = fakecloud.ReportEmpty
	ReportNulls    = fakecloud.ReportNulls
	SummarySchema  = fakecloud.SummarySchema
	SummaryExample = fakecloud.SummaryExample
	DenyNone       = fakecloud.DenyNone
	DenyPermission = fakecloud.DenyPermission
	DenyForbidden  = fakecloud.DenyForbidden

	OffsetPage0      = fakecloud.OffsetPage0
	OffsetPage1      = fakecloud.OffsetPage1
	OffsetItems      = fakecloud.OffsetItems
	LastCheckAtStart = fakecloud.LastCheckAtStart
	LastCheckAtEnd   = fakecloud.LastCheckAtEnd

	CallIAMToken         = fakecloud.CallIAMToken
	CallProjects         = fakecloud.CallProjects
	CallProgress         = fakecloud.CallProgress
	CallTaskList         = fakecloud.CallTaskList
	CallDefectsStatistic = fakecloud.CallDefectsStatistic
	CallDefectsSummary   = fakecloud.CallDefectsSummary
	CallCheckRecord      = fakecloud.CallCheckRecord
	CallOther            = "other"
)

var (
	IntPtr        = fakecloud.IntPtr
	StrPtr        = fakecloud.StrPtr
	DemoTaskIDs   = fakecloud.DemoTaskIDs
	DemoTaskNames = fakecloud.DemoTaskNames
)

var _ http.Handler = (*Server)(nil)

// Server is fakecloud's faithful API with what only tests need around it:
// faults, latency, other error shapes, misbehaving listings and request
// counters. It implements http.Handler; create it with New or NewDemo.
type Server struct {
	*fakecloud.Server

	// closed is closed by Close; every wait in a handler selects on it.
	closed    chan struct{}
	closeOnce sync.Once

	mu          sync.Mutex
	faults      map[string]*faultState // progress, by task ID; "" = every task
	iamFault    *faultState
	listFaults  map[string]*faultState // task list, by project ID; "" = every project
	repFaults   map[string]*faultState // report calls, by task ID; "" = every task
	recFaults   map[string]*faultState // CheckRecord, by task ID; "" = every task
	latency     time.Duration
	taskLatency map[string]time.Duration
	st          stats        // request counters (stats.go)
	shape       ErrorShape   // body of CodeArts and gateway errors (shape.go)
	omitNulls   bool         // progress answers leave null fields out (shape.go)
	listing     listingState // misbehaving listings (listing.go)
	issued      []string     // token values issued (issued.go)
}

// New returns a Server with no tasks, no faults and no latency.
func New(opts Options) *Server {
	return wrap(opts, fakecloud.New)
}

// NewDemo returns a simulator preloaded with fakecloud's demo tasks, whose
// cycle starts at now() (nil = time.Now).
func NewDemo(now func() time.Time) *Server {
	return wrap(Options{Now: now}, fakecloud.NewDemo)
}

func wrap(opts Options, newAPI func(fakecloud.Options) *fakecloud.Server) *Server {
	s := &Server{
		closed:      make(chan struct{}),
		faults:      map[string]*faultState{},
		listFaults:  map[string]*faultState{},
		repFaults:   map[string]*faultState{},
		recFaults:   map[string]*faultState{},
		taskLatency: map[string]time.Duration{},
		st:          newStats(),
	}
	opts.Hooks = fakecloud.Hooks{
		Intercept:  s.intercept,
		WriteError: s.writeError,
		Progress:   s.renderProgress,
		Page:       s.changePage,
		Signed:     s.recordSignature,
	}
	s.Server = newAPI(opts)
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

// ServeHTTP counts the request (stats.go) and lets fakecloud serve it,
// stepping in through its hooks.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	call, key := fakecloud.Route(r.Method, r.URL.EscapedPath())
	s.arrive(r, call, key)
	defer s.leave(call)
	s.Server.ServeHTTP(w, r)
	if call == CallIAMToken {
		s.recordIssued(w)
	}
}

// intercept is fakecloud's Hooks.Intercept: the faults, latency and
// listings of the call.
func (s *Server) intercept(w http.ResponseWriter, r *http.Request, call, key string) bool {
	switch call {
	case CallIAMToken:
		return s.answerFault(w, r, s.takeIAMFault(), true)
	case CallProjects:
		if s.answerFault(w, r, s.takeIAMFault(), true) {
			return true
		}
		s.recordProjectQuery(r)
		return false
	case CallProgress:
		if s.answerFault(w, r, s.takeFault(s.faults, key), false) {
			return true
		}
		return !s.wait(r, s.latencyFor(key)) // the client gave up: nobody is listening
	case CallTaskList:
		return s.serveListing(w, r) || s.answerFault(w, r, s.takeFault(s.listFaults, key), false)
	case CallDefectsStatistic, CallDefectsSummary:
		return s.answerFault(w, r, s.takeFault(s.repFaults, key), false)
	case CallCheckRecord:
		return s.answerFault(w, r, s.takeFault(s.recFaults, key), false)
	}
	return false
}

// answerFault answers with fault k and reports whether there was one.
func (s *Server) answerFault(w http.ResponseWriter, r *http.Request, k FaultKind, iam bool) bool {
	if k == FaultNone {
		return false
	}
	s.writeFault(w, r, k, iam)
	return true
}
