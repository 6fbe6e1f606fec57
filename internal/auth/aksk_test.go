package auth

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/codearts-check-exporter/codearts_check_exporter/config"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/api"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/simulator"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit"
)

const (
	akskTask = "0123456789abcdef0123456789abcdef"
	testAK   = "AKTEST00000000000001"
	testSK   = "sk-Test-s3cr3t-value"
)

// akskEnv is a simulator accepting testAK/testSK over loopback, and a
// counting Caller for it.
type akskEnv struct {
	sim     *simulator.Server
	url     string
	caller  *api.Caller
	metrics *api.Metrics
	logs    *testkit.Buffer
}

func newAKSKEnv(t *testing.T) *akskEnv {
	t.Helper()
	sim := simulator.New(simulator.Options{})
	ts := testkit.Simulator(t, sim)
	sim.AddAccessKey(simulator.AccessKey{ID: testAK, Secret: testSK, ProjectID: simulator.DefaultProjectID})
	sim.SetTask(simulator.Task{ID: akskTask, Status: simulator.IntPtr(2)})
	metrics := api.NewMetrics()
	return &akskEnv{sim: sim, url: ts.URL, caller: &api.Caller{Client: ts.Client(), Metrics: metrics}, metrics: metrics, logs: &testkit.Buffer{}}
}

