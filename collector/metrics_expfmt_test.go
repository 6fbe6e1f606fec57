package collector

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"google.golang.org/protobuf/encoding/protodelim"

	"github.com/codearts-check-exporter/codearts_check_exporter/config"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/exposition"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/simulator"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit"
)

// The answer written straight from a snapshot is, byte for byte, what
// expfmt's encoder writes of the families a pedantic registry gathers from
// the same series, in every text format: the same families, help, series
// and values, in the registry's order (families by name, series by label
// values), the process-wide families merged in; and the registry's
// consistency checks pass (one set of label names per family, no series
// twice, valid UTF-8). The snapshot comes from a real collection with
// progress and reports, values the API leaves unknown, a task it does not
// know and one whose answer is invalid (their last errors sort by code,
// not by task ID), and task_info labels that do not sort as task IDs do.
func TestSeriesAreExpfmts(t *testing.T) {
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
		config.Task{ID: "b2", Name: "second \"quoted\"\\", ProjectID: "p1"},
		config.Task{ID: "a1", Name: "first\nline", ProjectID: "p2", GitBranch: "main"},
		config.Task{ID: "d4"}, // unknown to the API: its query fails
		config.Task{ID: "c3", Name: "third", GitBranch: "dev"},
		config.Task{ID: "e5", Name: "fifth", ProjectID: "p1"},
		config.Task{ID: "a0", Name: "zeroth"},
	)
	snap := env.coll.shared(context.Background())

	got := compareWithExpfmt(t, snap)
	for _, name := range []string{"codearts_check_task_defects", "codearts_check_task_defects_by_status",
		"codearts_check_task_progress_ratio", "codearts_check_task_quality_gate_passed", "codearts_check_task_info",
		"codearts_check_task_last_error_info", "codearts_check_task_checks_total", "codearts_check_api_requests_total"} {
		if !hasFamily(got, name) {
			t.Errorf("no %s: the snapshot does not cover what it should", name)
		}
	}
	gathered := prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) { return got, nil })
	if problems, err := testutil.GatherAndLint(gathered); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", problems, err)
	}
	// With no collection at all, and with an empty one.
	for _, s := range []*snapshot{{noCollection: true}, {up: true}} {
		if got := compareWithExpfmt(t, s); len(got) < 2 {
			t.Errorf("%d families, want up and the process-wide ones", len(got))
		}
	}
}

// compareWithExpfmt fails t unless snap, written with the process-wide
// families of a test registry, is in each text format what expfmt writes
// of what a pedantic registry makes of the same series; it returns those.
func compareWithExpfmt(t *testing.T, snap *snapshot) []*dto.MetricFamily {
	t.Helper()
	static := prometheus.NewRegistry()
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "codearts_check_api_requests_total", Help: "h"}, []string{"endpoint"})
	requests.WithLabelValues("progress").Add(3)
	static.MustRegister(requests, prometheus.NewGauge(prometheus.GaugeOpts{Name: "zz_after", Help: "back\\slash\nnewline"}))
	collect := func(*http.Request) *snapshot { return snap }
	h := exposition.Handler(static, families, collect, slog.New(slog.DiscardHandler), HandlerOpts{})
	// answer is the answer to a scrape asking for format, and the format
	// negotiated: format, its escaping scheme named if format does not.
	answer := func(format expfmt.Format) ([]byte, expfmt.Format) {
		req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
		req.Header.Set("Accept", string(format))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		got := expfmt.Format(rec.Header().Get("Content-Type"))
		if !strings.HasPrefix(string(got), string(format)) {
			t.Fatalf("Accept %q: Content-Type %q", format, got)
		}
		return rec.Body.Bytes(), got
	}
	// The series as dto, as the Writer builds them for expfmt's
	// protobuf, through a pedantic registry.
	var families []*dto.MetricFamily
	proto, _ := answer(expfmt.FmtProtoDelim)
	for r := bytes.NewReader(proto); ; {
		mf := &dto.MetricFamily{}
		if err := protodelim.UnmarshalFrom(r, mf); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		families = append(families, mf)
	}
	want := registryGather(t, families)
	for _, format := range []expfmt.Format{expfmt.FmtText, expfmt.FmtText_1_0_0, expfmt.FmtOpenMetrics_1_0_0,
		expfmt.FmtOpenMetrics_0_0_1, expfmt.FmtOpenMetrics_1_0_0.WithEscapingScheme(model.NoEscaping),
		expfmt.FmtText.WithEscapingScheme(model.ValueEncodingEscaping)} {
		got, negotiated := answer(format)
		var b bytes.Buffer
		enc := expfmt.NewEncoder(&b, negotiated)
		for _, mf := range want {
			if err := enc.Encode(mf); err != nil {
				t.Fatal(err)
			}
		}
		_ = enc.(expfmt.Closer).Close()
		if !bytes.Equal(got, b.Bytes()) {
			t.Errorf("%s: the answer differs from expfmt's:\n%s\nexpfmt's:\n%s", format, got, b.Bytes())
		}
	}
	return want
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
