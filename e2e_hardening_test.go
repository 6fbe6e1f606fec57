package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/codearts-check-exporter/codearts_check_exporter/internal/simulator"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit/stdkit"
)

// A configuration file that is not a regular file is refused at once: at
// startup with exit status 1, at reload with 400 and the old configuration
// kept. Read, /dev/zero would fill memory and a FIFO would hang startup
// and reloads forever (the deadlines below turn a hang into a failure).
func TestE2EConfigFileMustBeRegular(t *testing.T) {
	dir := t.TempDir()
	zero := filepath.Join(dir, "zero.yml")
	stdkit.DevZero(t, zero)
	fifo := filepath.Join(dir, "fifo.yml")
	stdkit.FIFO(t, fifo)
	for _, file := range []string{zero, fifo} {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		out, err := exec.CommandContext(ctx, testkit.Binary(t), "--config.file="+file, "--web.listen-address="+testkit.FreeAddr(t)).CombinedOutput()
		cancel()
		if code := exitCode(err); code != 1 || !strings.Contains(string(out), file+" is not a regular file") {
			t.Errorf("start with %s: exit %d (%v), want 1 and the reason:\n%s", file, code, err, out)
		}
	}

	// The configuration file is a symlink, as Kubernetes mounts it; a
	// reload after it turns to a FIFO is refused and changes nothing.
	api := newE2EAPI(t, simulator.Options{})
	e2eTasks(api)
	good := filepath.Join(dir, "good.yml")
	e2eConfig{endpoint: api.url, user: simulator.DefaultUser, password: simulator.DefaultPassword, tasks: []string{e2eTaskA}}.write(t, good)
	link := filepath.Join(dir, "config.yml")
	if err := os.Symlink(good, link); err != nil {
		t.Fatal(err)
	}
	e := startExporter(t, "--config.file="+link)
	page := e.get(t, "/config")
	if err := os.Remove(link); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(fifo, link); err != nil {
		t.Fatal(err)
	}
	status, reason := e.request(t, http.MethodPost, "/-/reload")
	if status != http.StatusBadRequest || !strings.Contains(reason, "is not a regular file (a FIFO)") {
		t.Errorf("reload of a FIFO: HTTP %d %q, want 400 and the reason", status, reason)
	}
	if got := e.get(t, "/config"); got != page {
		t.Errorf("/config changed after a refused reload:\n%s", got)
	}
	if v, _ := metricValue(e.scrape(t), "codearts_check_config_last_reload_successful"); v != 0 {
		t.Errorf("last_reload_successful = %v, want 0", v)
	}
}

func exitCode(err error) int {
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}

// e2eManyTasks is the size the memory defects were found with.
const e2eManyTasks = 50000

// 100 concurrent GET /config of 50,000 tasks are all answered with the
// same page, and the process' peak RSS stays below 400 MiB (each request
// once rendered the page itself: ~110 MB apiece, 11 GiB for 100). 50
// concurrent reloads are all answered too, and do not parse side by side.
func TestE2EConfigPageAndReloadFlood(t *testing.T) {
	api := newE2EAPI(t, simulator.Options{})
	file := filepath.Join(t.TempDir(), "config.yml")
	cfg := e2eConfig{endpoint: api.url, user: simulator.DefaultUser, password: simulator.DefaultPassword}
	for i := range e2eManyTasks {
		cfg.tasks = append(cfg.tasks, fmt.Sprintf("%032x", i))
	}
	cfg.write(t, file)
	e := startExporter(t, "--config.file="+file)

	want := e.get(t, "/config")
	if !strings.Contains(want, fmt.Sprintf("%032x", e2eManyTasks-1)) || !strings.Contains(want, "password: <secret>") {
		t.Fatalf("/config lacks the last task or hides no password (%d bytes)", len(want))
	}
	flood(t, 100, func(i int) error {
		resp, err := http.Get(e.base + "/config")
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != http.StatusOK || string(body) != want {
			return fmt.Errorf("HTTP %d, %d bytes, %v", resp.StatusCode, len(body), err)
		}
		return nil
	})
	flood(t, 50, func(i int) error {
		resp, err := http.Post(e.base+"/-/reload", "", nil)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("HTTP %d %s", resp.StatusCode, body)
		}
		return nil
	})
	if peak := stdkit.PeakRSS(t, e.cmd.Process.Pid); peak >= 400<<20 {
		t.Errorf("peak RSS %d MiB, want < 400 MiB", peak>>20)
	} else {
		t.Logf("peak RSS %d MiB", peak>>20)
	}
}

// flood runs n requests at once and reports the ones that fail.
func flood(t *testing.T, n int, request func(i int) error) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = request(i)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("request %d: %v", i, err)
		}
	}
}
