package main

import (
	"net/http"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/codearts-check-exporter/codearts_check_exporter/internal/simulator"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit/stdkit"
)

const (
	e2eTaskA = "3f9a1c7e5b2d4f608a1e3c5b7d9f1a2b"
	e2eTaskB = "8c2e4a6f0b1d3e5a7c9f2b4d6e8a0c1d"
)

func e2eTasks(api *e2eAPI) {
	api.sim.SetTask(simulator.Task{ID: e2eTaskA, Status: simulator.IntPtr(2), Ratio: simulator.StrPtr("100%")})
	api.sim.SetTask(simulator.Task{ID: e2eTaskB, Status: simulator.IntPtr(1)})
}

// waitMetric scrapes until series has value want (a SIGHUP reload happens
// in the background), and fails after a generous while.
func waitMetric(t *testing.T, e *e2eExporter, series string, want float64) string {
	t.Helper()
	for start := time.Now(); ; {
		body := e.scrape(t)
		if v, ok := metricValue(body, series); ok && v == want {
			return body
		}
		if time.Since(start) > 20*time.Second {
			t.Fatalf("%s never became %v:\n%s", series, want, body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Reload by SIGHUP and POST /-/reload: a broken file changes nothing but
// the reload metrics and says why; a valid one is in force at the next
// scrape and keeps the IAM token when the credentials did not change.
func TestE2EReload(t *testing.T) {
	api := newE2EAPI(t, simulator.Options{})
	e2eTasks(api)
	cfgFile := filepath.Join(t.TempDir(), "config.yml")
	cfg := e2eConfig{endpoint: api.url, user: simulator.DefaultUser, password: simulator.DefaultPassword, tasks: []string{e2eTaskA}}
	cfg.write(t, cfgFile)
	e := launchExporter(t, "http", http.DefaultClient, "--config.file="+cfgFile)

	body := e.scrape(t)
	if v, _ := metricValue(body, taskSeries("codearts_check_task_status", e2eTaskA)); v != 2 {
		t.Fatalf("task A status %v, want 2:\n%s", v, body)
	}
	if _, ok := metricValue(body, "codearts_check_config_last_reload_successful"); !ok {
		t.Fatalf("no codearts_check_config_last_reload_successful:\n%s", body)
	}
	stamp, _ := metricValue(body, "codearts_check_config_last_reload_success_timestamp_seconds")

	// Only POST reloads.
	for _, method := range []string{http.MethodGet, http.MethodPut} {
		if status, _ := e.request(t, method, "/-/reload"); status != http.StatusMethodNotAllowed {
			t.Errorf("%s /-/reload: HTTP %d, want 405", method, status)
		}
	}

	// A file that fails validation: non-2xx with the reason, the old
	// configuration stays, and Prometheus is told.
	broken := cfg
	broken.tasks = []string{"../" + e2eTaskB}
	broken.write(t, cfgFile)
	status, reason := e.request(t, http.MethodPost, "/-/reload")
	if status < 300 || !strings.Contains(reason, "tasks[0].id") {
		t.Errorf("POST /-/reload of a broken file: HTTP %d %q, want non-2xx naming tasks[0].id", status, reason)
	}
	body = e.scrape(t)
	if v, _ := metricValue(body, "codearts_check_config_last_reload_successful"); v != 0 {
		t.Errorf("last_reload_successful = %v after a failed reload, want 0", v)
	}
	if v, _ := metricValue(body, taskSeries("codearts_check_task_query_success", e2eTaskA)); v != 1 {
		t.Errorf("after a failed reload task A query_success = %v, want 1 (old config in force):\n%s", v, body)
	}
	if v, _ := metricValue(body, "codearts_check_config_last_reload_success_timestamp_seconds"); v != stamp {
		t.Errorf("success timestamp moved to %v on a failed reload, want %v", v, stamp)
	}

	// A valid file by SIGHUP, same credentials: task B appears at the next
	// scrape, and the cached token is kept.
	grown := cfg
	grown.tasks = []string{e2eTaskA, e2eTaskB}
	grown.write(t, cfgFile)
	e.signal(t, syscall.SIGHUP)
	waitMetric(t, e, "codearts_check_config_last_reload_successful", 1)
	body = e.scrape(t)
	if v, ok := metricValue(body, taskSeries("codearts_check_task_status", e2eTaskB)); !ok || v != 1 {
		t.Errorf("task B status %v (present %v) after the reload, want 1:\n%s", v, ok, body)
	}
	if v, _ := metricValue(body, "codearts_check_config_last_reload_success_timestamp_seconds"); v <= stamp {
		t.Errorf("success timestamp %v after a successful reload, want > %v", v, stamp)
	}
	if got := api.sim.IAMRequests(); got != 1 {
		t.Errorf("IAM requests = %d, want 1: unchanged credentials keep the token", got)
	}

	// A broken file by SIGHUP: logged, metric 0, config kept.
	broken.write(t, cfgFile)
	e.signal(t, syscall.SIGHUP)
	body = waitMetric(t, e, "codearts_check_config_last_reload_successful", 0)
	if v, _ := metricValue(body, taskSeries("codearts_check_task_query_success", e2eTaskB)); v != 1 {
		t.Errorf("after a failed SIGHUP reload task B query_success = %v, want 1", v)
	}
	if !strings.Contains(e.logs.String(), "tasks[0].id") {
		t.Errorf("the failed SIGHUP reload did not log its reason:\n%s", e.logs)
	}

	// Other credentials: a new token at the next scrape.
	api.sim.SetPassword(simulator.DefaultDomain, "other-user", "other-password")
	other := grown
	other.user, other.password = "other-user", "other-password"
	other.write(t, cfgFile)
	if status, body := e.request(t, http.MethodPost, "/-/reload"); status != http.StatusOK {
		t.Fatalf("POST /-/reload of a valid file: HTTP %d %s", status, body)
	}
	body = e.scrape(t)
	if v, _ := metricValue(body, "codearts_check_up"); v != 1 {
		t.Errorf("up = %v with the new credentials, want 1", v)
	}
	if got := api.sim.IAMRequests(); got != 2 {
		t.Errorf("IAM requests = %d, want 2: changed credentials need a new token", got)
	}
}

// SIGTERM while a scrape waits on a task that never answers: the process
// stops and exits 0 within a few seconds, without waiting for the scrape's
// own deadline.
func TestE2ESIGTERMWithScrapeInFlight(t *testing.T) {
	t.Parallel() // it waits out the shutdown grace period
	api := newE2EAPI(t, simulator.Options{})
	e2eTasks(api)
	cfgFile := filepath.Join(t.TempDir(), "config.yml")
	// The scrape timeout is far above the shutdown grace period, so that
	// only shutdown can end the scrape.
	e2eConfig{endpoint: api.url, user: simulator.DefaultUser, password: simulator.DefaultPassword,
		tasks: []string{e2eTaskA}, timeout: "2m"}.write(t, cfgFile)
	e := launchExporter(t, "http", http.DefaultClient, "--config.file="+cfgFile)
	e.scrape(t)

	api.sim.SetFault(e2eTaskA, simulator.Fault{Kind: simulator.FaultHang})
	scraped := make(chan error, 1)
	go func() {
		resp, err := http.Get(e.base + "/metrics")
		if err == nil {
			resp.Body.Close()
		}
		scraped <- err
	}()
	stdkit.WaitFor(t, "the scrape's query to reach the API", func() bool { return api.sim.InFlight() > 0 })
	start := time.Now()
	e.signal(t, syscall.SIGTERM)
	select {
	case <-e.done:
	case <-time.After(20 * time.Second):
		t.Fatalf("still running 20s after SIGTERM")
	}
	// The deadline is the behaviour under test: the grace period is 5 s;
	// the bound leaves a loaded machine room.
	if elapsed := time.Since(start); elapsed > 10*time.Second {
		t.Errorf("exited %v after SIGTERM, want within a few seconds", elapsed)
	}
	if code := e.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("exit code %d after SIGTERM, want 0", code)
	}
	<-scraped // answered or cut off; either way it does not hang
	if !strings.Contains(e.logs.String(), "Shutting down") {
		t.Errorf("no shutdown message in the logs:\n%s", e.logs)
	}
}
