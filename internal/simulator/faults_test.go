package simulator

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit/stdkit"
)

func TestFaultResponses(t *testing.T) {
	e := newEnv(t, Options{})
	tok := e.token()
	e.sim.SetTask(Task{ID: "t", Status: IntPtr(2), Ratio: StrPtr("100%"), Info: StrPtr("success")})

	for _, c := range []struct {
		kind    FaultKind
		status  int
		code    string // "" = not a JSON error body
		gateway bool
		check   func(t *testing.T, r response)
	}{
		{kind: FaultBadGateway, status: 502, check: func(t *testing.T, r response) {
			if ct := r.header.Get("Content-Type"); ct != "text/html" {
				t.Errorf("Content-Type = %q", ct)
			}
			if !strings.Contains(string(r.body), "<html>") || json.Valid(r.body) {
				t.Errorf("body is not an HTML page: %s", r.body)
			}
		}},
		{kind: FaultInvalidJSON, status: 200, check: func(t *testing.T, r response) {
			if json.Valid(r.body) || len(r.body) == 0 {
				t.Errorf("body should be invalid JSON: %q", r.body)
			}
		}},
		{kind: FaultWrongType, status: 200, check: func(t *testing.T, r response) {
			if string(r.body) != `{"task_status":"2","progress":{"ratio":50,"info":"running"}}` {
				t.Errorf("body = %s", r.body)
			}
			var typed struct {
				TaskStatus *int `json:"task_status"`
			}
			if json.Unmarshal(r.body, &typed) == nil {
				t.Error("wrong types must not decode into the documented types")
			}
		}},
		{kind: FaultThrottled, status: 429, code: "APIGW.0308", gateway: true, check: func(t *testing.T, r response) {
			if !strings.Contains(decodeErr(t, r).ErrorMsg, "policy user over ratelimit,limit:20,time:1 second") {
				t.Errorf("body = %s", r.body)
			}
		}},
		{kind: FaultBusy, status: 400, code: "CC.00000000", check: func(t *testing.T, r response) {
			if decodeErr(t, r).ErrorMsg != "网络繁忙,请稍后再试" {
				t.Errorf("body = %s", r.body)
			}
		}},
		{kind: FaultRetryLater, status: 200, code: "CC.00050012"},
		{kind: FaultTokenExpired, status: 401, code: "CC.00000003"},
		{kind: FaultServiceUnavailable, status: 503, code: "APIGW.0610", gateway: true},
	} {
		t.Run(c.kind.String(), func(t *testing.T) {
			e.sim.SetFault("t", Fault{Kind: c.kind, Times: 1})
			r := e.progress("t", tok)
			if r.status != c.status {
				t.Fatalf("status = %d, want %d (%s)", r.status, c.status, r.body)
			}
			if r.header.Get("X-Request-Id") == "" {
				t.Error("missing X-Request-Id")
			}
			if c.code != "" {
				wantErr(t, r, c.status, c.code, c.gateway)
			}
			if c.check != nil {
				c.check(t, r)
			}
			// Times: 1 — the next request is normal again.
			if r := e.progress("t", tok); r.status != http.StatusOK || !json.Valid(r.body) || bytes.Contains(r.body, []byte("error_code")) {
				t.Fatalf("after the fault: %d %s", r.status, r.body)
			}
		})
	}
}

