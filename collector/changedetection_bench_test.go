package collector

// The change detection benchmark (issue #19, item 7): API calls per task
// per hour for 1,000 tasks, 30 s scrapes, 5 % of the tasks checking in the
// hour, 5-minute checks, with change detection off and on (under both
// readings of last_check_time), against the information bound of the
// scenario. The simulator and the collector run on one stdkit.Clock, so
// the hour passes in seconds; every count is the simulator's own.
// BENCHMARKS.md has the table and the command.

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"testing"
	"time"

	"github.com/prometheus/common/model"

	"github.com/codearts-check-exporter/codearts_check_exporter/config"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/api"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/discovery"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/simulator"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit/stdkit"
)

const (
	cdBenchTasks    = 1000
	cdBenchScrape   = 30 * time.Second
	cdBenchCheck    = 5 * time.Minute
	cdBenchChecks   = cdBenchTasks * 5 / 100 // 5 % of the tasks check in the hour
	cdBenchSpacing  = 66 * time.Second       // between check starts: every check ends within the hour
	cdBenchPageSize = 100
	cdBenchWarmUp   = 3 * time.Hour
)

// cdEvent is a check starting or ending in the benchmark's hour.
type cdEvent struct {
	at    time.Duration // from the start of the measured hour
	task  string
	start bool
}

func BenchmarkChangeDetectionCalls(b *testing.B) {
	for _, c := range []struct {
		name    string
		enabled bool
		mode    simulator.LastCheckMode
	}{
		{"off", false, simulator.LastCheckAtStart},
		{"on/last_check_time=start", true, simulator.LastCheckAtStart},
		{"on/last_check_time=end", true, simulator.LastCheckAtEnd},
	} {
		for _, history := range []bool{true, false} {
			b.Run(fmt.Sprintf("%s/history=%v", c.name, history), func(b *testing.B) {
				for b.Loop() {
					runCDBench(b, c.enabled, c.mode, history)
				}
			})
		}
	}
}

