package collector

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/codearts-check-exporter/codearts_check_exporter/config"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/api"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/simulator"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit"
)

// testEnv is the real exporter stack — handler, collector, client, IAM
// auth — in front of a simulator, all over loopback HTTP.
type testEnv struct {
	t        *testing.T
	sim      *simulator.Server
	api      *httptest.Server // the simulator
	exporter *httptest.Server // the /metrics handler
	cfg      *config.Config
	coll     *Scraper
}

// newTestEnv starts a simulator and an exporter whose configuration lists
// taskIDs. edit, if not nil, changes the configuration before validation.
func newTestEnv(t *testing.T, sim *simulator.Server, taskIDs []string, edit func(*config.Config)) *testEnv {
	t.Helper()
	apiServer := testkit.Simulator(t, sim)
	cfg := &config.Config{
		Endpoint: apiServer.URL,
		Auth:     config.Auth{IAM: testkit.IAM(apiServer.URL)},
		Timeout:  model.Duration(10 * time.Second),
	}
	for _, id := range taskIDs {
		cfg.Tasks = append(cfg.Tasks, config.Task{ID: id})
	}
	if edit != nil {
		edit(cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("test config: %v", err)
	}
	static := prometheus.NewRegistry()
	metrics := api.NewMetrics()
	static.MustRegister(metrics)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	coll := newStaticCollector(t, cfg, metrics, logger)
	static.MustRegister(coll.HistoryMetrics())
	exporter := httptest.NewServer(Handler(coll, static, logger, HandlerOpts{}))
	t.Cleanup(func() {
		exporter.Close()
		coll.Close()
	})
	return &testEnv{t: t, sim: sim, api: apiServer, exporter: exporter, cfg: cfg, coll: coll}
}

// scrape GETs /metrics like Prometheus would, with the scrape timeout
// header when timeout > 0, and parses the answer.
func (e *testEnv) scrape(timeout time.Duration) scrapeResult {
	e.t.Helper()
	header := ""
	if timeout > 0 {
		header = formatSeconds(timeout)
	}
	return e.scrapeWithHeader(header)
}

// scrapeWithHeader is scrape with the scrape timeout header's text as
// given; "" sends none.
func (e *testEnv) scrapeWithHeader(header string) scrapeResult {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodGet, e.exporter.URL+"/metrics", nil)
	if err != nil {
		e.t.Fatal(err)
	}
	if header != "" {
		req.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", header)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("scrape: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		e.t.Fatalf("scrape: HTTP %d: %s", resp.StatusCode, body)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		e.t.Fatalf("scrape: parsing the answer: %v", err)
	}
	return scrapeResult{t: e.t, families: families}
}

func formatSeconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64)
}

type scrapeResult struct {
	t        *testing.T
	families map[string]*dto.MetricFamily
}

// value returns the value of the series name{labels}, and whether it exists.
func (r scrapeResult) value(name string, labels ...string) (float64, bool) {
	return testkit.Value(r.families, name, labels...)
}

// mustValue is value, failing the test when the series is absent.
func (r scrapeResult) mustValue(name string, labels ...string) float64 {
	r.t.Helper()
	v, ok := r.value(name, labels...)
	if !ok {
		r.t.Fatalf("series %s%v is missing", name, labels)
	}
	return v
}

// count returns how many series the family has.
func (r scrapeResult) count(name string) int {
	if mf := r.families[name]; mf != nil {
		return len(mf.GetMetric())
	}
	return 0
}

// getOK GETs url and returns its body, failing the test unless it is a 200.
func getOK(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: HTTP %d, %v", url, resp.StatusCode, err)
	}
	return string(body)
}
