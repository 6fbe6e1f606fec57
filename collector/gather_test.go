package collector

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"google.golang.org/protobuf/proto"

	"github.com/codearts-check-exporter/codearts_check_exporter/internal/simulator"
)

// A snapshot gathered directly gives the families a pedantic registry
// gathers from its Collect (which Collector.Collect serves): same names,
// help, series, labels, order and values, and the same error for a task
// listed twice. The snapshot comes from a real collection with progress
// and reports, values the API leaves unknown, a task it does not know,
// and task_info labels that do not sort as task IDs do.
func TestSnapshotGatherIsTheRegistrys(t *testing.T) {
	start := time.Date(2026, 2, 27, 9, 30, 0, 0, time.UTC)
	sim := simulator.New(simulator.Options{})
	sim.SetTask(simulator.Task{ID: "a1", Status: simulator.IntPtr(0), Ratio: simulator.StrPtr("50%")})
	sim.SetTask(simulator.Task{ID: "b2", Status: simulator.IntPtr(2), Ratio: simulator.StrPtr("n/a")})
	sim.SetTask(simulator.Task{ID: "c3"}) // never checked: status and ratio null
	sim.SetReport("a1", simulator.Report{Critical: 3, Major: 5, Minor: 7, Suggestion: 11, Unresolved: 26, Resolved: 9,
		Dismissed: 2, CheckStart: start, CheckEnd: start.Add(time.Minute), CodeLines: 100, CodeLinesTotal: 120,
		DuplicationRatio: "3.25%", CommentRatio: "12.5%", IsAccess: "1"})
	sim.SetReport("b2", simulator.Report{Critical: 1, CodeLines: 10}) // no times, ratios or verdict
	env := newTestEnv(t, sim, []string{"unused"}, nil)
	env.coll.tasks = listSource{
		{ID: "b2", Name: "second", ProjectID: "p1"},
		{ID: "a1", Name: "first", ProjectID: "p2", GitBranch: "main"},
		{ID: "d4"}, // unknown to the API: its query fails
		{ID: "c3", Name: "third", GitBranch: "dev"},
		{ID: "b2", Name: "again"},
	}
	snap := env.coll.shared(context.Background())

	got, gotErr := snap.Gather()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(snap)
	want, wantErr := reg.Gather()
	if gotErr == nil || wantErr == nil {
		t.Errorf("errors %v and %v, want both to report b2 listed twice", gotErr, wantErr)
	}
	if len(got) != len(want) {
		t.Fatalf("%d families, the registry's %d", len(got), len(want))
	}
	for i := range want {
		if !proto.Equal(got[i], want[i]) {
			t.Errorf("family %d:\n%s\nthe registry's:\n%s", i, text(t, got[i]), text(t, want[i]))
		}
	}
	for _, name := range []string{"codearts_check_task_defects", "codearts_check_task_progress_ratio",
		"codearts_check_task_quality_gate_passed", "codearts_check_task_info"} {
		if !hasFamily(got, name) {
			t.Errorf("no %s: the snapshot does not cover what it should", name)
		}
	}

	// With no collection at all, and with an empty one.
	for _, s := range []*snapshot{upOnly(), {up: true}} {
		got, _ := s.Gather()
		reg := prometheus.NewPedanticRegistry()
		reg.MustRegister(s)
		want, err := reg.Gather()
		if err != nil || len(got) != len(want) {
			t.Fatalf("%d families, the registry's %d (%v)", len(got), len(want), err)
		}
		for i := range want {
			if !proto.Equal(got[i], want[i]) {
				t.Errorf("%s differs from the registry's %s", text(t, got[i]), text(t, want[i]))
			}
		}
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
