package collector

import (
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/model"

	"github.com/codearts-check-exporter/codearts_check_exporter/config"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/api"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/simulator"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit"
)

const lastErrorInfo = "codearts_check_task_last_error_info"

// lastErrors returns the task_last_error_info series of a scrape as task
// ID -> error codes, failing the test for a value other than 1.
func (r scrapeResult) lastErrors() map[string][]string {
	r.t.Helper()
	got := map[string][]string{}
	for _, m := range r.families[lastErrorInfo].GetMetric() {
		var id, code string
		for _, lp := range m.GetLabel() {
			switch lp.GetName() {
			case "task_id":
				id = lp.GetValue()
			case "error_code":
				code = lp.GetValue()
			default:
				r.t.Errorf("%s has a label %s", lastErrorInfo, lp.GetName())
			}
		}
		if v := m.GetGauge().GetValue(); v != 1 {
			r.t.Errorf("%s{task_id=%q,error_code=%q} = %v, want 1", lastErrorInfo, id, code, v)
		}
		got[id] = append(got[id], code)
	}
	return got
}

// wantLastErrors fails the test unless the scrape's last errors are
// exactly want, one series per failing task.
func (r scrapeResult) wantLastErrors(want map[string]string) {
	r.t.Helper()
	got := r.lastErrors()
	for id, codes := range got {
		if len(codes) != 1 || codes[0] != want[id] {
			r.t.Errorf("task %s: last error codes %v, want [%s]", id, codes, want[id])
		}
	}
	for id, code := range want {
		if _, ok := got[id]; !ok {
			r.t.Errorf("task %s: no last error series, want error_code %q", id, code)
		}
	}
}

// A task whose query fails has exactly one last-error series, with the
// code its failure is counted under; a healthy task has none; once the
// failing task answers again its series is gone. The answer passes
// promlint with the series in it.
func TestLastErrorFollowsTheLastQuery(t *testing.T) {
	sim := simulator.New(simulator.Options{})
	ids := addTasks(sim, 3, simulator.Task{Status: simulator.IntPtr(2), Ratio: simulator.StrPtr("100%")})
	ok, busy, invalid := ids[0], ids[1], ids[2]
	sim.SetFault(busy, simulator.Fault{Kind: simulator.FaultBusy})
	sim.SetFault(invalid, simulator.Fault{Kind: simulator.FaultInvalidJSON})
	env := newTestEnv(t, sim, ids, nil)

	res := env.scrape(0)
	res.wantLastErrors(map[string]string{busy: "CC.00000000", invalid: api.CodeInvalidResponse})
	if n := res.mustValue("codearts_check_api_errors_total", "error_code", "CC.00000000"); n != retriedAttempts {
		t.Errorf("CC.00000000 counted %v times, want %d: the label value is not the counter's", n, retriedAttempts)
	}
	if res.mustValue("codearts_check_task_query_success", "task_id", ok) != 1 {
		t.Errorf("the healthy task %s failed", ok)
	}
	problems, err := promlint.NewWithMetricFamilies(res.list()).Lint()
	if err != nil || len(problems) > 0 {
		t.Errorf("promlint: %v %v", problems, err)
	}

	sim.ClearFaults()
	res = env.scrape(0)
	res.wantLastErrors(nil)
	if _, ok := res.families[lastErrorInfo]; ok {
		t.Errorf("%s still served after every task recovered", lastErrorInfo)
	}
}

// list returns the scrape's families, for promlint.
func (r scrapeResult) list() []*dto.MetricFamily {
	mfs := make([]*dto.MetricFamily, 0, len(r.families))
	for _, mf := range r.families {
		mfs = append(mfs, mf)
	}
	return mfs
}

