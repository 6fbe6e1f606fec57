package auth

import (
	"fmt"
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

func (e *akskEnv) lookups(t *testing.T, statusClass string) float64 {
	t.Helper()
	return testkit.Counter(t, e.metrics, "codearts_check_api_requests_total",
		"endpoint", ProjectLookupEndpoint, "status_class", statusClass)
}

// Without a project ID, the first request looks up the project of the
// configured region (signed, without X-Project-Id, ?name=region) and sends
// the ID found, which the gateway checks (the key is bound to it); later
// requests reuse it.
func TestAKSKProjectLookup(t *testing.T) {
	const north1 = "11111111111111111111111111111111"
	regions := map[string]string{simulator.DefaultProject: simulator.DefaultProjectID, "cn-north-1": north1}
	for region, id := range regions {
		t.Run(region, func(t *testing.T) {
			e := newAKSKEnv(t)
			e.sim.SetProjects("cn-north-1", north1)
			e.sim.AddAccessKey(simulator.AccessKey{ID: "AKNORTH1", Secret: testSK, ProjectID: north1})
			ak := map[string]string{"cn-north-1": "AKNORTH1"}[region]
			a := e.signer(t, config.AKSK{AccessKey: ak, SecretKey: testSK, ProjectName: region})
			for range 5 {
				req, err := e.progress(a)
				if err != nil {
					t.Fatal(err)
				}
				if got := req.Header.Get(ProjectIDHeader); got != id {
					t.Fatalf("X-Project-Id = %q, want %q", got, id)
				}
			}
			if name, withHeader := e.sim.LastProjectQuery(); name != region || withHeader {
				t.Errorf("lookup asked for %q (X-Project-Id sent: %v)", name, withHeader)
			}
			if e.sim.ProjectRequests() != 1 || e.lookups(t, "2xx") != 1 {
				t.Errorf("%d lookups (%v counted); want 1 for 5 requests", e.sim.ProjectRequests(), e.lookups(t, "2xx"))
			}
			// The lookup and the 5 requests all passed the signature check.
			if e.sim.SignedRequests() != 6 || e.sim.ProgressRequests() != 5 {
				t.Errorf("simulator: %d signed, %d progress", e.sim.SignedRequests(), e.sim.ProgressRequests())
			}
		})
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
		{"several", []string{"aaaa", "bbbb"},
			[]string{"2 IAM projects named cn-east-3", "aaaa, bbbb", "auth.aksk.project_id"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newAKSKEnv(t)
			e.sim.SetProjects("cn-east-3", c.ids...)
			a := e.signer(t, config.AKSK{SecretKey: testSK, ProjectName: "cn-east-3"})
			for range 3 {
				_, err := e.progress(a)
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
				t.Errorf("%d lookups, %d progress; want 1, 0", e.sim.ProjectRequests(), e.sim.ProgressRequests())
			}
			if got := testkit.ErrorCount(t, e.metrics, CodeProjectLookup); got != 1 {
				t.Errorf("codearts_check_api_errors_total{error_code=%s} = %v, want 1", CodeProjectLookup, got)
			}
			// The answer was signed correctly: signing is not paused, and
			// once the account is fixed, the next lookup after the back-off
			// finds the project.
			e.sim.SetProjects("cn-east-3", simulator.DefaultProjectID)
			e.clock.Advance(20 * time.Second)
			if _, err := e.progress(a); err != nil {
				t.Fatalf("after the back-off: %v", err)
			}
			if e.sim.ProjectRequests() != 2 || e.sim.SignatureFailures() != 0 {
				t.Errorf("%d lookups, %d refused; want 2, 0", e.sim.ProjectRequests(), e.sim.SignatureFailures())
			}
		})
	}
}

// A lookup that fails (IAM unavailable) is counted like any API error, and
// retried after a short back-off.
func TestAKSKProjectLookupFailureCounted(t *testing.T) {
	e := newAKSKEnv(t)
	e.sim.SetIAMFault(simulator.Fault{Kind: simulator.FaultServiceUnavailable, Times: 1})
	a := e.signer(t, config.AKSK{SecretKey: testSK, ProjectName: simulator.DefaultProject})
	_, err := e.progress(a)
	if api.Code(err) != "APIGW.0613" || !strings.Contains(err.Error(), "region "+simulator.DefaultProject) {
		t.Fatalf("err = %v, want APIGW.0613 naming the region", err)
	}
	if errs := testkit.ErrorCount(t, e.metrics, "APIGW.0613"); errs != 1 || e.lookups(t, "5xx") != 1 {
		t.Errorf("errors %v, 5xx lookups %v; want 1, 1", errs, e.lookups(t, "5xx"))
	}
	if _, err := e.progress(a); api.Code(err) != "APIGW.0613" || e.sim.ProjectRequests() != 1 {
		t.Fatalf("within the back-off: err = %v, %d lookups; want the same error, no new lookup",
			err, e.sim.ProjectRequests())
	}
	e.clock.Advance(2 * time.Second)
	if _, err := e.progress(a); err != nil {
		t.Fatalf("after the back-off: %v", err)
	}
	if e.sim.ProjectRequests() != 2 || e.sim.ProgressRequests() != 1 {
		t.Errorf("%d lookups, %d progress requests; want 2, 1", e.sim.ProjectRequests(), e.sim.ProgressRequests())
	}
}

// However many requests start at once, one lookup is sent, and the project
// found is kept until the credentials change: on a fresh signer, where the
// gate lets one request go first, and after the secret key changed on a
// signer whose signatures were accepted, where every request passes the
// gate at once and they share one lookup, made with the new key.
func TestAKSKProjectLookupOncePerCredentials(t *testing.T) {
	e := newAKSKEnv(t)
	file := filepath.Join(t.TempDir(), "sk")
	writeFile(t, file, testSK+"\n")
	a := e.signer(t, config.AKSK{SecretKeyFile: file, ProjectName: simulator.DefaultProject})
	e.concurrentProgress(t, a, 20)
	if e.sim.ProjectRequests() != 1 || e.sim.ProgressRequests() != 20 {
		t.Errorf("fresh signer: %d lookups, %d progress; want 1, 20", e.sim.ProjectRequests(), e.sim.ProgressRequests())
	}

	const rotated = "sk-Rotated-value-2"
	e.sim.AddAccessKey(simulator.AccessKey{ID: testAK, Secret: rotated, ProjectID: simulator.DefaultProjectID})
	writeFile(t, file, rotated+"\n")
	a.secretKey.recheck() // as after statInterval
	e.concurrentProgress(t, a, 20)
	if e.sim.ProjectRequests() != 2 || e.sim.ProgressRequests() != 40 || e.sim.SignatureFailures() != 0 {
		t.Errorf("after rotation: %d lookups, %d progress, %d refused; want 2, 40, 0",
			e.sim.ProjectRequests(), e.sim.ProgressRequests(), e.sim.SignatureFailures())
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
			req, err := e.progress(a)
			if got := req.Header.Get(ProjectIDHeader); err == nil && got != simulator.DefaultProjectID {
				err = fmt.Errorf("X-Project-Id = %q", got)
			}
			errs <- err
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
