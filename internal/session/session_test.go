package session

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

	"github.com/codearts-check-exporter/codearts_check_exporter/config"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/api"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/simulator"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit"
)

const testTask = "2b31ed5200000000ebedb6e570000000"

func newTestSession(t *testing.T) *Session {
	t.Helper()
	s := New(api.NewMetrics(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	t.Cleanup(s.Close)
	return s
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

func TestCurrentWithoutConfiguration(t *testing.T) {
	s := newTestSession(t)
	if _, err := s.Current(); err == nil || !strings.Contains(err.Error(), "no configuration loaded") {
		t.Errorf("Current before Update: err = %v, want no configuration loaded", err)
	}
	if s.Config() != nil {
		t.Error("Config before Update is not nil")
	}
}

// A reload that leaves auth and http_client_config alone keeps the IAM
// token: no second login. Other credentials log in again.
func TestUpdateKeepsTheTokenWhileCredentialsStay(t *testing.T) {
	sim := simulator.New(simulator.Options{})
	url := testkit.Simulator(t, sim).URL
	sim.SetTask(simulator.Task{ID: testTask, Status: simulator.IntPtr(2)})
	s := newTestSession(t)
	query := func(cfg *config.Config) *config.Config {
		t.Helper()
		if err := s.Update(cfg); err != nil {
			t.Fatal(err)
		}
		a, err := s.Current()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.Client.Progress(context.Background(), testTask, ""); err != nil {
			t.Fatal(err)
		}
		return a.Config
	}
	first := iamConfig(t, url, simulator.DefaultUser, 1)
	if got := query(first); got != first {
		t.Error("Current's configuration is not the one put in force")
	}
	second := iamConfig(t, url, simulator.DefaultUser, 2)
	if got := query(second); got != second || got.Concurrency != 2 {
		t.Error("Current's configuration is not the reloaded one")
	}
	if n := sim.IAMRequests(); n != 1 {
		t.Errorf("%d IAM logins across a reload with the same credentials, want 1", n)
	}
	sim.SetPassword(simulator.DefaultDomain, "other-user", simulator.DefaultPassword)
	query(iamConfig(t, url, "other-user", 2))
	if n := sim.IAMRequests(); n != 2 {
		t.Errorf("%d IAM logins after the user changed, want 2", n)
	}
}

// A configuration whose session cannot be built stays in force: Update and
// Current report why, and Current builds it once what was missing is back.
func TestFailedUpdateIsRetriedByCurrent(t *testing.T) {
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
	s := newTestSession(t)
	if err := s.Update(cfg); err == nil || !strings.Contains(err.Error(), "token_file") {
		t.Fatalf("Update with the token file gone: err = %v, want a token_file error", err)
	}
	if s.Config() != cfg {
		t.Error("the configuration did not stay in force after a failed Update")
	}
	if _, err := s.Current(); err == nil || !strings.Contains(err.Error(), "token_file") {
		t.Fatalf("Current with the token file gone: err = %v, want a token_file error", err)
	}
	if err := os.WriteFile(file, []byte("a-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	a, err := s.Current()
	if err != nil || a.Config != cfg || a.Client == nil {
		t.Fatalf("Current with the token file back: %+v, %v", a, err)
	}
}