// A failure that its retry overcomes is no last error: the task's last
// query succeeded. (codearts_check_api_errors_total still counts it.)
func TestLastErrorNotForARetriedSuccess(t *testing.T) {
	sim := simulator.New(simulator.Options{})
	ids := addTasks(sim, 1, simulator.Task{Status: simulator.IntPtr(2)})
	sim.SetFault(ids[0], simulator.Fault{Kind: simulator.FaultBusy, Times: 1})
	env := newTestEnv(t, sim, ids, nil)
	res := env.scrape(0)
	if sim.TaskRequests(ids[0]) != 2 || res.mustValue("codearts_check_api_errors_total", "error_code", "CC.00000000") != 1 {
		t.Fatalf("%d requests: want a failure and its retry", sim.TaskRequests(ids[0]))
	}
	res.wantLastErrors(nil)
}

// A task the deadline left unqueried has error_code "timeout", the code
// the collection counts it under, as has the task whose call the deadline
// ended.
func TestLastErrorOfATaskLeftUnqueried(t *testing.T) {
	sim := simulator.New(simulator.Options{})
	ids := addTasks(sim, 2, simulator.Task{Status: simulator.IntPtr(2)})
	hang, unqueried := ids[0], ids[1]
	sim.SetFault(hang, simulator.Fault{Kind: simulator.FaultHang})
	// One worker, which the first task holds until the deadline.
	env := newTestEnv(t, sim, ids, func(c *config.Config) { c.Concurrency = 1 })
	res := env.scrape(time.Second)
	if n := sim.TaskRequests(unqueried); n != 0 {
		t.Fatalf("%s was queried %d times; the test wants it left unqueried", unqueried, n)
	}
	res.wantLastErrors(map[string]string{hang: api.CodeTimeout, unqueried: api.CodeTimeout})
	if n := res.mustValue("codearts_check_api_errors_total", "error_code", api.CodeTimeout); n != 2 {
		t.Errorf("timeouts counted: %v, want 2", n)
	}
}

// A query the budget had no room for is no API error, but it is why the
// task has no answer: error_code "budget".
func TestLastErrorOfATaskOverTheRateLimit(t *testing.T) {
	sim := simulator.New(simulator.Options{})
	ids := addTasks(sim, 2, simulator.Task{Status: simulator.IntPtr(2)})
	// The IAM token takes the budget's one token; the next comes a second
	// later, after the half-second deadline.
	env := newTestEnv(t, sim, ids, func(c *config.Config) { c.MaxRequestsPerSecond = 1 })
	res := env.scrape(time.Second)
	if n := sim.ProgressRequests(); n != 0 {
		t.Fatalf("%d progress requests; the test wants the budget to send none", n)
	}
	res.wantLastErrors(map[string]string{ids[0]: api.CodeBudget, ids[1]: api.CodeBudget})
}

// With change detection, a task the listing answers has no last error,
// and a failed progress query of a tracked task has one until a query
// answers it.
func TestLastErrorWithChangeDetection(t *testing.T) {
	env := newCDEnv(t, simulator.LastCheckAtStart, true)
	env.sim.SetFault(cdA, simulator.Fault{Kind: simulator.FaultInvalidJSON, Times: 1})
	env.step().wantLastErrors(map[string]string{cdA: api.CodeInvalidResponse})
	env.step().wantLastErrors(nil) // cdA: its progress, this time answered
	res := env.step()
	if res.answeredBy("listing") != 2 {
		t.Fatalf("answered by the listing: %v, want cdA and cdB", res.answeredBy("listing"))
	}
	res.wantLastErrors(nil)
}

// newLoggedEnv is newTestEnv with the whole stack (session, client,
// collector, handler) logging at level into the returned buffer.
func newLoggedEnv(t *testing.T, sim *simulator.Server, ids []string, level slog.Level) (*testEnv, *testkit.Buffer) {
	t.Helper()
	apiServer := testkit.Simulator(t, sim)
	cfg := &config.Config{Endpoint: apiServer.URL, Auth: config.Auth{IAM: testkit.IAM(apiServer.URL)},
		Timeout: model.Duration(10 * time.Second)}
	for _, id := range ids {
		cfg.Tasks = append(cfg.Tasks, config.Task{ID: id})
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	logs := &testkit.Buffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: level}))
	metrics := api.NewMetrics()
	static := prometheus.NewRegistry()
	static.MustRegister(metrics)
	coll := newStaticCollector(t, cfg, metrics, logger)
	exporter := httptest.NewServer(Handler(coll, static, logger, HandlerOpts{}))
	t.Cleanup(func() {
		exporter.Close()
		coll.Close()
	})
	return &testEnv{t: t, sim: sim, api: apiServer, exporter: exporter, cfg: cfg, coll: coll}, logs
}

