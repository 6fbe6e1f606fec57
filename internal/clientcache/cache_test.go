package clientcache

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"golang.org/x/time/rate"

	"github.com/codearts-check-exporter/codearts_check_exporter/config"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/api"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/codearts"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/simulator"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit"
)

const testTask = "2b31ed5200000000ebedb6e570000000"

func newTestClients(t *testing.T) *Cache {
	t.Helper()
	c := New(api.NewMetrics(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	t.Cleanup(c.Close)
	return c
}

// iamConfig is a valid configuration logging in to the simulator at url as
// user with the simulator's password.
func iamConfig(t *testing.T, url, user string, concurrency int) *config.Config {
	t.Helper()
	login := testkit.IAM(url)
	login.Username = user
	cfg := &config.Config{
		Endpoint:    url,
		Auth:        config.Auth{IAM: login},
		Tasks:       []config.Task{{ID: testTask}},
		Concurrency: concurrency,
		Timeout:     model.Duration(10 * time.Second),
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestForWithoutConfiguration(t *testing.T) {
	c := newTestClients(t)
	if client, err := c.For(nil); client != nil || err == nil || !strings.Contains(err.Error(), "no configuration loaded") {
		t.Errorf("For(nil) = %v, %v; want no client and no configuration loaded", client, err)
	}
}

// A reload that leaves auth and http_client_config alone keeps the IAM
// token: no second login, and the same client while the endpoint and the
// language stay too. Another endpoint gets a client of its own over the
// same token; other credentials log in again.
func TestForKeepsTheTokenWhileCredentialsStay(t *testing.T) {
	sim := simulator.New(simulator.Options{})
	url := testkit.Simulator(t, sim).URL
	sim.SetTask(simulator.Task{ID: testTask, Status: simulator.IntPtr(2)})
	c := newTestClients(t)
	query := func(cfg *config.Config) *codearts.Client {
		t.Helper()
		client, err := c.For(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := client.Progress(context.Background(), testTask, ""); err != nil {
			t.Fatal(err)
		}
		return client
	}
	first := query(iamConfig(t, url, simulator.DefaultUser, 1))
	if query(iamConfig(t, url, simulator.DefaultUser, 2)) != first {
		t.Error("a reload that changed only the concurrency built another client")
	}
	if n := sim.IAMRequests(); n != 1 {
		t.Errorf("%d IAM logins across a reload with the same credentials, want 1", n)
	}
	// The same simulator under another spelling of its address.
	moved := iamConfig(t, url, simulator.DefaultUser, 2)
	moved.Endpoint = url + "/"
	if query(moved) == first {
		t.Error("another endpoint got the client of the old one")
	}
	if n := sim.IAMRequests(); n != 1 {
		t.Errorf("%d IAM logins after the endpoint changed, want 1", n)
	}
	sim.SetPassword(simulator.DefaultDomain, "other-user", simulator.DefaultPassword)
	query(iamConfig(t, url, "other-user", 2))
	if n := sim.IAMRequests(); n != 2 {
		t.Errorf("%d IAM logins after the user changed, want 2", n)
	}
}

// Each configuration asked for sets the process-wide rate limit to its
// max_requests_per_second, also when the client stays.
func TestForAppliesTheRateLimit(t *testing.T) {
	sim := simulator.New(simulator.Options{})
	url := testkit.Simulator(t, sim).URL
	c := newTestClients(t)
	for _, perSecond := range []float64{5, 0, 2} {
		cfg := iamConfig(t, url, simulator.DefaultUser, 1)
		cfg.MaxRequestsPerSecond = perSecond
		if _, err := c.For(cfg); err != nil {
			t.Fatal(err)
		}
		want := rate.Limit(perSecond)
		if perSecond == 0 {
			want = rate.Inf
		}
		if got := c.limit.Limit(); got != want {
			t.Errorf("max_requests_per_second %v: rate limit %v, want %v", perSecond, got, want)
		}
	}
}

// A configuration whose client cannot be built is not cached: For reports
// why each time, and builds it once what was missing is back.
func TestFailedForIsRetried(t *testing.T) {
	file := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(file, []byte("a-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := &config.Config{Endpoint: "http://127.0.0.1:1", Auth: config.Auth{TokenFile: file},
		Tasks: []config.Task{{ID: testTask}}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(file); err != nil {
		t.Fatal(err)
	}
	c := newTestClients(t)
	for range 2 {
		if _, err := c.For(cfg); err == nil || !strings.Contains(err.Error(), "token_file") {
			t.Fatalf("For with the token file gone: err = %v, want a token_file error", err)
		}
	}
	if err := os.WriteFile(file, []byte("a-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if client, err := c.For(cfg); err != nil || client == nil {
		t.Fatalf("For with the token file back: %v, %v", client, err)
	}
}

// Every CodeArts Check call carries the configured X-Language and the
// SDK's Content-Type; the simulator answers in that language.
func TestLanguageHeader(t *testing.T) {
	for _, lang := range []string{"", config.LanguageEnglish, config.LanguageChinese} {
		t.Run("language="+lang, func(t *testing.T) {
			sim := simulator.New(simulator.Options{})
			ts := testkit.Simulator(t, sim)
			sim.SetTask(simulator.Task{ID: testTask, Status: simulator.IntPtr(2)})
			cfg := iamConfig(t, ts.URL, simulator.DefaultUser, 1)
			cfg.Language = lang
			if err := cfg.Validate(); err != nil {
				t.Fatal(err)
			}
			want := lang
			if want == "" {
				want = config.LanguageEnglish
			}
			clients := newTestClients(t)
			client, err := clients.For(cfg)
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			if _, err := client.Progress(ctx, testTask, ""); err != nil {
				t.Fatal(err)
			}
			if _, err := client.DefectsStatistic(ctx, testTask); err != nil {
				t.Fatal(err)
			}
			if _, err := client.DefectsSummary(ctx, testTask); err != nil {
				t.Fatal(err)
			}
			if _, err := client.TaskList(ctx, "p1", 0, 10); err != nil && api.Code(err) == api.CodeInvalidResponse {
				t.Fatal(err)
			}
			for _, call := range []string{simulator.CallProgress, simulator.CallDefectsStatistic, simulator.CallDefectsSummary, simulator.CallTaskList} {
				h := sim.RequestHeaders(call)
				if len(h.Language) != 1 || h.Language[want] != 1 || len(h.ContentType) != 1 || h.ContentType["application/json"] != 1 {
					t.Errorf("%s: sent %+v, want X-Language %s and Content-Type application/json once", call, h, want)
				}
				if len(h.UserAgent) != 1 || h.UserAgent[api.UserAgent] != 1 {
					t.Errorf("%s: sent User-Agent %v, want %s once", call, h.UserAgent, api.UserAgent)
				}
			}
			sim.SetFault(testTask, simulator.Fault{Kind: simulator.FaultTokenExpired})
			_, err = client.Progress(ctx, testTask, "")
			english := strings.Contains(fmtErr(err), "Authentication information expired")
			if english != (want == config.LanguageEnglish) {
				t.Errorf("language %s: error %v", want, err)
			}
		})
	}
}

func fmtErr(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
