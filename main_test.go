package main

import (
	"bufio"
	"bytes"
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit"
)

// These tests build the real binary (testkit.Binary) and run it as a user
// would.

func TestMain(m *testing.M) {
	code := m.Run()
	testkit.RemoveBinary()
	os.Exit(code)
}

// startExporter runs the binary with args over plain HTTP and waits until
// /-/ready answers.
func startExporter(t *testing.T, args ...string) *e2eExporter {
	t.Helper()
	e := launchExporter(t, "http", http.DefaultClient, args...)
	for start := time.Now(); ; {
		if status, _ := e.request(t, http.MethodGet, "/-/ready"); status == http.StatusOK {
			return e
		}
		if time.Since(start) > 15*time.Second {
			t.Fatalf("exporter not ready within 15s:\n%s", e.logs)
		}
		select {
		case <-e.done:
			t.Fatalf("exporter exited early:\n%s", e.logs)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// get GETs path and returns the body, failing the test unless it is 200.
func (e *e2eExporter) get(t *testing.T, path string) string {
	t.Helper()
	status, body := e.request(t, http.MethodGet, path)
	if status != http.StatusOK {
		t.Fatalf("GET %s: HTTP %d: %s", path, status, body)
	}
	return body
}

// The demo's /metrics shows every metric of the contract, and promtool
// finds nothing to complain about.
func TestDemoServesEveryMetric(t *testing.T) {
	e := startExporter(t, "--demo")
	body := e.get(t, "/metrics")
	for _, name := range []string{
		"codearts_check_task_status{",
		"codearts_check_task_progress_ratio{",
		"codearts_check_task_info{",
		"codearts_check_task_query_success{",
		"codearts_check_task_query_duration_seconds{",
		"codearts_check_task_last_success_timestamp_seconds{",
		"codearts_check_api_requests_total{",
		"codearts_check_up 1",
		"codearts_check_scrape_duration_seconds ",
		"codearts_check_build_info{",
		"codearts_check_config_last_reload_successful 1",
		"go_goroutines ",
		"process_cpu_seconds_total ",
		// The demo has a failed, a succeeded and a never-checked task.
		"} 1\n", "} 2\n", "} -1\n",
	} {
		if !strings.Contains(body, name) {
			t.Errorf("/metrics has no %q", name)
		}
	}
	// api_errors_total has no series until an error happens; its HELP is
	// not shown either, so it is checked by the collector tests.

	promtool, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("promtool is not on PATH; scripts/install-prometheus.sh installs it")
		}
		t.Skip("promtool not on PATH (make test installs it)")
	}
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = strings.NewReader(body)
	out, err := cmd.CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}

	for path, want := range map[string]string{
		"/":          "CodeArts Check Exporter",
		"/-/healthy": "Healthy",
		"/config":    "password: <secret>",
	} {
		if got := e.get(t, path); !strings.Contains(got, want) {
			t.Errorf("GET %s does not contain %q:\n%s", path, want, got)
		}
	}
}

func TestConfigCheck(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yml")
	bad := filepath.Join(dir, "bad.yml")
	os.WriteFile(good, []byte("region: cn-north-4\nauth:\n  iam:\n    domain_name: a\n    username: b\n    password: hunter2\ntasks:\n  - id: abc\n"), 0o600)
	os.WriteFile(bad, []byte("region: cn-north-4\nauth:\n  iam:\n    domain_name: a\n    username: b\n    password: hunter2\ntasks:\n  - id: ../etc\n"), 0o600)

	out, err := exec.Command(testkit.Binary(t), "--config.check", "--config.file="+good).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "is valid") {
		t.Errorf("valid file: %v\n%s", err, out)
	}
	out, err = exec.Command(testkit.Binary(t), "--config.check", "--config.file="+bad).CombinedOutput()
	if err == nil {
		t.Fatalf("invalid file accepted:\n%s", out)
	}
	for _, want := range []string{bad, "line 8", "tasks[0].id"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("--config.check output does not name %q:\n%s", want, out)
		}
	}
	if strings.Contains(string(out), "hunter2") {
		t.Errorf("--config.check shows the password:\n%s", out)
	}
}

func TestStartupFailsOnBadConfig(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, testkit.Binary(t), "--config.file="+filepath.Join(t.TempDir(), "missing.yml"), "--web.listen-address="+testkit.FreeAddr(t))
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("started without a config file:\n%s", out)
	}
	if !strings.Contains(string(out), "missing.yml") {
		t.Errorf("error does not name the file:\n%s", out)
	}
}

func TestVersionFlag(t *testing.T) {
	out, err := exec.Command(testkit.Binary(t), "--version").CombinedOutput()
	if err != nil {
		t.Fatal(err, string(out))
	}
	if first, _, _ := bufio.NewReader(bytes.NewReader(out)).ReadLine(); !bytes.HasPrefix(first, []byte("codearts_check_exporter, version")) {
		t.Errorf("--version: %s", out)
	}
}
