package collector

import (
	"bufio"
	"compress/gzip"
	"errors"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"google.golang.org/protobuf/encoding/protodelim"

	"github.com/codearts-check-exporter/codearts_check_exporter/config"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/simulator"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit"
)

// get requests path from the exporter with the given headers, without the
// transparent gzip handling of net/http, so the test sees what was sent.
func (e *testEnv) get(path string, header map[string]string) (*http.Response, []byte) {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodGet, e.exporter.URL+path, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		e.t.Fatalf("GET %s: HTTP %d, %v: %s", path, resp.StatusCode, err, body)
	}
	return resp, body
}

func twoTaskEnv(t *testing.T) *testEnv {
	sim := simulator.New(simulator.Options{})
	sim.SetTask(simulator.Task{ID: "a1", Status: simulator.IntPtr(1), Ratio: simulator.StrPtr("50%")})
	sim.SetTask(simulator.Task{ID: "b2", Status: simulator.IntPtr(2), Ratio: simulator.StrPtr("100%")})
	return newTestEnv(t, sim, []string{"a1", "b2"}, nil)
}

// Prometheus with native histograms asks for protobuf; it gets protobuf,
// with every task family, gzipped when asked.
func TestMetricsProtobuf(t *testing.T) {
	env := twoTaskEnv(t)
	accept := "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.7,text/plain;version=0.0.4;q=0.3"
	resp, body := env.get("/metrics", map[string]string{"Accept": accept, "Accept-Encoding": "gzip"})
	if got := expfmt.ResponseFormat(resp.Header); got.FormatType() != expfmt.TypeProtoDelim {
		t.Fatalf("Content-Type %q, want delimited protobuf", resp.Header.Get("Content-Type"))
	}
	if got := resp.Header.Get("Content-Encoding"); got != "gzip" {
		t.Fatalf("Content-Encoding %q, want gzip", got)
	}
	gz, err := gzip.NewReader(strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(gz)
	families := map[string]*dto.MetricFamily{}
	var names []string
	for {
		mf := &dto.MetricFamily{}
		err := protodelim.UnmarshalFrom(r, mf)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("family %d: %v", len(names), err)
		}
		families[mf.GetName()] = mf
		names = append(names, mf.GetName())
	}
	if !slices.IsSorted(names) {
		t.Errorf("families not sorted by name: %v", names)
	}
	res := scrapeResult{t: t, families: families}
	if got := res.mustValue("codearts_check_task_status", "task_id", "b2"); got != 2 {
		t.Errorf("task_status{b2} = %v, want 2", got)
	}
	if got := res.mustValue("codearts_check_task_progress_ratio", "task_id", "a1"); got != 0.5 {
		t.Errorf("progress_ratio{a1} = %v, want 0.5", got)
	}
	res.mustValue("codearts_check_task_info", "task_id", "a1", "task_name", "", "project_id", "", "git_branch", "")
	res.mustValue("codearts_check_api_requests_total", "endpoint", "progress", "status_class", "2xx")
}

// Without Accept-Encoding, or with gzip refused, the answer is plain text.
func TestMetricsIdentity(t *testing.T) {
	env := twoTaskEnv(t)
	for _, enc := range []string{"", "identity", "gzip;q=0", "br, *;q=0", "gzip;q=0, *"} {
		resp, body := env.get("/metrics", map[string]string{"Accept-Encoding": enc})
		if got := resp.Header.Get("Content-Encoding"); got != "" {
			t.Errorf("Accept-Encoding %q: Content-Encoding %q, want none", enc, got)
		}
		if !strings.Contains(string(body), `codearts_check_task_status{task_id="a1"} 1`) {
			t.Errorf("Accept-Encoding %q: no task_status in the answer:\n%s", enc, body)
		}
		if got := expfmt.ResponseFormat(resp.Header); got.FormatType() != expfmt.TypeTextPlain {
			t.Errorf("Content-Type %q, want text", resp.Header.Get("Content-Type"))
		}
		if vary := resp.Header.Values("Vary"); !slices.Contains(vary, "Accept-Encoding") || !slices.Contains(vary, "Accept") {
			t.Errorf("Vary %q, want Accept and Accept-Encoding", vary)
		}
	}
}

// name[] selects families.
func TestMetricsNameFilter(t *testing.T) {
	env := twoTaskEnv(t)
	_, body := env.get("/metrics?name[]=codearts_check_task_status&name[]=codearts_check_api_requests_total", nil)
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for name := range families {
		names = append(names, name)
	}
	slices.Sort(names)
	if want := []string{"codearts_check_api_requests_total", "codearts_check_task_status"}; !slices.Equal(names, want) {
		t.Errorf("families %v, want %v", names, want)
	}
}