const (
	failedCallMsg  = `msg="API call failed"`
	notSentCallMsg = `msg="API call not sent: no credentials"`
)

// failedCallLines returns the log's lines of calls that failed or that
// could not be sent for want of credentials.
func failedCallLines(logs string) []string {
	var lines []string
	for _, line := range strings.Split(logs, "\n") {
		if strings.Contains(line, failedCallMsg) || strings.Contains(line, notSentCallMsg) {
			lines = append(lines, line)
		}
	}
	return lines
}

// At debug level every failed attempt of a call is logged once, naming
// the task, the endpoint, the HTTP status and the error code; at info
// level none is.
func TestFailedCallDebugLog(t *testing.T) {
	for _, level := range []slog.Level{slog.LevelDebug, slog.LevelInfo} {
		t.Run(level.String(), func(t *testing.T) {
			sim := simulator.New(simulator.Options{})
			ids := addTasks(sim, 2, simulator.Task{Status: simulator.IntPtr(2)})
			ok, busy := ids[0], ids[1]
			sim.SetFault(busy, simulator.Fault{Kind: simulator.FaultBusy})
			env, logs := newLoggedEnv(t, sim, ids, level)
			env.scrape(0).wantLastErrors(map[string]string{busy: "CC.00000000"})

			lines := failedCallLines(logs.String())
			if level > slog.LevelDebug {
				if len(lines) > 0 || strings.Contains(logs.String(), "level=DEBUG") {
					t.Errorf("at %s, failed calls logged:\n%s", level, logs)
				}
				return
			}
			attempts := sim.TaskRequests(busy)
			if attempts != retriedAttempts {
				t.Fatalf("%d attempts, want %d", attempts, retriedAttempts)
			}
			want := []string{"level=DEBUG", "task_id=" + busy, "endpoint=progress", "http_status=400", "error_code=CC.00000000"}
			for _, line := range lines {
				for _, w := range want {
					if !strings.Contains(line, w) {
						t.Errorf("failed-call line without %s: %s", w, line)
					}
				}
				if strings.Contains(line, ok) {
					t.Errorf("a line for the healthy task: %s", line)
				}
			}
			if len(lines) != attempts {
				t.Errorf("%d failed-call lines for %d failed attempts:\n%s", len(lines), attempts, logs)
			}
		})
	}
}

// The failed-call line of a task's call whose token request failed says
// the call was not sent, for which task and why. (That the password the
// IAM error echoed is redacted from the error and the debug log is
// internal/clientcache's TestIAMEchoRedactsThePassword, a layer down.)
func TestFailedCallDebugLogOfACallNotSent(t *testing.T) {
	sim := simulator.New(simulator.Options{})
	ids := addTasks(sim, 1, simulator.Task{Status: simulator.IntPtr(2)})
	sim.SetIAMFault(simulator.Fault{Kind: simulator.FaultEchoRequest})
	env, logs := newLoggedEnv(t, sim, ids, slog.LevelDebug)
	env.scrape(0).wantLastErrors(map[string]string{ids[0]: "IAM.0011"})
	lines := failedCallLines(logs.String())
	if len(lines) != 1 || !strings.Contains(lines[0], notSentCallMsg) || !strings.Contains(lines[0], "task_id="+ids[0]) ||
		!strings.Contains(lines[0], "error_code=IAM.0011") {
		t.Fatalf("want one line for the task's call, not sent for the IAM error:\n%s", logs)
	}
}

// BenchmarkExposeFailing is BenchmarkExpose with every task's last query
// failed, under one of two codes: the most last-error series an answer
// can hold, one per task.
func BenchmarkExposeFailing(b *testing.B) {
	codes := []string{"CC.00000000", api.CodeTimeout}
	benchmarkExpose(b, func(i int) string { return codes[i%len(codes)] })
}
