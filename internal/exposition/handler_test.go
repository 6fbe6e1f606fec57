package exposition

import (
	"compress/gzip"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit"
)

// scrape is what the test handlers collect for a scrape: a status by task.
type scrape map[string]float64

// testFamilies are the caller's families, deliberately not in name order.
var testFamilies = []Family[scrape]{
	{"task_status", "Status.", []string{"task_id"}, func(s scrape, w *Writer) {
		for _, id := range slices.Sorted(maps.Keys(s)) {
			w.Series(s[id], id)
		}
	}},
	{"up", "Up.", nil, func(_ scrape, w *Writer) { w.Series(1) }},
}

// serve starts a Handler of static and testFamilies on loopback; each
// scrape collects {a1: 1, b2: 2}.
func serve(t *testing.T, static *prometheus.Registry, logger *slog.Logger) *httptest.Server {
	t.Helper()
	collect := func(*http.Request) scrape { return scrape{"b2": 2, "a1": 1} }
	srv := httptest.NewServer(Handler(static, testFamilies, collect, logger, HandlerOpts{Registry: static}))
	t.Cleanup(srv.Close)
	return srv
}

// get requests url with the given Accept-Encoding, without the transparent
// gzip handling of net/http, so the test sees what was sent.
func get(t *testing.T, url, acceptEncoding string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept-Encoding", acceptEncoding)
	resp, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: HTTP %d, %v: %s", url, resp.StatusCode, err, body)
	}
	return resp, body
}

// parse parses a text answer, gunzipping it first if gzipped.
func parse(t *testing.T, body []byte, gzipped bool) map[string]*dto.MetricFamily {
	t.Helper()
	var r io.Reader = strings.NewReader(string(body))
	if gzipped {
		gz, err := gzip.NewReader(r)
		if err != nil {
			t.Fatal(err)
		}
		r = gz
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(r)
	if err != nil {
		t.Fatalf("the answer does not parse: %v\n%s", err, body)
	}
	return families
}

// A scraper that does not take gzip gets the answer uncompressed; one
// that does gets it gzipped; either way, text that parses, whose type says
// so, and which says it varies with Accept and Accept-Encoding.
func TestHandlerCompressionNegotiated(t *testing.T) {
	srv := serve(t, prometheus.NewRegistry(), slog.New(slog.DiscardHandler))
	for _, tc := range []struct {
		accept string
		gzip   bool
	}{
		{"", false},
		{"identity", false},
		{"gzip;q=0", false},
		{"br, *;q=0", false},
		{"gzip;q=0, *", false},
		{"gzip;q=0.5, identity", false},
		{"br, *;q=0.1", true},
		{"GZIP", true},
	} {
		resp, body := get(t, srv.URL+"/metrics", tc.accept)
		if got := resp.Header.Get("Content-Encoding") == "gzip"; got != tc.gzip {
			t.Errorf("Accept-Encoding %q: Content-Encoding %q, want gzip %v", tc.accept, resp.Header.Get("Content-Encoding"), tc.gzip)
			continue
		}
		if vary := resp.Header.Values("Vary"); !slices.Contains(vary, "Accept-Encoding") || !slices.Contains(vary, "Accept") {
			t.Errorf("Accept-Encoding %q: Vary %q, want Accept and Accept-Encoding", tc.accept, vary)
		}
		if got := expfmt.ResponseFormat(resp.Header); got.FormatType() != expfmt.TypeTextPlain {
			t.Errorf("Accept-Encoding %q: Content-Type %q, want text", tc.accept, resp.Header.Get("Content-Type"))
		}
		if got, ok := testkit.Value(parse(t, body, tc.gzip), "task_status", "task_id", "b2"); !ok || got != 2 {
			t.Errorf("Accept-Encoding %q: task_status{b2} = %v, want 2", tc.accept, got)
		}
	}
}

// name[] selects families, the caller's and the registry's alike.
func TestHandlerNameFilter(t *testing.T) {
	static := prometheus.NewRegistry()
	static.MustRegister(prometheus.NewGauge(prometheus.GaugeOpts{Name: "process_wide", Help: "h"}))
	srv := serve(t, static, slog.New(slog.DiscardHandler))
	_, body := get(t, srv.URL+"/metrics?name[]=task_status&name[]=process_wide", "")
	var names []string
	for name := range parse(t, body, false) {
		names = append(names, name)
	}
	slices.Sort(names)
	if want := []string{"process_wide", "task_status"}; !slices.Equal(names, want) {
		t.Errorf("families %v, want %v", names, want)
	}
}

// The registry's and the caller's families are served in name order; a
// name in both is served once, the registry's, and is logged and counted
// as promhttp counts a gathering error.
func TestHandlerNameInBoth(t *testing.T) {
	static := prometheus.NewRegistry()
	for name, v := range map[string]float64{"a_first": 1, "up": 7, "zz_last": 2} {
		g := prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: "h"})
		g.Set(v)
		static.MustRegister(g)
	}
	var logs testkit.Buffer
	srv := serve(t, static, slog.New(slog.NewTextHandler(&logs, nil)))
	_, body := get(t, srv.URL+"/metrics", "")
	var names []string
	for _, l := range strings.Split(string(body), "\n") {
		if name, ok := strings.CutPrefix(l, "# TYPE "); ok {
			names = append(names, strings.Fields(name)[0])
		}
	}
	if want := []string{"a_first", "promhttp_metric_handler_errors_total", "task_status", "up", "zz_last"}; !slices.Equal(names, want) {
		t.Errorf("families %v, want %v", names, want)
	}
	if n := strings.Count(string(body), "# TYPE up "); n != 1 || !strings.Contains(string(body), "\nup 7\n") {
		t.Errorf("up served %d times, want once, the registry's 7:\n%s", n, body)
	}
	if !strings.Contains(logs.String(), "two metric families are named up") {
		t.Errorf("the clash is not logged: %q", logs.String())
	}
	_, body = get(t, srv.URL+"/metrics?name[]=promhttp_metric_handler_errors_total", "")
	if !strings.Contains(string(body), `promhttp_metric_handler_errors_total{cause="gathering"} 1`) {
		t.Errorf("the first scrape's clash is not counted:\n%s", body)
	}
}