// Prometheus asks for gzip; it gets gzipped text that parses, with the
// task series and the process-wide ones.
func TestMetricsGzip(t *testing.T) {
	env := twoTaskEnv(t)
	resp, body := env.get("/metrics", map[string]string{"Accept-Encoding": "gzip"})
	if got := resp.Header.Get("Content-Encoding"); got != "gzip" {
		t.Fatalf("Content-Encoding %q, want gzip", got)
	}
	if got := expfmt.ResponseFormat(resp.Header); got.FormatType() != expfmt.TypeTextPlain {
		t.Errorf("Content-Type %q, want text", resp.Header.Get("Content-Type"))
	}
	gz, err := gzip.NewReader(strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(gz)
	if err != nil {
		t.Fatalf("the inflated answer does not parse: %v", err)
	}
	res := scrapeResult{t: t, families: families}
	if got := res.mustValue("codearts_check_task_status", "task_id", "a1"); got != 1 {
		t.Errorf("task_status{a1} = %v, want 1", got)
	}
	res.mustValue("codearts_check_api_requests_total", "endpoint", "progress", "status_class", "2xx")
}

// Prometheus prefers OpenMetrics; it gets OpenMetrics: its content type,
// counters typed by their name without _total, and the closing # EOF.
func TestMetricsOpenMetrics(t *testing.T) {
	env := twoTaskEnv(t)
	resp, body := env.get("/metrics", map[string]string{
		"Accept": "application/openmetrics-text;version=1.0.0;q=0.9,text/plain;version=0.0.4;q=0.5",
	})
	if got := expfmt.ResponseFormat(resp.Header); got.FormatType() != expfmt.TypeOpenMetrics {
		t.Fatalf("Content-Type %q, want OpenMetrics", resp.Header.Get("Content-Type"))
	}
	text := string(body)
	for _, want := range []string{
		"# TYPE codearts_check_task_status gauge\n",
		`codearts_check_task_status{task_id="a1"} 1.0` + "\n",
		`codearts_check_task_progress_ratio{task_id="b2"} 1.0` + "\n",
		"# TYPE codearts_check_api_requests counter\n",
		`codearts_check_api_requests_total{endpoint="progress",`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("no %q in the answer:\n%s", want, text)
		}
	}
	if !strings.HasSuffix(text, "# EOF\n") {
		t.Errorf("the answer does not end with # EOF:\n%s", text)
	}
}

// BenchmarkExpose writes the answer for a collection of 10,000 tasks, as
// gzipped text, the way Prometheus asks for it: the CPU and memory the
// /metrics answer costs apart from the task queries.
func BenchmarkExpose(b *testing.B) {
	benchmarkExpose(b, func(int) string { return "" })
}

// benchmarkExpose is BenchmarkExpose with the last error of task i (""
// for none) given by lastError.
func benchmarkExpose(b *testing.B, lastError func(i int) string) {
	const tasks = 10000
	snap := &snapshot{up: true, duration: 1}
	ids := make([]string, tasks) // a snapshot's rows come sorted by task ID
	for i := range ids {
		ids[i] = benchTaskID(i)
	}
	slices.Sort(ids)
	for i, id := range ids {
		code := lastError(i)
		snap.add(taskRow{
			task:    config.Task{ID: id, Name: "task-" + strconv.Itoa(i)},
			success: code == "", errorCode: code, duration: 0.05, known: true,
			status: 2, hasRatio: true, ratio: 1, lastSuccess: 1.8e9,
		})
	}
	a := &exposer{static: prometheus.NewRegistry(), errorLog: log.New(io.Discard, "", 0), errors: handlerErrors(nil)}
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	var size int
	for b.Loop() {
		w := &countingWriter{header: http.Header{}}
		a.serve(w, req, snap)
		size = w.n
	}
	b.ReportMetric(float64(size)/tasks, "bytes/task")
}

// countingWriter is an http.ResponseWriter that only counts.
type countingWriter struct {
	header http.Header
	n      int
}

func (w *countingWriter) Header() http.Header         { return w.header }
func (w *countingWriter) WriteHeader(int)             {}
func (w *countingWriter) Write(p []byte) (int, error) { w.n += len(p); return len(p), nil }

// The process-wide and collection families are served in name order; a
// name in both is served once, the process-wide family, and is logged and
// counted as promhttp counts a gathering error.
func TestMetricsNameInBoth(t *testing.T) {
	env := twoTaskEnv(t)
	static := prometheus.NewRegistry()
	for name, v := range map[string]float64{"a_first": 1, "codearts_check_up": 7, "zz_last": 2} {
		g := prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: "h"})
		g.Set(v)
		static.MustRegister(g)
	}
	var logs testkit.Buffer
	srv := httptest.NewServer(Handler(env.coll, static, slog.New(slog.NewTextHandler(&logs, nil)), HandlerOpts{Registry: static}))
	t.Cleanup(srv.Close)
	body := getOK(t, srv.URL+"/metrics")
	var names []string
	for _, l := range strings.Split(body, "\n") {
		if name, ok := strings.CutPrefix(l, "# TYPE "); ok {
			names = append(names, strings.Fields(name)[0])
		}
	}
	if !slices.IsSorted(names) || names[0] != "a_first" || names[len(names)-1] != "zz_last" {
		t.Errorf("families not in name order, or the process-wide ones missing: %v", names)
	}
	if n := strings.Count(body, "# TYPE codearts_check_up "); n != 1 || !strings.Contains(body, "\ncodearts_check_up 7\n") {
		t.Errorf("codearts_check_up served %d times, want once, the process-wide 7:\n%s", n, body)
	}
	if !strings.Contains(logs.String(), "two metric families are named codearts_check_up") {
		t.Errorf("the clash is not logged: %q", logs.String())
	}
	body = getOK(t, srv.URL+"/metrics?name[]=promhttp_metric_handler_errors_total")
	if !strings.Contains(body, `promhttp_metric_handler_errors_total{cause="gathering"} 1`) {
		t.Errorf("the first scrape's clash is not counted:\n%s", body)
	}
}

