package collector

import (
	"bufio"
	"compress/gzip"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"google.golang.org/protobuf/encoding/protodelim"

	"github.com/codearts-check-exporter/codearts_check_exporter/config"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/exposition"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/simulator"
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
			task:      config.Task{ID: id, Name: "task-" + strconv.Itoa(i)},
			errorCode: code, duration: 0.05,
			answer: answer{known: true, status: 2, hasRatio: true, ratio: 1, at: time.Unix(1.8e9, 0)},
		})
	}
	collect := func(*http.Request) *snapshot { return snap }
	h := exposition.Handler(prometheus.NewRegistry(), families, collect, slog.New(slog.DiscardHandler), HandlerOpts{})
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	var size int
	for b.Loop() {
		w := &countingWriter{header: http.Header{}}
		h.ServeHTTP(w, req)
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
