package main

import (
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/codearts-check-exporter/codearts_check_exporter/internal/simulator"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit/stdkit"
)

// Sizes of the huge-error run: as many tasks as the probe of issue #17
// used, and the configured concurrency, which bounds how many answers are
// being read at once.
const (
	hugeErrorTasks       = 500
	hugeErrorConcurrency = 16
	// perCallAllowance is what one call in flight may add to the peak
	// while it reads and decodes a body just under the 1 MiB read limit:
	// the body, its JSON members and the decoded message, each about
	// 1 MiB, and the GC's headroom over them.
	perCallAllowance = 4 << 20
	// minHugeCalls is how many huge answers the exporter must have read
	// for the peak to mean something: kept whole, as they once were, 100
	// of them would hold about 100 MiB.
	minHugeCalls = 100
	// baseAllowance covers the GC's pacing, which differs between runs
	// even when both keep the same live data.
	baseAllowance = 16 << 20
	// maxLogLine is the longest log line the exporter may write from an
	// API answer.
	maxLogLine = 2 << 10
)

// With every task answering a 900 KiB error_msg and a 50 KiB request_id,
// the binary's peak RSS stays within that of the same tasks answering
// normally plus a few MiB per concurrent call, and no log line, at debug
// level, is longer than 2 KiB. The errors kept for the collection's
// result are bounded, so memory does not grow with the task count.
//
// With CODEARTS_E2E_BINARY set (e2e_harness_test.go), it measures another
// build: an older one gave the figures before the bound (BENCHMARKS.md).
func TestE2EHugeErrorTextsBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binary through two collections of 500 tasks")
	}
	api := newE2EAPI(t, simulator.Options{})
	tasks := make([]string, hugeErrorTasks)
	for i := range tasks {
		tasks[i] = fmt.Sprintf("%032x", i+1)
		api.sim.SetTask(simulator.Task{ID: tasks[i], Status: simulator.IntPtr(2), Ratio: simulator.StrPtr("100%"), Info: simulator.StrPtr("success")})
	}
	cfgFile := filepath.Join(t.TempDir(), "config.yml")
	e2eConfig{endpoint: api.url, user: simulator.DefaultUser, password: simulator.DefaultPassword, tasks: tasks,
		extra: fmt.Sprintf("concurrency: %d\n", hugeErrorConcurrency)}.write(t, cfgFile)

	run := func(name string) (peak uint64, longest int) {
		t.Helper()
		e := launchExporter(t, "http", http.DefaultClient, "--config.file="+cfgFile, "--log.level=debug")
		// A long scrape, so that most tasks are tried (each huge answer is
		// retried) and their errors are all kept until the end of it.
		req, err := http.NewRequest(http.MethodGet, e.base+"/metrics", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", "10")
		if status, body := e.do(t, req); status != http.StatusOK {
			t.Fatalf("scrape: HTTP %d:\n%.2000s", status, body)
		}
		peak = stdkit.PeakRSS(t, e.cmd.Process.Pid)
		for _, line := range strings.Split(e.logs.String(), "\n") {
			longest = max(longest, len(line))
		}
		_ = e.cmd.Process.Kill()
		<-e.done
		t.Logf("%s: peak RSS %.1f MiB, longest log line %d bytes", name, float64(peak)/(1<<20), longest)
		return peak, longest
	}

	normalPeak, normalLongest := run("normal answers")
	for _, set := range []func(string, simulator.Fault){api.sim.SetFault, api.sim.SetReportFault} {
		set("", simulator.Fault{Kind: simulator.FaultHugeRetryLater})
	}
	hugePeak, hugeLongest := run("900 KiB error_msg, 50 KiB request_id")

	if huge := api.sim.ProgressRequests() - hugeErrorTasks; huge < minHugeCalls {
		t.Fatalf("only %d huge answers read, want at least %d", huge, minHugeCalls)
	}
	if bound := normalPeak + hugeErrorConcurrency*perCallAllowance + baseAllowance; hugePeak > bound {
		t.Errorf("peak RSS %.1f MiB with huge errors, over %.1f MiB (normal %.1f MiB + %d calls × %d MiB + %d MiB)",
			float64(hugePeak)/(1<<20), float64(bound)/(1<<20), float64(normalPeak)/(1<<20),
			hugeErrorConcurrency, perCallAllowance>>20, baseAllowance>>20)
	}
	for name, n := range map[string]int{"normal": normalLongest, "huge errors": hugeLongest} {
		if n > maxLogLine {
			t.Errorf("%s: a log line of %d bytes, over %d", name, n, maxLogLine)
		}
	}
}