// Two Handlers on one registry share its promhttp_metric_handler_errors_total
// instead of panicking at the second registration.
func TestMetricsTwoHandlersOneRegistry(t *testing.T) {
	env := twoTaskEnv(t)
	reg := prometheus.NewRegistry()
	logger := slog.New(slog.DiscardHandler)
	for range 2 {
		srv := httptest.NewServer(Handler(env.coll, reg, logger, HandlerOpts{Registry: reg}))
		t.Cleanup(srv.Close)
		body := getOK(t, srv.URL+"/metrics?name[]=promhttp_metric_handler_errors_total")
		if n := strings.Count(body, "# TYPE promhttp_metric_handler_errors_total "); n != 1 {
			t.Fatalf("promhttp_metric_handler_errors_total served %d times, want once:\n%s", n, body)
		}
	}
}

// A scraper that does not take gzip gets the answer uncompressed; one
// that does gets it gzipped; either way it says it varies with
// Accept-Encoding.
func TestMetricsCompressionNegotiated(t *testing.T) {
	env := twoTaskEnv(t)
	for _, tc := range []struct {
		accept string
		gzip   bool
	}{
		{"", false},
		{"identity", false},
		{"gzip;q=0", false},
		{"gzip;q=0.5, identity", false},
		{"br, *;q=0.1", true},
		{"GZIP", true},
	} {
		resp, body := env.get("/metrics", map[string]string{"Accept-Encoding": tc.accept})
		if got := resp.Header.Get("Content-Encoding") == "gzip"; got != tc.gzip {
			t.Errorf("Accept-Encoding %q: Content-Encoding %q, want gzip %v", tc.accept, resp.Header.Get("Content-Encoding"), tc.gzip)
			continue
		}
		if !slices.Contains(resp.Header.Values("Vary"), "Accept-Encoding") {
			t.Errorf("Accept-Encoding %q: Vary %q", tc.accept, resp.Header.Values("Vary"))
		}
		var r io.Reader = strings.NewReader(string(body))
		if tc.gzip {
			gz, err := gzip.NewReader(r)
			if err != nil {
				t.Fatalf("Accept-Encoding %q: %v", tc.accept, err)
			}
			r = gz
		}
		parser := expfmt.NewTextParser(model.UTF8Validation)
		families, err := parser.TextToMetricFamilies(r)
		if err != nil || families["codearts_check_task_status"] == nil {
			t.Errorf("Accept-Encoding %q: the answer does not parse (%v) or has no task_status", tc.accept, err)
		}
	}
}

func TestAcceptsGzip(t *testing.T) {
	for _, tc := range []struct {
		values []string
		want   bool
	}{
		{nil, false},
		{[]string{"gzip"}, true},
		{[]string{"deflate, gzip;q=1.0, *;q=0.5"}, true},
		{[]string{"gzip ; q = 0.8"}, true},
		{[]string{"gzip;q=0"}, false},
		{[]string{"gzip;q=0, *"}, false}, // gzip named: * does not override it
		{[]string{"*"}, true},
		{[]string{"identity;q=1, gzip;q=0.9"}, false},
		{[]string{"identity;q=0.5", "gzip"}, true},
		{[]string{"gzip;q=bad"}, false},
		{[]string{"gzip;q=NaN"}, false},
		{[]string{",,;;=q"}, false},
	} {
		if got := acceptsGzip(tc.values); got != tc.want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", tc.values, got, tc.want)
		}
	}
}

// Any header is read without a panic, and several Accept-Encoding lines
// mean what they mean joined by commas (RFC 9110, 5.3).
func FuzzAcceptsGzip(f *testing.F) {
	f.Add("gzip", "identity;q=0.5")
	f.Add("*;q=0.1", "gzip;q=0")
	f.Add(";q=", "GZIP;Q=1e9")
	f.Fuzz(func(t *testing.T, a, b string) {
		if split, joined := acceptsGzip([]string{a, b}), acceptsGzip([]string{a + "," + b}); split != joined {
			t.Errorf("%q and %q: %v as two lines, %v joined", a, b, split, joined)
		}
	})
}