func (e *akskEnv) signer(t *testing.T, cfg config.AKSK) *AKSK {
	t.Helper()
	if cfg.AccessKey == "" {
		cfg.AccessKey = testAK
	}
	if cfg.ProjectID == "" {
		cfg.ProjectID = simulator.DefaultProjectID
	}
	a, err := NewAKSK(cfg, e.caller, slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// progress signs and sends a progress request, as codearts.Client does.
func (e *akskEnv) progress(t *testing.T, a *AKSK, jobID string) (*http.Request, error) {
	t.Helper()
	u := e.url + "/v2/tasks/" + akskTask + "/progress"
	if jobID != "" {
		u += "?" + url.Values{"job_id": {jobID}}.Encode()
	}
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Authorize(context.Background(), req); err != nil {
		return req, err
	}
	err = e.caller.Do(req, "progress", func(*api.Response) error { return nil })
	// Tell the signer the verdict, as codearts.Client does.
	switch {
	case err == nil:
		a.Done(req, Accepted)
	case api.Code(err) == "APIGW.0301":
		a.Done(req, Refused)
	default:
		a.Done(req, Unknown)
	}
	return req, err
}

func TestAKSKSignedRequestPasses(t *testing.T) {
	e := newAKSKEnv(t)
	a := e.signer(t, config.AKSK{SecretKey: testSK})
	req, err := e.progress(t, a, "")
	if err != nil {
		t.Fatal(err)
	}
	if req.Header.Get(TokenHeader) != "" {
		t.Error("a token header was sent in AK/SK mode")
	}
	if got := req.Header.Get(ProjectIDHeader); got != simulator.DefaultProjectID {
		t.Errorf("X-Project-Id = %q", got)
	}
	if !strings.HasPrefix(req.Header.Get("Authorization"), "SDK-HMAC-SHA256 Access="+testAK+", SignedHeaders=host;x-project-id;x-sdk-date, Signature=") {
		t.Errorf("Authorization = %q", req.Header.Get("Authorization"))
	}
	if e.sim.SignedRequests() != 1 || e.sim.SignatureFailures() != 0 {
		t.Errorf("simulator: %d signed, %d refused; want 1, 0", e.sim.SignedRequests(), e.sim.SignatureFailures())
	}
}

// The query is part of the signature: the SDK signer silently leaves out
// query values that are not reflect.Values, and the gateway would then
// refuse every request for a task with a job_id.
func TestAKSKSignsTheQuery(t *testing.T) {
	e := newAKSKEnv(t)
	a := e.signer(t, config.AKSK{SecretKey: testSK})
	for _, jobID := range []string{"job-42", "with space/and~tilde"} {
		if _, err := e.progress(t, a, jobID); err != nil {
			t.Fatalf("job_id %q: %v", jobID, err)
		}
		if got := e.sim.LastQuery(akskTask).Get("job_id"); got != jobID {
			t.Errorf("simulator saw job_id %q, want %q", got, jobID)
		}
	}
	if e.sim.SignedRequests() != 2 {
		t.Errorf("SignedRequests = %d, want 2", e.sim.SignedRequests())
	}
}

// A refused signature is counted, logged once, and pauses signing: API
// Gateway locks an access key after 5 refusals in a row, so the requests
// that follow fail at once without reaching it.
func TestAKSKWrongSecretIsCountedLoggedOnceAndPaused(t *testing.T) {
	e := newAKSKEnv(t)
	a := e.signer(t, config.AKSK{SecretKey: "wrong-Secret-value"})
	if _, err := e.progress(t, a, "job-1"); api.Code(err) != "APIGW.0301" {
		t.Fatalf("err = %v, want APIGW.0301", err)
	}
	for range 3 {
		_, err := e.progress(t, a, "job-1")
		var be *BackoffError
		if !errors.As(err, &be) || api.Code(err) != api.CodeCredentials {
			t.Fatalf("while paused: err = %v (code %q), want a BackoffError coded credentials", err, api.Code(err))
		}
		if msg := err.Error(); !strings.Contains(msg, "AK/SK signing paused") || strings.Contains(msg, "IAM token") {
			t.Fatalf("while paused: err = %q, want it to say AK/SK signing is paused, not a word of IAM tokens", msg)
		}
	}
	if got := e.sim.SignatureFailures(); got != 1 {
		t.Errorf("refused signatures at the gateway = %d, want 1", got)
	}
	if got := testkit.ErrorCount(t, e.metrics, "APIGW.0301"); got != 1 {
		t.Errorf("codearts_check_api_errors_total{error_code=APIGW.0301} = %v, want 1", got)
	}
	if n := strings.Count(e.logs.String(), "refused the AK/SK signature"); n != 1 {
		t.Errorf("refusal logged %d times, want once:\n%s", n, e.logs)
	}
	if strings.Contains(e.logs.String(), "wrong-Secret-value") {
		t.Errorf("the secret key was logged:\n%s", e.logs)
	}
}

func TestAKSKClockSkew(t *testing.T) {
	e := newAKSKEnv(t)
	a := e.signer(t, config.AKSK{SecretKey: testSK})
	a.now = func() time.Time { return time.Now().Add(-20 * time.Minute) }
	if _, err := e.progress(t, a, ""); api.Code(err) != "APIGW.0301" {
		t.Fatalf("a clock 20 minutes slow: err = %v, want APIGW.0301", err)
	}
}

// A rotated secret key file is picked up; after a refusal, at once.
func TestAKSKSecretKeyFileRotation(t *testing.T) {
	e := newAKSKEnv(t)
	file := filepath.Join(t.TempDir(), "sk")
	if err := os.WriteFile(file, []byte("old-secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	a := e.signer(t, config.AKSK{SecretKeyFile: file})
	if _, err := e.progress(t, a, ""); api.Code(err) != "APIGW.0301" {
		t.Fatalf("old secret: err = %v, want APIGW.0301", err)
	}
	if err := os.WriteFile(file, []byte(testSK+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// Past the pause that followed the refusal (well within the gateway's
	// 15 minutes of allowed clock skew).
	a.now = func() time.Time { return time.Now().Add(time.Minute) }
	if _, err := e.progress(t, a, ""); err != nil {
		t.Fatalf("rotated secret: %v", err)
	}
}

func TestAKSKTemporaryCredentials(t *testing.T) {
	e := newAKSKEnv(t)
	e.sim.AddAccessKey(simulator.AccessKey{ID: "AKTEMP", Secret: "sk-temp", SecurityToken: "sts-T0ken"})
	file := filepath.Join(t.TempDir(), "sts")
	if err := os.WriteFile(file, []byte("sts-T0ken\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	a := e.signer(t, config.AKSK{AccessKey: "AKTEMP", SecretKey: "sk-temp", SecurityTokenFile: file})
	req, err := e.progress(t, a, "")
	if err != nil {
		t.Fatal(err)
	}
	if req.Header.Get(SecurityTokenHeader) != "sts-T0ken" {
		t.Error("X-Security-Token not sent")
	}
	if !strings.Contains(req.Header.Get("Authorization"), "x-security-token") {
		t.Errorf("X-Security-Token not signed: %s", req.Header.Get("Authorization"))
	}

	// Without the token, temporary credentials are refused.
	b := e.signer(t, config.AKSK{AccessKey: "AKTEMP", SecretKey: "sk-temp"})
	if _, err := e.progress(t, b, ""); api.Code(err) != "APIGW.0301" {
		t.Fatalf("no security token: err = %v, want APIGW.0301", err)
	}
}

func TestNewAKSKFileErrors(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		cfg  config.AKSK
		want string
	}{
		{config.AKSK{SecretKeyFile: filepath.Join(dir, "absent")}, "secret_key_file: stat"},
		{config.AKSK{SecretKeyFile: empty}, "secret_key_file: " + empty + " is empty"},
		{config.AKSK{SecretKey: testSK, SecurityTokenFile: filepath.Join(dir, "absent")}, "security_token_file: stat"},
		{config.AKSK{}, "no secret key"},
	} {
		c.cfg.AccessKey, c.cfg.ProjectID = testAK, "p1"
		_, err := NewAKSK(c.cfg, nil, slog.New(slog.NewTextHandler(&testkit.Buffer{}, nil)))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("NewAKSK(%+v) error = %v, want %q", c.cfg, err, c.want)
		}
	}
}

// Requests with a body are refused rather than signed wrongly.
func TestAKSKRefusesBodies(t *testing.T) {
	e := newAKSKEnv(t)
	a := e.signer(t, config.AKSK{SecretKey: testSK})
	req, err := http.NewRequest(http.MethodPost, e.url+"/x", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Authorize(context.Background(), req); err == nil {
		t.Fatal("a request with a body was signed")
	}
}
