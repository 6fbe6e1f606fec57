package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/codearts-check-exporter/codearts_check_exporter/internal/simulator"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit/stdkit"
)

// The shortest interval the exporter accepts: the waits below end within
// a few of them.
const e2eAutoReload = "--config.auto-reload-interval=1s"

// writeAtomic writes c to path by a rename, as an operator should: a file
// rewritten in place can be read half-written, and such a read is refused
// and logged, which the tests below count.
func writeAtomic(t *testing.T, c e2eConfig, path string) {
	t.Helper()
	c.write(t, path+".tmp")
	if err := os.Rename(path+".tmp", path); err != nil {
		t.Fatal(err)
	}
}

// With --config.auto-reload-interval, an edited file is in force without a
// signal and moves the reload metrics; a broken one is refused, logged
// once and shown by the metrics, while the old configuration is served.
func TestE2EAutoReload(t *testing.T) {
	api := newE2EAPI(t, simulator.Options{})
	e2eTasks(api)
	cfgFile := filepath.Join(t.TempDir(), "config.yml")
	cfg := e2eConfig{endpoint: api.url, user: simulator.DefaultUser, password: simulator.DefaultPassword, tasks: []string{e2eTaskA}}
	cfg.write(t, cfgFile)
	// Debug: the retries of a refused file are logged at debug level only,
	// which lets the test see that several passed.
	e := startExporter(t, "--config.file="+cfgFile, e2eAutoReload, "--log.level=debug")
	if !strings.Contains(e.logs.String(), "Reloading the configuration file automatically when it changes") {
		t.Errorf("the start does not say the file is watched:\n%s", e.logs)
	}
	body := e.scrape(t)
	stamp, _ := metricValue(body, "codearts_check_config_last_reload_success_timestamp_seconds")
	if _, ok := metricValue(body, taskSeries("codearts_check_task_status", e2eTaskB)); ok {
		t.Fatalf("task B served before it is configured:\n%s", body)
	}

	// (a) An edit: task B appears, the success timestamp moves.
	grown := cfg
	grown.tasks = []string{e2eTaskA, e2eTaskB}
	writeAtomic(t, grown, cfgFile)
	body = waitMetric(t, e, taskSeries("codearts_check_task_status", e2eTaskB), 1)
	if v, _ := metricValue(body, "codearts_check_config_last_reload_success_timestamp_seconds"); v <= stamp {
		t.Errorf("success timestamp %v after the automatic reload, want > %v", v, stamp)
	}
	if v, _ := metricValue(body, "codearts_check_config_last_reload_successful"); v != 1 {
		t.Errorf("last_reload_successful = %v after the automatic reload, want 1", v)
	}

	// (b) A broken file: refused, the failure shown, the old tasks served,
	// the reason logged once however many intervals pass.
	broken := grown
	broken.tasks = []string{"../" + e2eTaskB}
	writeAtomic(t, broken, cfgFile)
	body = waitMetric(t, e, "codearts_check_config_last_reload_successful", 0)
	for _, id := range []string{e2eTaskA, e2eTaskB} {
		if v, _ := metricValue(body, taskSeries("codearts_check_task_query_success", id)); v != 1 {
			t.Errorf("after a refused file task %s query_success = %v, want 1 (old configuration in force)", id, v)
		}
	}
	stdkit.WaitFor(t, "two retries of the refused file", func() bool {
		return strings.Count(e.logs.String(), "still refused") >= 2
	})
	logs := e.logs.String()
	if n := strings.Count(logs, `msg="Reload failed; the previous configuration stays in force"`); n != 1 || !strings.Contains(logs, "tasks[0].id") {
		t.Errorf("the refused file was logged %d times, want once naming tasks[0].id:\n%s", n, logs)
	}
	if strings.Contains(logs, simulator.DefaultPassword) {
		t.Errorf("the log shows the password:\n%s", logs)
	}

	// Fixed: loaded again without a signal.
	writeAtomic(t, grown, cfgFile)
	waitMetric(t, e, "codearts_check_config_last_reload_successful", 1)
}

// A ConfigMap volume as kubelet updates it: config.yml is a symlink into
// ..data, itself a symlink swapped by a rename to a new directory. The
// exporter follows the swap.
func TestE2EAutoReloadConfigMapSwap(t *testing.T) {
	api := newE2EAPI(t, simulator.Options{})
	e2eTasks(api)
	dir := t.TempDir()
	gen := 0
	swap := func(c e2eConfig) {
		t.Helper()
		gen++
		ts := fmt.Sprintf("..2026_12_06_18_00_%02d.%d", gen, gen)
		if err := os.Mkdir(filepath.Join(dir, ts), 0o755); err != nil {
			t.Fatal(err)
		}
		c.write(t, filepath.Join(dir, ts, "config.yml"))
		if err := os.Symlink(ts, filepath.Join(dir, "..data_tmp")); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(filepath.Join(dir, "..data_tmp"), filepath.Join(dir, "..data")); err != nil {
			t.Fatal(err)
		}
	}
	cfg := e2eConfig{endpoint: api.url, user: simulator.DefaultUser, password: simulator.DefaultPassword, tasks: []string{e2eTaskA}}
	swap(cfg)
	cfgFile := filepath.Join(dir, "config.yml")
	if err := os.Symlink(filepath.Join("..data", "config.yml"), cfgFile); err != nil {
		t.Fatal(err)
	}
	e := startExporter(t, "--config.file="+cfgFile, e2eAutoReload)
	body := e.scrape(t)
	stamp, _ := metricValue(body, "codearts_check_config_last_reload_success_timestamp_seconds")

	grown := cfg
	grown.tasks = []string{e2eTaskA, e2eTaskB}
	swap(grown)
	body = waitMetric(t, e, taskSeries("codearts_check_task_status", e2eTaskB), 1)
	if v, _ := metricValue(body, "codearts_check_config_last_reload_success_timestamp_seconds"); v <= stamp {
		t.Errorf("success timestamp %v after the swap, want > %v", v, stamp)
	}
}

// --demo has no file to reload: the flag is ignored with a warning, and
// the demo serves. A negative interval is refused at start, naming the
// flag.
func TestAutoReloadFlag(t *testing.T) {
	e := startExporter(t, "--demo", "--config.auto-reload-interval=30s")
	if !strings.Contains(e.logs.String(), "--config.auto-reload-interval is ignored with --demo") {
		t.Errorf("--demo with the flag does not say it is ignored:\n%s", e.logs)
	}
	if status, _ := e.request(t, http.MethodGet, "/-/ready"); status != http.StatusOK {
		t.Errorf("/-/ready: HTTP %d", status)
	}

	cfgFile := filepath.Join(t.TempDir(), "config.yml")
	e2eConfig{endpoint: "http://127.0.0.1:1", user: "u", password: "p", tasks: []string{e2eTaskA}}.write(t, cfgFile)
	ctx, cancel := context.WithTimeout(context.Background(), stdkit.Patience)
	defer cancel()
	cmd := exec.CommandContext(ctx, e2eBinary(t), "--config.file="+cfgFile, "--config.auto-reload-interval=-5s", "--web.listen-address="+testkit.FreeAddr(t))
	out, err := cmd.CombinedOutput()
	if code := cmd.ProcessState.ExitCode(); err == nil || code != 2 || !strings.Contains(string(out), "--config.auto-reload-interval=-5s") || !strings.Contains(string(out), "negative") {
		t.Errorf("--config.auto-reload-interval=-5s: exit %d (%v), output %q; want exit 2 naming the flag and saying negative", code, err, out)
	}
}
