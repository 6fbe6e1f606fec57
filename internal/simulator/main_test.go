package simulator

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run if any test leaves a goroutine behind: handlers
// held by FaultHang or latency must be released by Close, and connections
// must not outlive the httptest servers.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// env is a simulator served over loopback.
type env struct {
	t      *testing.T
	sim    *Server
	ts     *httptest.Server
	client *http.Client
}

func newEnv(t *testing.T, opts Options) *env {
	t.Helper()
	return serve(t, New(opts))
}

func serve(t *testing.T, sim *Server) *env {
	t.Helper()
	ts := httptest.NewServer(sim)
	// Cleanups run last-in first-out: sim.Close releases hung handlers
	// before ts.Close waits for them.
	t.Cleanup(ts.Close)
	t.Cleanup(sim.Close)
	return &env{t: t, sim: sim, ts: ts, client: ts.Client()}
}

// response is a fully read HTTP answer.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (e *env) do(req *http.Request) response {
	e.t.Helper()
	resp, err := e.client.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatalf("read body: %v", err)
	}
	return response{resp.StatusCode, resp.Header, body}
}

func (e *env) newRequest(ctx context.Context, method, pathAndQuery, body string) *http.Request {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, e.ts.URL+pathAndQuery, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json;charset=utf8")
	}
	return req
}

// tokenJSON builds a password-token request body with a project-name scope.
func tokenJSON(domain, user, password string) string {
	return tokenJSONScope(domain, user, password, map[string]any{"project": map[string]any{"name": DefaultProject}})
}

func tokenJSONScope(domain, user, password string, scope map[string]any) string {
	body := map[string]any{"auth": map[string]any{
		"identity": map[string]any{
			"methods": []string{"password"},
			"password": map[string]any{"user": map[string]any{
				"domain": map[string]any{"name": domain}, "name": user, "password": password,
			}},
		},
		"scope": scope,
	}}
	b, err := json.Marshal(body)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func (e *env) postToken(body string) response {
	e.t.Helper()
	return e.do(e.newRequest(context.Background(), http.MethodPost, "/v3/auth/tokens?nocatalog=true", body))
}

// token logs in as the default user and returns the X-Subject-Token.
func (e *env) token() string {
	e.t.Helper()
	r := e.postToken(tokenJSON(DefaultDomain, DefaultUser, DefaultPassword))
	if r.status != http.StatusCreated {
		e.t.Fatalf("token: status %d, body %s", r.status, r.body)
	}
	return r.header.Get("X-Subject-Token")
}

func progressPath(taskID string) string {
	return "/v2/tasks/" + url.PathEscape(taskID) + "/progress"
}

func (e *env) progressRequest(ctx context.Context, taskID, token string) *http.Request {
	e.t.Helper()
	req := e.newRequest(ctx, http.MethodGet, progressPath(taskID), "")
	if token != "" {
		req.Header.Set("X-Auth-Token", token)
	}
	return req
}

func (e *env) progress(taskID, token string) response {
	e.t.Helper()
	return e.do(e.progressRequest(context.Background(), taskID, token))
}

// errBody is the {"error_code","error_msg","request_id"} dialect.
type errBody struct {
	ErrorCode string  `json:"error_code"`
	ErrorMsg  string  `json:"error_msg"`
	RequestID *string `json:"request_id"`
}

func decodeErr(t *testing.T, r response) errBody {
	t.Helper()
	var b errBody
	if err := json.Unmarshal(r.body, &b); err != nil {
		t.Fatalf("error body %q: %v", r.body, err)
	}
	return b
}

// wantErr checks status, code and, for gateway errors, that request_id
// repeats the X-Request-Id header.
func wantErr(t *testing.T, r response, status int, code string, gateway bool) errBody {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d, want %d (body %s)", r.status, status, r.body)
	}
	b := decodeErr(t, r)
	if b.ErrorCode != code {
		t.Fatalf("error_code = %q, want %q (body %s)", b.ErrorCode, code, r.body)
	}
	if b.ErrorMsg == "" {
		t.Fatalf("empty error_msg: %s", r.body)
	}
	if gateway {
		if b.RequestID == nil || *b.RequestID != r.header.Get("X-Request-Id") {
			t.Fatalf("request_id %v does not match X-Request-Id %q", b.RequestID, r.header.Get("X-Request-Id"))
		}
	}
	if r.header.Get("X-Request-Id") == "" {
		t.Fatal("missing X-Request-Id header")
	}
	return b
}

// freshClient makes one new TCP connection per request, so that a dropped
// connection is reported to the caller instead of being retried silently by
// net/http (which replays idempotent requests that fail on a reused
// keep-alive connection).
func freshClient(t *testing.T) *http.Client {
	t.Helper()
	tr := &http.Transport{DisableKeepAlives: true}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}