func TestFaultTimesAndPrecedence(t *testing.T) {
	e := newEnv(t, Options{})
	tok := e.token()
	for _, id := range []string{"a", "b", "c"} {
		e.sim.SetTask(Task{ID: id, Status: IntPtr(2)})
	}
	codeOf := func(id string) string {
		t.Helper()
		r := e.progress(id, tok)
		var b errBody
		_ = json.Unmarshal(r.body, &b)
		return b.ErrorCode
	}
	expect := func(id string, want ...string) {
		t.Helper()
		for i, w := range want {
			if got := codeOf(id); got != w {
				t.Fatalf("%s request %d: error_code %q, want %q", id, i+1, got, w)
			}
		}
	}

	// n > 0: exactly the next n requests.
	e.sim.SetFault("a", Fault{Kind: FaultBusy, Times: 2})
	expect("a", "CC.00000000", "CC.00000000", "", "")
	expect("b", "") // per-task faults stay on their task

	// 0: until cleared.
	e.sim.SetFault("a", Fault{Kind: FaultRetryLater})
	expect("a", "CC.00050012", "CC.00050012", "CC.00050012")
	e.sim.ClearFaults()
	expect("a", "")

	// Global fault; a per-task fault wins over it while it lasts, and a
	// per-task FaultNone exempts its task.
	e.sim.SetFault("", Fault{Kind: FaultRetryLater})
	e.sim.SetFault("a", Fault{Kind: FaultThrottled, Times: 1})
	e.sim.SetFault("b", Fault{Kind: FaultNone})
	expect("a", "APIGW.0308", "CC.00050012")
	expect("b", "", "")
	expect("c", "CC.00050012")

	// Global with Times is shared by all tasks.
	e.sim.ClearFaults()
	e.sim.SetFault("", Fault{Kind: FaultBusy, Times: 2})
	expect("a", "CC.00000000")
	expect("c", "CC.00000000", "")
	expect("a", "")

	// Requests that fail earlier (auth, unknown task) do not consume faults.
	e.sim.SetFault("", Fault{Kind: FaultBusy, Times: 1})
	wantErr(t, e.progress("a", ""), http.StatusUnauthorized, "APIGW.0301", true)
	wantErr(t, e.progress("ghost", tok), http.StatusOK, "CC.00050014", false)
	expect("a", "CC.00000000", "")
}

func TestFaultHangReleasedByClientTimeout(t *testing.T) {
	e := newEnv(t, Options{})
	tok := e.token()
	e.sim.SetTask(Task{ID: "t", Status: IntPtr(2)})
	e.sim.SetFault("t", Fault{Kind: FaultHang})

	client := &http.Client{Transport: e.client.Transport, Timeout: 200 * time.Millisecond}
	resp, err := client.Do(e.progressRequest(context.Background(), "t", tok))
	if err == nil {
		resp.Body.Close()
		t.Fatalf("hung request answered %d", resp.StatusCode)
	}
	var te interface{ Timeout() bool }
	if !errors.As(err, &te) || !te.Timeout() {
		t.Fatalf("err = %v, want a client timeout", err)
	}
	stdkit.WaitFor(t, "the hung handler to notice the client left", func() bool { return e.sim.InFlight() == 0 })
}

func TestFaultHangReleasedByClose(t *testing.T) {
	e := newEnv(t, Options{})
	tok := e.token()
	e.sim.SetTask(Task{ID: "t", Status: IntPtr(2)})
	e.sim.SetFault("", Fault{Kind: FaultHang})

	client := freshClient(t)
	errc := make(chan error, 1)
	go func() {
		resp, err := client.Do(e.progressRequest(context.Background(), "t", tok))
		if err == nil {
			resp.Body.Close()
			err = errors.New("hung request got an answer: " + resp.Status)
		} else {
			err = nil
		}
		errc <- err
	}()
	stdkit.WaitFor(t, "the request to hang", func() bool { return e.sim.InFlight() == 1 })
	e.sim.Close()
	select {
	case err := <-errc:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Close did not release the hung request")
	}
}

