package auth

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/codearts-check-exporter/codearts_check_exporter/config"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/api"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/simulator"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit/stdkit"
)

const (
	akskTask  = "0123456789abcdef0123456789abcdef"
	otherTask = "fedcba9876543210fedcba9876543210"
	testAK    = "AKTEST00000000000001"
	testSK    = "sk-Test-s3cr3t-value"
)

// akskEnv is a simulator accepting testAK/testSK over loopback, with two
// tasks, a counting Caller for it, and a clock for the signers.
type akskEnv struct {
	sim     *simulator.Server
	url     string
	caller  *api.Caller
	metrics *api.Metrics
	logs    *testkit.Buffer
	clock   *stdkit.Clock
}

func newAKSKEnv(t *testing.T) *akskEnv {
	t.Helper()
	sim := simulator.New(simulator.Options{})
	ts := testkit.Simulator(t, sim)
	sim.AddAccessKey(simulator.AccessKey{ID: testAK, Secret: testSK, ProjectID: simulator.DefaultProjectID})
	sim.SetTask(simulator.Task{ID: akskTask, Status: simulator.IntPtr(2)})
	sim.SetTask(simulator.Task{ID: otherTask, Status: simulator.IntPtr(2)})
	metrics := api.NewMetrics()
	return &akskEnv{sim: sim, url: ts.URL, caller: &api.Caller{Client: ts.Client(), Metrics: metrics},
		metrics: metrics, logs: &testkit.Buffer{}, clock: stdkit.NewClock(time.Now())}
}

// signer is a signer for cfg on e.clock: access key testAK unless set, and
// the simulator's project unless cfg.ProjectName (a region) asks for a
// lookup on the simulator.
func (e *akskEnv) signer(t *testing.T, cfg config.AKSK) *AKSK {
	t.Helper()
	if cfg.AccessKey == "" {
		cfg.AccessKey = testAK
	}
	if cfg.ProjectName != "" {
		cfg.IAMEndpoint = e.url
	} else if cfg.ProjectID == "" {
		cfg.ProjectID = simulator.DefaultProjectID
	}
	logger := slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	a, err := NewAKSK(cfg, e.caller, logger)
	if err != nil {
		t.Fatal(err)
	}
	a.now = e.clock.Now
	return a
}

// send signs and sends a progress request for task, and tells the signer
// the verdict, as codearts.Client does.
func (e *akskEnv) send(a *AKSK, task, jobID string) (*http.Request, error) {
	u := e.url + "/v2/tasks/" + task + "/progress"
	if jobID != "" {
		u += "?" + url.Values{"job_id": {jobID}}.Encode()
	}
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err == nil {
		err = a.Authorize(context.Background(), req)
	}
	if err != nil {
		return req, err
	}
	err = e.caller.Do(req, "progress", func(*api.Response) error { return nil })
	a.Done(req, lookupVerdict(err))
	return req, err
}

// progress is send for akskTask.
func (e *akskEnv) progress(a *AKSK) (*http.Request, error) { return e.send(a, akskTask, "") }

// paused fails the test unless err says signing is paused after a refusal.
func paused(t *testing.T, err error) {
	t.Helper()
	var be *BackoffError
	if !errors.As(err, &be) || api.Code(err) != api.CodeCredentials ||
		!strings.Contains(err.Error(), "AK/SK signing paused") || strings.Contains(err.Error(), "IAM token") {
		t.Fatalf("err = %v (code %q), want a BackoffError coded credentials saying AK/SK signing is paused",
			err, api.Code(err))
	}
}

