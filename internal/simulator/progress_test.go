package simulator

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit/stdkit"
)

func TestProgressBodies(t *testing.T) {
	e := newEnv(t, Options{})
	tok := e.token()
	cases := []struct {
		task Task
		want string
	}{
		{Task{Status: IntPtr(0), Ratio: StrPtr("50%"), Info: StrPtr("running")},
			`{"task_status":0,"progress":{"ratio":"50%","info":"running"}}`},
		{Task{Status: IntPtr(0), Ratio: StrPtr("33.3%"), Info: StrPtr("正在检查")},
			`{"task_status":0,"progress":{"ratio":"33.3%","info":"正在检查"}}`},
		{Task{Status: IntPtr(1)},
			`{"task_status":1,"progress":{"ratio":null,"info":null}}`},
		{Task{Status: IntPtr(2), Ratio: StrPtr("100%"), Info: StrPtr("success")},
			`{"task_status":2,"progress":{"ratio":"100%","info":"success"}}`},
		{Task{Status: IntPtr(3)},
			`{"task_status":3,"progress":{"ratio":null,"info":null}}`},
		{Task{},
			`{"task_status":null,"progress":{"ratio":null,"info":null}}`},
		{Task{Status: IntPtr(0), Ratio: StrPtr(" 7 %"), Info: StrPtr("Performing the check...")},
			`{"task_status":0,"progress":{"ratio":" 7 %","info":"Performing the check..."}}`},
		{Task{Status: IntPtr(0), Ratio: StrPtr("garbage")},
			`{"task_status":0,"progress":{"ratio":"garbage","info":null}}`},
		{Task{Status: IntPtr(2), NoProgress: true}, `{"task_status":2}`},
		{Task{NullProgress: true}, `{"task_status":null,"progress":null}`},
		{Task{Status: IntPtr(2), NoProgress: true, NullProgress: true}, `{"task_status":2}`},
	}
	for i, c := range cases {
		c.task.ID = "task-" + string(rune('a'+i))
		e.sim.SetTask(c.task)
		r := e.progress(c.task.ID, tok)
		if r.status != http.StatusOK || string(r.body) != c.want {
			t.Errorf("%s: got %d %s, want 200 %s", c.task.ID, r.status, r.body, c.want)
		}
		if ct := r.header.Get("Content-Type"); ct != "application/json;charset=UTF-8" {
			t.Errorf("Content-Type = %q", ct)
		}
		if r.header.Get("X-Request-Id") == "" {
			t.Error("missing X-Request-Id")
		}
	}
}

func TestTaskAccessors(t *testing.T) {
	sim := New(Options{})
	defer sim.Close()
	sim.SetTask(Task{ID: "a", Name: "alpha", Status: IntPtr(1)})
	sim.SetTask(Task{ID: "a", Name: "alpha", Status: IntPtr(2)})
	got, ok := sim.Task("a")
	if !ok || got.Name != "alpha" || *got.Status != 2 {
		t.Fatalf("Task(a) = %+v, %v", got, ok)
	}
	sim.RemoveTask("a")
	if _, ok := sim.Task("a"); ok {
		t.Fatal("task still present after RemoveTask")
	}
}

func TestProgressAuthErrors(t *testing.T) {
	clock := stdkit.NewClock(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))
	e := newEnv(t, Options{Now: clock.Now, TokenTTL: time.Hour})
	e.sim.SetTask(Task{ID: "t", Status: IntPtr(2)})

	wantErr(t, e.progress("t", ""), http.StatusUnauthorized, "APIGW.0301", true)
	wantErr(t, e.progress("t", "MIITnot-a-real-token"), http.StatusUnauthorized, "APIGW.0301", true)

	tok := e.token()
	if r := e.progress("t", tok); r.status != http.StatusOK {
		t.Fatalf("fresh token: %d %s", r.status, r.body)
	}
	e.sim.RevokeTokens()
	wantErr(t, e.progress("t", tok), http.StatusUnauthorized, "APIGW.0301", true)

	tok = e.token() // tokens issued after a revocation work
	if r := e.progress("t", tok); r.status != http.StatusOK {
		t.Fatalf("token after revoke: %d %s", r.status, r.body)
	}
	e.sim.ExpireTokens()
	b := wantErr(t, e.progress("t", tok), http.StatusUnauthorized, "CC.00000003", false)
	if b.ErrorMsg != "认证信息过期" {
		t.Fatalf("error_msg = %q", b.ErrorMsg)
	}

	// Natural expiry: valid until just before expires_at, expired at it.
	tok = e.token()
	clock.Advance(time.Hour - time.Nanosecond)
	if r := e.progress("t", tok); r.status != http.StatusOK {
		t.Fatalf("token 1ns before expiry: %d %s", r.status, r.body)
	}
	clock.Advance(time.Nanosecond)
	wantErr(t, e.progress("t", tok), http.StatusUnauthorized, "CC.00000003", false)
}

