package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/codearts-check-exporter/codearts_check_exporter/config"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/api"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/simulator"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit"
)

// lookupSigner is a signer with no project ID: it looks up region's on the
// simulator. Its clock is clock, which moves only when the test says.
func (e *akskEnv) lookupSigner(t *testing.T, cfg config.AKSK, region string, clock *time.Time) *AKSK {
	t.Helper()
	if cfg.AccessKey == "" {
		cfg.AccessKey = testAK
	}
	cfg.ProjectName, cfg.IAMEndpoint = region, e.url
	a, err := NewAKSK(cfg, e.caller, slog.New(slog.NewTextHandler(e.logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	a.now = func() time.Time { return *clock }
	return a
}

func (e *akskEnv) lookups(t *testing.T, statusClass string) float64 {
	t.Helper()
	return testkit.Counter(t, e.metrics, "codearts_check_api_requests_total", "endpoint", ProjectLookupEndpoint, "status_class", statusClass)
}

// Without a project ID, the first request looks the project up (signed,
// without X-Project-Id, ?name=region) and sends the ID found; later
// requests reuse it.
func TestAKSKProjectLookup(t *testing.T) {
	e := newAKSKEnv(t)
	clock := time.Now()
	a := e.lookupSigner(t, config.AKSK{SecretKey: testSK}, simulator.DefaultProject, &clock)
	for range 5 {
		req, err := e.progress(t, a, "")
		if err != nil {
			t.Fatal(err)
		}
		if got := req.Header.Get(ProjectIDHeader); got != simulator.DefaultProjectID {
			t.Fatalf("X-Project-Id = %q, want the one looked up", got)
		}
	}
	if name, withHeader := e.sim.LastProjectQuery(); name != simulator.DefaultProject || withHeader {
		t.Errorf("lookup asked for %q (X-Project-Id sent: %v)", name, withHeader)
	}
	if e.sim.ProjectRequests() != 1 || e.lookups(t, "2xx") != 1 {
		t.Errorf("%d lookups (%v counted); want 1 for 5 requests", e.sim.ProjectRequests(), e.lookups(t, "2xx"))
	}
	// The lookup and the 5 requests all passed the signature check.
	if e.sim.SignedRequests() != 6 || e.sim.ProgressRequests() != 5 {
		t.Errorf("simulator: %d signed, %d progress", e.sim.SignedRequests(), e.sim.ProgressRequests())
	}
}

// The ID looked up is the one of the configured region, and it is what
// the gateway checks: the key is bound to that project.
func TestAKSKProjectLookupRegion(t *testing.T) {
	e := newAKSKEnv(t)
	const id = "11111111111111111111111111111111"
	e.sim.SetProjects("cn-north-1", id)
	e.sim.AddAccessKey(simulator.AccessKey{ID: "AKNORTH1", Secret: testSK, ProjectID: id})
	clock := time.Now()
	a := e.lookupSigner(t, config.AKSK{AccessKey: "AKNORTH1", SecretKey: testSK}, "cn-north-1", &clock)
	req, err := e.progress(t, a, "")
	if err != nil {
		t.Fatal(err)
	}
	if req.Header.Get(ProjectIDHeader) != id {
		t.Errorf("X-Project-Id = %q, want %q", req.Header.Get(ProjectIDHeader), id)
	}
}

// No project or several of the region's name: a clear error naming the
// region, counted once per lookup; the task request is not sent, and the
// lookup is not repeated for every request until the back-off ends.
func TestAKSKProjectLookupZeroOrSeveral(t *testing.T) {
	for _, c := range []struct {
		name string
		ids  []string
		want []string
	}{
		{"zero", nil, []string{"no IAM project named cn-east-3", "auth.aksk.project_id"}},
		{"several", []string{"aaaa", "bbbb"}, []string{"2 IAM projects named cn-east-3", "aaaa, bbbb", "auth.aksk.project_id"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newAKSKEnv(t)
			e.sim.SetProjects("cn-east-3", c.ids...)
			clock := time.Now()
			a := e.lookupSigner(t, config.AKSK{SecretKey: testSK}, "cn-east-3", &clock)
			for range 3 {
				_, err := e.progress(t, a, "")
				if api.Code(err) != CodeProjectLookup {
					t.Fatalf("err = %v (code %q), want %s", err, api.Code(err), CodeProjectLookup)
				}
				for _, w := range c.want {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not contain %q", err, w)
					}
				}
			}
			if e.sim.ProjectRequests() != 1 || e.sim.ProgressRequests() != 0 {
				t.Errorf("%d lookups, %d progress requests; want 1, 0", e.sim.ProjectRequests(), e.sim.ProgressRequests())
			}
			if got := testkit.ErrorCount(t, e.metrics, CodeProjectLookup); got != 1 {
				t.Errorf("codearts_check_api_errors_total{error_code=%s} = %v, want 1", CodeProjectLookup, got)
			}
			// The answer was signed correctly: signing is not paused, and
			// once the account is fixed, the next lookup after the back-off
			// finds the project.
			e.sim.SetProjects("cn-east-3", simulator.DefaultProjectID)
			clock = clock.Add(20 * time.Second)
			if _, err := e.progress(t, a, ""); err != nil {
				t.Fatalf("after the back-off: %v", err)
			}
			if e.sim.ProjectRequests() != 2 || e.sim.SignatureFailures() != 0 {
				t.Errorf("%d lookups, %d refused signatures; want 2, 0", e.sim.ProjectRequests(), e.sim.SignatureFailures())
			}
		})
	}
}

// A lookup that fails (IAM unavailable) is counted like any API error, and
// retried after a short back-off.
func TestAKSKProjectLookupFailureCounted(t *testing.T) {
	e := newAKSKEnv(t)
	e.sim.SetIAMFault(simulator.Fault{Kind: simulator.FaultServiceUnavailable, Times: 1})
	clock := time.Now()
	a := e.lookupSigner(t, config.AKSK{SecretKey: testSK}, simulator.DefaultProject, &clock)
	_, err := e.progress(t, a, "")
	if api.Code(err) != "APIGW.0613" || !strings.Contains(err.Error(), "region "+simulator.DefaultProject) {
		t.Fatalf("err = %v, want APIGW.0613 naming the region", err)
	}
	if testkit.ErrorCount(t, e.metrics, "APIGW.0613") != 1 || e.lookups(t, "5xx") != 1 {
		t.Errorf("errors %v, 5xx lookups %v; want 1, 1", testkit.ErrorCount(t, e.metrics, "APIGW.0613"), e.lookups(t, "5xx"))
	}
	if _, err := e.progress(t, a, ""); api.Code(err) != "APIGW.0613" || e.sim.ProjectRequests() != 1 {
		t.Fatalf("within the back-off: err = %v, %d lookups; want the same error, no new lookup", err, e.sim.ProjectRequests())
	}
	clock = clock.Add(2 * time.Second)
	if _, err := e.progress(t, a, ""); err != nil {
		t.Fatalf("after the back-off: %v", err)
	}
	if e.sim.ProjectRequests() != 2 || e.sim.ProgressRequests() != 1 {
		t.Errorf("%d lookups, %d progress requests; want 2, 1", e.sim.ProjectRequests(), e.sim.ProgressRequests())
	}
}

// The project found is kept until the credentials change: a rotated
// secret key brings one new lookup, with the new key.
func TestAKSKProjectLookupCachedUntilCredentialsChange(t *testing.T) {
	e := newAKSKEnv(t)
	file := filepath.Join(t.TempDir(), "sk")
	if err := os.WriteFile(file, []byte(testSK+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	clock := time.Now()
	a := e.lookupSigner(t, config.AKSK{SecretKeyFile: file}, simulator.DefaultProject, &clock)
	for range 3 {
		if _, err := e.progress(t, a, ""); err != nil {
			t.Fatal(err)
		}
	}
	if e.sim.ProjectRequests() != 1 {
		t.Fatalf("%d lookups for 3 requests, want 1", e.sim.ProjectRequests())
	}

	const rotated = "sk-Rotated-value-2"
	e.sim.AddAccessKey(simulator.AccessKey{ID: testAK, Secret: rotated, ProjectID: simulator.DefaultProjectID})
	if err := os.WriteFile(file, []byte(rotated+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	a.secretKey.recheck() // as after statInterval
	for range 3 {
		if _, err := e.progress(t, a, ""); err != nil {
			t.Fatal(err)
		}
	}
	if e.sim.ProjectRequests() != 2 || e.sim.SignatureFailures() != 0 {
		t.Errorf("%d lookups, %d refused; want 2 (one per secret key), 0", e.sim.ProjectRequests(), e.sim.SignatureFailures())
	}
}

// A refused signature on the lookup counts toward the pause like any
// other: it is counted and logged once, the requests that follow fail at
// once without reaching IAM or the gateway, and after the pause one probe
// goes first.
func TestAKSKProjectLookupRefusedSignaturePauses(t *testing.T) {
	e := newAKSKEnv(t)
	clock := time.Now()
	a := e.lookupSigner(t, config.AKSK{SecretKey: "wrong-Secret-value"}, simulator.DefaultProject, &clock)
	if _, err := e.progress(t, a, ""); api.Code(err) != "APIGW.0301" {
		t.Fatalf("err = %v, want APIGW.0301", err)
	}
	for range 3 {
		_, err := e.progress(t, a, "")
		var be *BackoffError
		if !errors.As(err, &be) || api.Code(err) != api.CodeCredentials {
			t.Fatalf("while paused: err = %v (code %q), want a BackoffError coded credentials", err, api.Code(err))
		}
	}
	if e.sim.SignatureFailures() != 1 || e.sim.ProjectRequests() != 1 || e.sim.ProgressRequests() != 0 {
		t.Errorf("simulator: %d refused, %d lookups, %d progress; want 1, 1, 0",
			e.sim.SignatureFailures(), e.sim.ProjectRequests(), e.sim.ProgressRequests())
	}
	if got := testkit.ErrorCount(t, e.metrics, "APIGW.0301"); got != 1 {
		t.Errorf("codearts_check_api_errors_total{error_code=APIGW.0301} = %v, want 1", got)
	}
	if n := strings.Count(e.logs.String(), "refused the AK/SK signature"); n != 1 || strings.Contains(e.logs.String(), "wrong-Secret-value") {
		t.Errorf("refusal logged %d times (want once, without the secret):\n%s", n, e.logs)
	}

	// After the pause: one probe, refused again, and a longer pause.
	clock = clock.Add(20 * time.Second)
	if _, err := e.progress(t, a, ""); api.Code(err) != "APIGW.0301" {
		t.Fatalf("after the pause: err = %v, want APIGW.0301", err)
	}
	clock = clock.Add(20 * time.Second)
	if _, err := e.progress(t, a, ""); api.Code(err) != api.CodeCredentials {
		t.Fatalf("20 s into the second pause (30 s): err = %v, want credentials", err)
	}
	if e.sim.SignatureFailures() != 2 {
		t.Errorf("refused signatures = %d, want 2", e.sim.SignatureFailures())
	}
}

// However many requests start at once, one lookup is sent: on a fresh
// signer, where the gate lets one request go first, and after the secret
// key changed on a signer whose signatures were accepted, where every
// request passes the gate at once and they share the lookup in flight.
func TestAKSKProjectLookupOnceForConcurrentRequests(t *testing.T) {
	e := newAKSKEnv(t)
	file := filepath.Join(t.TempDir(), "sk")
	if err := os.WriteFile(file, []byte(testSK+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	clock := time.Now()
	a := e.lookupSigner(t, config.AKSK{SecretKeyFile: file}, simulator.DefaultProject, &clock)
	e.concurrentProgress(t, a, 20)
	if e.sim.ProjectRequests() != 1 || e.sim.ProgressRequests() != 20 {
		t.Errorf("fresh signer: %d lookups, %d progress; want 1, 20", e.sim.ProjectRequests(), e.sim.ProgressRequests())
	}

	const rotated = "sk-Rotated-value-2"
	e.sim.AddAccessKey(simulator.AccessKey{ID: testAK, Secret: rotated, ProjectID: simulator.DefaultProjectID})
	if err := os.WriteFile(file, []byte(rotated+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	a.secretKey.recheck()
	e.concurrentProgress(t, a, 20)
	if e.sim.ProjectRequests() != 2 || e.sim.ProgressRequests() != 40 {
		t.Errorf("after rotation: %d lookups, %d progress; want 2, 40", e.sim.ProjectRequests(), e.sim.ProgressRequests())
	}
}

// concurrentProgress sends n progress requests at once, as concurrent
// task queries do, and fails the test on any error.
func (e *akskEnv) concurrentProgress(t *testing.T, a *AKSK, n int) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- e.sendProgress(a)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

// sendProgress is akskEnv.progress without *testing.T, for goroutines.
func (e *akskEnv) sendProgress(a *AKSK) error {
	req, err := http.NewRequest(http.MethodGet, e.url+"/v2/tasks/"+akskTask+"/progress", nil)
	if err != nil {
		return err
	}
	if err := a.Authorize(context.Background(), req); err != nil {
		return err
	}
	if got := req.Header.Get(ProjectIDHeader); got != simulator.DefaultProjectID {
		return fmt.Errorf("X-Project-Id = %q", got)
	}
	err = e.caller.Do(req, "progress", func(*api.Response) error { return nil })
	v := Accepted
	if err != nil {
		v = Unknown
	}
	a.Done(req, v)
	return err
}