func runCDBench(b *testing.B, enabled bool, mode simulator.LastCheckMode, history bool) {
	const project = "bebebebebebebebebebebebebebebebe"
	clock := stdkit.NewClock(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))
	sim := simulator.New(simulator.Options{Now: clock.Now})
	sim.SetLastCheckMode(mode)
	sim.AddProject(project)
	apiServer := testkit.Simulator(b, sim)
	cfg := &config.Config{
		Endpoint: apiServer.URL,
		Auth:     config.Auth{IAM: testkit.IAM(apiServer.URL)},
		Timeout:  model.Duration(time.Minute),
		// Reports are read when a check finishes; the refresh without
		// cause is pushed out of the hour in both runs, as it is no part
		// of the bound.
		Quality:         config.Quality{RefreshInterval: model.Duration(24 * time.Hour)},
		ChangeDetection: config.ChangeDetection{Enabled: enabled},
		History:         config.History{Enabled: &history},
	}
	ids := make([]string, cdBenchTasks)
	for i := range ids {
		ids[i] = benchTaskID(i)
		sim.SetTask(simulator.Task{ID: ids[i], ProjectID: project, Status: simulator.IntPtr(2),
			Ratio: simulator.StrPtr("100%"), Info: simulator.StrPtr("success")})
		cfg.Tasks = append(cfg.Tasks, config.Task{ID: ids[i], ProjectID: project})
	}
	if err := cfg.Validate(); err != nil {
		b.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	coll := newStaticCollector(b, cfg, api.NewMetrics(), logger)
	coll.lister = (discovery.New(coll.config, coll.clients, logger))
	coll.now = clock.Now
	b.Cleanup(coll.Close)
	collect := func() *snapshot {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		return coll.collect(ctx)
	}

	// Warm-up: the first answers and reports of every task, then, with
	// change detection, three idle hours of scrapes, in which its max_age
	// refreshes spread out from the one burst of the first answers to
	// their steady rate (without it, nothing depends on history: the
	// clock jumps). The measured hour follows.
	collect()
	if enabled {
		for range cdBenchWarmUp / cdBenchScrape {
			clock.Advance(cdBenchScrape)
			collect()
		}
	}
	clock.Advance(cdBenchScrape)
	hourStart := clock.Now()

	var events []cdEvent
	ends := map[string]time.Duration{}
	for j := range cdBenchChecks {
		task := ids[j*cdBenchTasks/cdBenchChecks]
		start := time.Duration(j)*cdBenchSpacing + 7*time.Second // off the scrapes' grid
		events = append(events, cdEvent{start, task, true}, cdEvent{start + cdBenchCheck, task, false})
		ends[task] = start + cdBenchCheck
	}
	sort.SliceStable(events, func(a, c int) bool { return events[a].at < events[c].at })

	before := calls{sim.ProgressRequests(), sim.TaskListRequests(""), sim.ReportRequests("")}
	historyBefore := sim.CheckRecordRequests("")
	seenEnd := map[string]time.Duration{} // when a scrape first exported the result
	next := 0
	scrapes := 0
	var snap *snapshot
	for at := time.Duration(0); at < time.Hour; at += cdBenchScrape {
		for next < len(events) && events[next].at <= at {
			e := events[next]
			clock.Advance(hourStart.Add(e.at).Sub(clock.Now()))
			if e.start {
				sim.StartCheck(e.task)
			} else {
				sim.FinishCheck(e.task, true)
			}
			next++
		}
		clock.Advance(hourStart.Add(at).Sub(clock.Now()))
		snap = collect()
		scrapes++
		for _, row := range snap.rows {
			end, checked := ends[row.task.ID]
			if _, seen := seenEnd[row.task.ID]; checked && !seen && at >= end && row.status == 2 && row.errorCode == "" {
				seenEnd[row.task.ID] = at
			}
		}
	}
	after := calls{sim.ProgressRequests(), sim.TaskListRequests(""), sim.ReportRequests("")}
	got := calls{after.progress - before.progress, after.list - before.list, after.reports - before.reports}
	histories := sim.CheckRecordRequests("") - historyBefore
	// Every check is counted once, with its result, and none unknown.
	for _, row := range snap.rows {
		_, checked := ends[row.task.ID]
		if want := [numResults]float64{resultSucceeded: float64(boolInt(checked))}; row.checks.counts != want {
			b.Errorf("task %s: checks %v, want %v", row.task.ID, row.checks.counts, want)
		}
	}
	if histories > cdBenchChecks {
		b.Errorf("%d history calls for %d finished checks: more than one per check", histories, cdBenchChecks)
	}

	// The information bound: one listing of every page per scrape; a
	// progress call per scrape while a check runs, where the list can show
	// it (the start reading), and one that sees its result; a report read
	// (two calls) per finished check, and a history read (one call) with
	// history on; one max_age refresh per task.
	pages := (cdBenchTasks + cdBenchPageSize - 1) / cdBenchPageSize
	bound := scrapes*pages + cdBenchChecks*2 + cdBenchTasks
	if history {
		bound += cdBenchChecks
	}
	for j := range cdBenchChecks {
		start := time.Duration(j)*cdBenchSpacing + 7*time.Second
		during := 0
		if mode == simulator.LastCheckAtStart {
			for at := time.Duration(0); at < time.Hour; at += cdBenchScrape {
				if at >= start && at < start+cdBenchCheck {
					during++
				}
			}
		}
		bound += during + 1
	}
	lag := time.Duration(0)
	for task, end := range ends {
		seen, ok := seenEnd[task]
		if !ok {
			b.Fatalf("task %s: the result of its check was never exported", task)
		}
		lag = max(lag, seen-end)
	}
	total := got.progress + got.list + got.reports + histories
	perTaskHour := func(n int) float64 { return float64(n) / cdBenchTasks }
	b.ReportMetric(perTaskHour(total), "calls/task/h")
	b.ReportMetric(perTaskHour(got.progress), "progress/task/h")
	b.ReportMetric(perTaskHour(got.list), "listing/task/h")
	b.ReportMetric(perTaskHour(got.reports), "report/task/h")
	b.ReportMetric(perTaskHour(histories), "history/task/h")
	if enabled {
		b.ReportMetric(perTaskHour(bound), "bound/task/h")
		b.ReportMetric(float64(total)/float64(bound), "x_bound")
	}
	b.ReportMetric(lag.Seconds(), "max_result_lag_s")
	b.Logf("%s: %d scrapes; calls %+v, history %d; bound %d; max lag %v", fmt.Sprint(enabled), scrapes, got, histories, bound, lag)
}