// The value is collected before the registry is gathered, so that what
// collecting it counts is in the same answer.
func TestHandlerCollectsFirst(t *testing.T) {
	static := prometheus.NewRegistry()
	calls := prometheus.NewCounter(prometheus.CounterOpts{Name: "calls_total", Help: "h"})
	static.MustRegister(calls)
	collect := func(*http.Request) scrape { calls.Inc(); return scrape{} }
	srv := httptest.NewServer(Handler(static, testFamilies, collect, slog.New(slog.DiscardHandler), HandlerOpts{}))
	t.Cleanup(srv.Close)
	_, body := get(t, srv.URL+"/metrics", "")
	if got, ok := testkit.Value(parse(t, body, false), "calls_total"); !ok || got != 1 {
		t.Errorf("calls_total = %v in the first answer, want 1", got)
	}
}

// Two Handlers on one registry share its promhttp_metric_handler_errors_total
// instead of panicking at the second registration.
func TestHandlerTwoOnOneRegistry(t *testing.T) {
	reg := prometheus.NewRegistry()
	for range 2 {
		srv := serve(t, reg, slog.New(slog.DiscardHandler))
		_, body := get(t, srv.URL+"/metrics?name[]=promhttp_metric_handler_errors_total", "")
		if n := strings.Count(string(body), "# TYPE promhttp_metric_handler_errors_total "); n != 1 {
			t.Fatalf("promhttp_metric_handler_errors_total served %d times, want once:\n%s", n, body)
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