func TestUnknownTask(t *testing.T) {
	e := newEnv(t, Options{})
	b := wantErr(t, e.progress("does-not-exist", e.token()), http.StatusOK, "CC.00050014", false)
	if b.ErrorMsg != "getTaskBasicInfo failed" {
		t.Fatalf("error_msg = %q", b.ErrorMsg)
	}
	// Authentication comes first: an unknown task without a token is a 401.
	wantErr(t, e.progress("does-not-exist", ""), http.StatusUnauthorized, "APIGW.0301", true)
}

func TestUnknownPaths(t *testing.T) {
	e := newEnv(t, Options{})
	tok := e.token()
	e.sim.SetTask(Task{ID: "t", Status: IntPtr(2)})
	for _, c := range []struct{ method, path string }{
		{http.MethodGet, "/"},
		{http.MethodGet, "/v2/tasks"},
		{http.MethodGet, "/v2/tasks//progress"},
		{http.MethodGet, "/v2/tasks/t/progress/"},
		{http.MethodGet, "/v2/tasks/a/b/progress"}, // unescaped slash: two segments
		{http.MethodGet, "/v3/tasks/t/progress"},
		{http.MethodPost, "/v2/tasks/t/progress"},
		{http.MethodDelete, "/v2/tasks/t/progress"},
	} {
		req := e.newRequest(context.Background(), c.method, c.path, "")
		req.Header.Set("X-Auth-Token", tok)
		b := wantErr(t, e.do(req), http.StatusNotFound, "APIGW.0101", true)
		if b.ErrorMsg != "The API does not exist or has not been published in the environment" {
			t.Fatalf("%s %s: error_msg = %q", c.method, c.path, b.ErrorMsg)
		}
	}
	if n := e.sim.ProgressRequests(); n != 0 {
		t.Fatalf("ProgressRequests = %d after only unknown paths", n)
	}
}

func TestLastQueryAndEscapedPath(t *testing.T) {
	e := newEnv(t, Options{})
	tok := e.token()
	const id = "team/a b+c"
	e.sim.SetTask(Task{ID: id, Status: IntPtr(2), Ratio: StrPtr("100%"), Info: StrPtr("success")})
	if e.sim.LastQuery(id) != nil || e.sim.LastRawPath(id) != "" {
		t.Fatal("stats before any request must be empty")
	}

	path := progressPath(id) + "?job_id=" + url.QueryEscape("job 42/x")
	if path != "/v2/tasks/team%2Fa%20b+c/progress?job_id=job+42%2Fx" {
		t.Fatalf("fixture path = %q", path)
	}
	req := e.newRequest(context.Background(), http.MethodGet, path, "")
	req.Header.Set("X-Auth-Token", tok)
	r := e.do(req)
	if r.status != http.StatusOK || string(r.body) != `{"task_status":2,"progress":{"ratio":"100%","info":"success"}}` {
		t.Fatalf("escaped id: %d %s", r.status, r.body)
	}
	if got := e.sim.LastQuery(id).Get("job_id"); got != "job 42/x" {
		t.Fatalf("job_id = %q", got)
	}
	if got := e.sim.LastRawPath(id); got != "/v2/tasks/team%2Fa%20b+c/progress" {
		t.Fatalf("LastRawPath = %q", got)
	}
	// The returned Values are a copy.
	e.sim.LastQuery(id).Set("job_id", "tampered")
	if got := e.sim.LastQuery(id).Get("job_id"); got != "job 42/x" {
		t.Fatalf("LastQuery is not a copy: %q", got)
	}

	// Without a query the last query is empty (not nil: there was a request).
	e.progress(id, tok)
	if q := e.sim.LastQuery(id); q == nil || len(q) != 0 {
		t.Fatalf("LastQuery without query = %#v", q)
	}
}

func TestStats(t *testing.T) {
	e := newEnv(t, Options{})
	e.sim.SetTask(Task{ID: "a", Status: IntPtr(2)})
	tok := e.token()
	e.postToken(tokenJSON(DefaultDomain, DefaultUser, "wrong"))
	e.postToken("{")
	e.progress("a", tok)
	e.progress("a", "")      // rejected: still counted
	e.progress("ghost", tok) // unknown: still counted
	if got := e.sim.IAMRequests(); got != 3 {
		t.Errorf("IAMRequests = %d, want 3", got)
	}
	if got := e.sim.ProgressRequests(); got != 3 {
		t.Errorf("ProgressRequests = %d, want 3", got)
	}
	if a, g := e.sim.TaskRequests("a"), e.sim.TaskRequests("ghost"); a != 2 || g != 1 {
		t.Errorf("TaskRequests a=%d ghost=%d, want 2 and 1", a, g)
	}
	if e.sim.InFlight() != 0 || e.sim.MaxInFlight() != 1 {
		t.Errorf("InFlight=%d MaxInFlight=%d, want 0 and 1", e.sim.InFlight(), e.sim.MaxInFlight())
	}
	e.sim.ResetStats()
	if e.sim.IAMRequests()+e.sim.ProgressRequests()+e.sim.TaskRequests("a")+e.sim.MaxInFlight() != 0 ||
		e.sim.LastQuery("a") != nil || e.sim.LastRawPath("a") != "" {
		t.Error("ResetStats left counters behind")
	}
}

