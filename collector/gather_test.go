package collector

import (
	"context"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"google.golang.org/protobuf/proto"

	"github.com/codearts-check-exporter/codearts_check_exporter/config"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/simulator"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit"
)

// A snapshot gathered directly gives what a pedantic registry makes of the
// same series: the same families, help, series and values, in the same
// order (the registry sorts families by name and series by label values;
// Gather builds them in that order), and the registry's consistency checks
// pass (one set of label names per family, no series twice, valid UTF-8).
// The snapshot comes from a real collection with progress and reports,
// values the API leaves unknown, a task it does not know and one whose
// answer is invalid (their last errors sort by code, not by task ID), and
// task_info labels that do not sort as task IDs do.
func TestSnapshotGatherIsTheRegistrys(t *testing.T) {
	start := time.Date(2026, 2, 27, 9, 30, 0, 0, time.UTC)
	sim := simulator.New(simulator.Options{})
	sim.SetTask(simulator.Task{ID: "a1", Status: simulator.IntPtr(0), Ratio: simulator.StrPtr("50%")})
	sim.SetTask(simulator.Task{ID: "b2", Status: simulator.IntPtr(2), Ratio: simulator.StrPtr("n/a")})
	sim.SetTask(simulator.Task{ID: "c3"}) // never checked: status and ratio null
	sim.SetTask(simulator.Task{ID: "e5", Status: simulator.IntPtr(1)})
	sim.SetTask(simulator.Task{ID: "a0", Status: simulator.IntPtr(2)})
	sim.SetFault("a0", simulator.Fault{Kind: simulator.FaultWrongType}) // invalid_response, after d4's CC.* code
	sim.SetReport("a1", simulator.Report{Critical: 3, Major: 5, Minor: 7, Suggestion: 11, Unresolved: 26, Resolved: 9,
		Dismissed: 2, CheckStart: start, CheckEnd: start.Add(time.Minute), CodeLines: 100, CodeLinesTotal: 120,
		DuplicationRatio: "3.25%", CommentRatio: "12.5%", IsAccess: "1"})
	sim.SetReport("b2", simulator.Report{Critical: 1, CodeLines: 10}) // no times, ratios or verdict
	sim.SetReport("e5", simulator.Report{Major: 2, Dismissed: 1, IsAccess: "0"})
	env := newTestEnv(t, sim, []string{"unused"}, nil)
	env.coll.tasks = testkit.NewTaskList(
		config.Task{ID: "b2", Name: "second", ProjectID: "p1"},
		config.Task{ID: "a1", Name: "first", ProjectID: "p2", GitBranch: "main"},
		config.Task{ID: "d4"}, // unknown to the API: its query fails
		config.Task{ID: "c3", Name: "third", GitBranch: "dev"},
		config.Task{ID: "e5", Name: "fifth", ProjectID: "p1"},
		config.Task{ID: "a0", Name: "zeroth"},
	)
	snap := env.coll.shared(context.Background())

	got, err := snap.Gather()
	if err != nil {
		t.Fatal(err)
	}
	want := registryGather(t, got)
	if len(got) != len(want) {
		t.Fatalf("%d families, the registry's %d", len(got), len(want))
	}
	for i := range want {
		if !proto.Equal(got[i], want[i]) {
			t.Errorf("family %d:\n%s\nthe registry's:\n%s", i, text(t, got[i]), text(t, want[i]))
		}
	}
	for _, name := range []string{"codearts_check_task_defects", "codearts_check_task_defects_by_status",
		"codearts_check_task_progress_ratio", "codearts_check_task_quality_gate_passed", "codearts_check_task_info",
		"codearts_check_task_last_error_info"} {
		if !hasFamily(got, name) {
			t.Errorf("no %s: the snapshot does not cover what it should", name)
		}
	}
	if problems, err := testutil.GatherAndLint(snap); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", problems, err)
	}

	// With no collection at all, and with an empty one.
	for _, s := range []*snapshot{upOnly(), {up: true}} {
		got, err := s.Gather()
		if err != nil {
			t.Fatal(err)
		}
		want := registryGather(t, got)
		if len(got) != len(want) || len(got) == 0 {
			t.Fatalf("%d families, the registry's %d", len(got), len(want))
		}
		for i := range want {
			if !proto.Equal(got[i], want[i]) {
				t.Errorf("%s differs from the registry's %s", text(t, got[i]), text(t, want[i]))
			}
		}
	}
}

// registryGather registers the series of mfs, shuffled, as const metrics
// in a pedantic registry, and returns what it gathers.
func registryGather(t *testing.T, mfs []*dto.MetricFamily) []*dto.MetricFamily {
	t.Helper()
	var series constSeries
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			var names, values []string
			for _, lp := range m.GetLabel() {
				names = append(names, lp.GetName())
				values = append(values, lp.GetValue())
			}
			desc := prometheus.NewDesc(mf.GetName(), mf.GetHelp(), names, nil)
			typ, v := prometheus.GaugeValue, m.GetGauge().GetValue()
			if mf.GetType() == dto.MetricType_COUNTER {
				typ, v = prometheus.CounterValue, m.GetCounter().GetValue()
			}
			series = append(series, prometheus.MustNewConstMetric(desc, typ, v, values...))
		}
	}
	rand.Shuffle(len(series), func(i, j int) { series[i], series[j] = series[j], series[i] })
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(series)
	want, err := reg.Gather()
	if err != nil {
		t.Fatalf("the registry refuses the series: %v", err)
	}
	return want
}

type constSeries []prometheus.Metric

func (c constSeries) Describe(ch chan<- *prometheus.Desc) { prometheus.DescribeByCollect(c, ch) }

func (c constSeries) Collect(ch chan<- prometheus.Metric) {
	for _, m := range c {
		ch <- m
	}
}

func hasFamily(mfs []*dto.MetricFamily, name string) bool {
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.GetMetric()) > 0 {
			return true
		}
	}
	return false
}

func text(t *testing.T, mf *dto.MetricFamily) string {
	t.Helper()
	var b strings.Builder
	if _, err := expfmt.MetricFamilyToText(&b, mf); err != nil {
		t.Fatal(err)
	}
	return b.String()
}