func TestAKSKSignedRequestPasses(t *testing.T) {
	e := newAKSKEnv(t)
	a := e.signer(t, config.AKSK{SecretKey: testSK})
	req, err := e.progress(a)
	if err != nil {
		t.Fatal(err)
	}
	if req.Header.Get(TokenHeader) != "" {
		t.Error("a token header was sent in AK/SK mode")
	}
	if got := req.Header.Get(ProjectIDHeader); got != simulator.DefaultProjectID {
		t.Errorf("X-Project-Id = %q", got)
	}
	want := "SDK-HMAC-SHA256 Access=" + testAK + ", SignedHeaders=host;x-project-id;x-sdk-date, Signature="
	if !strings.HasPrefix(req.Header.Get("Authorization"), want) {
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
		if _, err := e.send(a, akskTask, jobID); err != nil {
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

// A refused signature, on a task request or on the project lookup, is
// counted and logged once without the secret, and pauses signing: API
// Gateway locks an access key after 5 refusals in a row, so the requests
// that follow fail at once without reaching IAM or the gateway. After the
// pause one probe goes, and its refusal brings a longer pause.
func TestAKSKRefusalPauses(t *testing.T) {
	for _, region := range []string{"", simulator.DefaultProject} {
		t.Run("lookup="+region, func(t *testing.T) {
			e := newAKSKEnv(t)
			a := e.signer(t, config.AKSK{SecretKey: "wrong-Secret-value", ProjectName: region})
			if _, err := e.progress(a); api.Code(err) != "APIGW.0301" {
				t.Fatalf("err = %v, want APIGW.0301", err)
			}
			for range 3 {
				_, err := e.progress(a)
				paused(t, err)
			}
			if sent := e.sim.ProgressRequests() + e.sim.ProjectRequests(); e.sim.SignatureFailures() != 1 || sent != 1 {
				t.Errorf("simulator: %d refused of %d requests; want 1 of 1", e.sim.SignatureFailures(), sent)
			}
			if got := testkit.ErrorCount(t, e.metrics, "APIGW.0301"); got != 1 {
				t.Errorf("codearts_check_api_errors_total{error_code=APIGW.0301} = %v, want 1", got)
			}
			logs := e.logs.String()
			n := strings.Count(logs, "refused the AK/SK signature")
			if n != 1 || strings.Contains(logs, "wrong-Secret-value") {
				t.Errorf("refusal logged %d times (want once, without the secret):\n%s", n, logs)
			}

			e.clock.Advance(20 * time.Second)
			if _, err := e.progress(a); api.Code(err) != "APIGW.0301" {
				t.Fatalf("after the pause: err = %v, want APIGW.0301", err)
			}
			e.clock.Advance(20 * time.Second)
			_, err := e.progress(a)
			paused(t, err) // 20 s into the second pause (30 s)
			if e.sim.SignatureFailures() != 2 {
				t.Errorf("refused signatures = %d, want 2", e.sim.SignatureFailures())
			}
		})
	}
}

// One task's refusal pauses signing for that task only, until a request for
// another task tells the key's refusal from the task's: refused too, it
// pauses every task, so a wrong key costs two refused signatures however
// many requests start at once; accepted, it ends the pause. A refusal heard
// after a later request was accepted changes nothing.
func TestAKSKRefusedKeyOrTask(t *testing.T) {
	t.Run("key", func(t *testing.T) {
		e := newAKSKEnv(t)
		a := e.signer(t, config.AKSK{SecretKey: "wrong-Secret-value"})
		tasks := []string{akskTask, otherTask}
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, _ = e.send(a, tasks[i%2], "")
			}()
		}
		wg.Wait()
		if got := e.sim.SignatureFailures(); got != 2 {
			t.Errorf("refused signatures for 20 requests at once = %d, want 2", got)
		}
		for _, task := range tasks {
			_, err := e.send(a, task, "")
			paused(t, err)
		}
		// Past the (second, 30 s) pause, a probe refused again is not news.
		e.clock.Advance(40 * time.Second)
		if _, err := e.progress(a); api.Code(err) != "APIGW.0301" {
			t.Fatalf("after the pause: err = %v, want APIGW.0301", err)
		}
		if n := strings.Count(e.logs.String(), "the access key is refused"); n != 1 {
			t.Errorf("the key's refusal logged %d times, want once:\n%s", n, e.logs)
		}
	})
	t.Run("task", func(t *testing.T) {
		e := newAKSKEnv(t)
		e.sim.SetFault(akskTask, simulator.Fault{Kind: simulator.FaultTokenExpired})
		a := e.signer(t, config.AKSK{SecretKey: testSK})
		if _, err := e.progress(a); api.Code(err) != "CC.00000003" {
			t.Fatalf("err = %v, want the task's 401", err)
		}
		_, err := e.progress(a)
		paused(t, err)
		if _, err := e.send(a, otherTask, ""); err != nil {
			t.Fatalf("another task: %v", err)
		}
		// The pause has ended; a refusal of a request sent before an
		// accepted one does not start another.
		refused, _ := http.NewRequest(http.MethodGet, e.url+"/v2/tasks/"+akskTask+"/progress", nil)
		accepted, _ := http.NewRequest(http.MethodGet, e.url+"/v2/tasks/"+otherTask+"/progress", nil)
		for _, req := range []*http.Request{refused, accepted} {
			if err := a.Authorize(context.Background(), req); err != nil {
				t.Fatal(err)
			}
		}
		a.Done(accepted, Accepted)
		a.Done(refused, Refused)
		if _, err := e.progress(a); api.Code(err) != "CC.00000003" {
			t.Fatalf("err = %v, want the task's 401 again, not a pause", err)
		}
	})
}

func TestAKSKClockSkew(t *testing.T) {
	e := newAKSKEnv(t)
	a := e.signer(t, config.AKSK{SecretKey: testSK})
	e.clock.Advance(-20 * time.Minute)
	if _, err := e.progress(a); api.Code(err) != "APIGW.0301" {
		t.Fatalf("a clock 20 minutes slow: err = %v, want APIGW.0301", err)
	}
}

// A rotated secret key file is picked up; after a refusal, at once.
func TestAKSKSecretKeyFileRotation(t *testing.T) {
	e := newAKSKEnv(t)
	file := filepath.Join(t.TempDir(), "sk")
	writeFile(t, file, "old-secret\n")
	a := e.signer(t, config.AKSK{SecretKeyFile: file})
	if _, err := e.progress(a); api.Code(err) != "APIGW.0301" {
		t.Fatalf("old secret: err = %v, want APIGW.0301", err)
	}
	writeFile(t, file, testSK+"\n")
	// Past the pause that followed the refusal (well within the gateway's
	// 15 minutes of allowed clock skew).
	e.clock.Advance(time.Minute)
	if _, err := e.progress(a); err != nil {
		t.Fatalf("rotated secret: %v", err)
	}
}

func TestAKSKTemporaryCredentials(t *testing.T) {
	e := newAKSKEnv(t)
	e.sim.AddAccessKey(simulator.AccessKey{ID: "AKTEMP", Secret: "sk-temp", SecurityToken: "sts-T0ken"})
	file := filepath.Join(t.TempDir(), "sts")
	writeFile(t, file, "sts-T0ken\n")
	a := e.signer(t, config.AKSK{AccessKey: "AKTEMP", SecretKey: "sk-temp", SecurityTokenFile: file})
	req, err := e.progress(a)
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
	if _, err := e.progress(b); api.Code(err) != "APIGW.0301" {
		t.Fatalf("no security token: err = %v, want APIGW.0301", err)
	}
}

func TestNewAKSKFileErrors(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	writeFile(t, empty, "\n")
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