// TestMaxInFlight holds n requests at once (FaultHang), so the high-water
// mark is exact without relying on timing.
func TestMaxInFlight(t *testing.T) {
	e := newEnv(t, Options{})
	tok := e.token()
	e.sim.SetTask(Task{ID: "t", Status: IntPtr(2)})
	e.sim.SetFault("", Fault{Kind: FaultHang})

	const n = 5
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			resp, err := e.client.Do(e.progressRequest(ctx, "t", tok))
			if err == nil {
				resp.Body.Close()
			}
			errs <- err
		})
	}
	stdkit.WaitFor(t, "n requests in flight", func() bool { return e.sim.InFlight() == n })
	if got := e.sim.MaxInFlight(); got != n {
		t.Fatalf("MaxInFlight = %d, want %d", got, n)
	}

	// ResetStats while requests are held: the mark restarts at InFlight.
	e.sim.ResetStats()
	if got := e.sim.MaxInFlight(); got != n {
		t.Fatalf("MaxInFlight after ResetStats with %d in flight = %d", n, got)
	}

	cancel()
	wg.Wait()
	close(errs)
	for err := range errs {
		if !errors.Is(err, context.Canceled) {
			t.Errorf("held request ended with %v, want context.Canceled", err)
		}
	}
	stdkit.WaitFor(t, "handlers to return", func() bool { return e.sim.InFlight() == 0 })
	if got := e.sim.MaxInFlight(); got != n {
		t.Fatalf("MaxInFlight after the burst = %d, want %d", got, n)
	}
	e.sim.ResetStats()
	if got := e.sim.MaxInFlight(); got != 0 {
		t.Fatalf("MaxInFlight after ResetStats = %d", got)
	}
}

func TestLatency(t *testing.T) {
	e := newEnv(t, Options{})
	tok := e.token()
	e.sim.SetTask(Task{ID: "slow", Status: IntPtr(2)})
	e.sim.SetTask(Task{ID: "fast", Status: IntPtr(1)})

	// Lower bounds only: a loaded machine can make anything slower.
	e.sim.SetTaskLatency("slow", 60*time.Millisecond)
	e.sim.SetLatency(40 * time.Millisecond)
	start := time.Now()
	if r := e.progress("slow", tok); r.status != http.StatusOK {
		t.Fatalf("slow: %d %s", r.status, r.body)
	}
	if d := time.Since(start); d < 100*time.Millisecond {
		t.Fatalf("per-task + global latency took %v, want >= 100ms", d)
	}
	start = time.Now()
	e.progress("fast", tok)
	if d := time.Since(start); d < 40*time.Millisecond {
		t.Fatalf("global latency took %v, want >= 40ms", d)
	}
	e.sim.SetLatency(0)
	e.sim.SetTaskLatency("slow", 0)
	if e.sim.latencyFor("slow") != 0 {
		t.Fatal("latency not removed")
	}
}

func TestLatencyRespectsClientCancellation(t *testing.T) {
	e := newEnv(t, Options{})
	tok := e.token()
	e.sim.SetTask(Task{ID: "t", Status: IntPtr(2)})
	e.sim.SetLatency(time.Hour)

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := e.client.Do(e.progressRequest(ctx, "t", tok))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want context.DeadlineExceeded", err)
	}
	// The handler must notice the client left and return long before the hour.
	stdkit.WaitFor(t, "the handler to give up", func() bool { return e.sim.InFlight() == 0 })
}

func TestCloseReleasesLatency(t *testing.T) {
	e := newEnv(t, Options{})
	tok := e.token()
	e.sim.SetTask(Task{ID: "t", Status: IntPtr(2), NoProgress: true})
	e.sim.SetLatency(time.Hour)

	done := make(chan response, 1)
	errc := make(chan error, 1)
	go func() {
		resp, err := e.client.Do(e.progressRequest(context.Background(), "t", tok))
		if err != nil {
			errc <- err
			return
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			errc <- err
			return
		}
		done <- response{status: resp.StatusCode, body: body}
	}()
	stdkit.WaitFor(t, "the request to be held", func() bool { return e.sim.InFlight() == 1 })
	e.sim.Close()
	select {
	case r := <-done:
		if r.status != http.StatusOK || string(r.body) != `{"task_status":2}` {
			t.Fatalf("after Close: %d %s", r.status, r.body)
		}
	case err := <-errc:
		t.Fatalf("after Close: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("Close did not release the latency wait")
	}
}