func TestFaultConnReset(t *testing.T) {
	e := newEnv(t, Options{})
	tok := e.token()
	e.sim.SetTask(Task{ID: "t", Status: IntPtr(2)})
	e.sim.SetFault("t", Fault{Kind: FaultConnReset, Times: 1})

	client := freshClient(t)
	resp, err := client.Do(e.progressRequest(context.Background(), "t", tok))
	if err == nil {
		resp.Body.Close()
		t.Fatalf("reset connection produced a response: %s", resp.Status)
	}
	if got := e.sim.TaskRequests("t"); got != 1 {
		t.Fatalf("TaskRequests = %d, want 1 (no transparent retry on a fresh connection)", got)
	}
	resp, err = client.Do(e.progressRequest(context.Background(), "t", tok))
	if err != nil {
		t.Fatalf("after Times:1 the next request must succeed: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("after the reset: %s", resp.Status)
	}
}

func TestFaultHugeBody(t *testing.T) {
	e := newEnv(t, Options{})
	tok := e.token()
	e.sim.SetTask(Task{ID: "t", Status: IntPtr(2)})
	e.sim.SetFault("t", Fault{Kind: FaultHugeBody})

	resp, err := e.client.Do(e.progressRequest(context.Background(), "t", tok))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.ContentLength != -1 {
		t.Fatalf("status %d, ContentLength %d; want 200 streamed without a length", resp.StatusCode, resp.ContentLength)
	}
	head := make([]byte, len(hugeBodyPrefix))
	if _, err := io.ReadFull(resp.Body, head); err != nil || string(head) != hugeBodyPrefix {
		t.Fatalf("prefix %q, %v", head, err)
	}
	tail := &lastByte{}
	n, err := io.Copy(tail, resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if total := int64(len(head)) + n; total != HugeBodySize {
		t.Fatalf("body is %d bytes, want %d", total, HugeBodySize)
	}
	if tail.b != '}' {
		t.Fatalf("last byte %q, want '}' (the full body is valid JSON)", tail.b)
	}

	// A client that stops reading early releases the handler.
	resp2, err := e.client.Do(e.progressRequest(context.Background(), "t", tok))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.CopyN(io.Discard, resp2.Body, 1<<20); err != nil {
		t.Fatal(err)
	}
	resp2.Body.Close()
	stdkit.WaitFor(t, "the huge-body handler to stop", func() bool { return e.sim.InFlight() == 0 })
}

// lastByte is an io.Writer that remembers only the last byte written.
type lastByte struct{ b byte }

func (l *lastByte) Write(p []byte) (int, error) {
	if len(p) > 0 {
		l.b = p[len(p)-1]
	}
	return len(p), nil
}

func TestIAMFaults(t *testing.T) {
	e := newEnv(t, Options{})
	body := tokenJSON(DefaultDomain, DefaultUser, DefaultPassword)

	e.sim.SetIAMFault(Fault{Kind: FaultServiceUnavailable, Times: 1})
	r := e.postToken(body)
	wantErr(t, r, http.StatusServiceUnavailable, "APIGW.0613", true)
	if r.header.Get("X-Subject-Token") != "" {
		t.Fatal("a fault must not issue a token")
	}
	if r := e.postToken(body); r.status != http.StatusCreated {
		t.Fatalf("after Times:1: %d %s", r.status, r.body)
	}

	e.sim.SetIAMFault(Fault{Kind: FaultBadGateway})
	for range 2 {
		r := e.postToken(body)
		if r.status != http.StatusBadGateway || r.header.Get("Content-Type") != "text/html" {
			t.Fatalf("bad gateway: %d %q", r.status, r.header.Get("Content-Type"))
		}
	}
	e.sim.SetIAMFault(Fault{Kind: FaultThrottled, Times: 1})
	wantErr(t, e.postToken(body), http.StatusTooManyRequests, "APIGW.0308", true)

	e.sim.SetIAMFault(Fault{Kind: FaultConnReset, Times: 1})
	req := e.newRequest(context.Background(), http.MethodPost, "/v3/auth/tokens", body)
	if resp, err := freshClient(t).Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("reset IAM connection produced %s", resp.Status)
	}

	e.sim.SetIAMFault(Fault{Kind: FaultHang})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if resp, err := e.client.Do(e.newRequest(ctx, http.MethodPost, "/v3/auth/tokens", body)); !errors.Is(err, context.DeadlineExceeded) {
		if err == nil {
			resp.Body.Close()
		}
		t.Fatalf("hung IAM: err = %v", err)
	}

	e.sim.ClearFaults() // clears the IAM fault too
	if r := e.postToken(body); r.status != http.StatusCreated {
		t.Fatalf("after ClearFaults: %d %s", r.status, r.body)
	}
	if got := e.sim.IAMRequests(); got != 8 {
		t.Fatalf("IAMRequests = %d, want 8 (faulted requests count)", got)
	}
}

func TestFaultKindString(t *testing.T) {
	if FaultHugeBody.String() != "FaultHugeBody" || FaultKind(99).String() != "FaultKind(99)" {
		t.Fatal(FaultHugeBody.String(), FaultKind(99).String())
	}
}
