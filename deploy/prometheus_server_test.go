package deploy_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit/stdkit"
)

// startPrometheus runs a real Prometheus server until the test ends that
// scrapes target (the job jobName) every interval and loads ruleFile ("":
// none), and waits until it has scraped once. It starts before the
// exporter: it takes a few seconds before it scrapes (service discovery
// updates are throttled to every 5s).
func startPrometheus(t *testing.T, dir string, interval time.Duration, target, ruleFile string) promAPI {
	t.Helper()
	prometheus := requireTool(t, "prometheus")
	start := time.Now()
	promAddr := testkit.FreeAddr(t)
	rules := ""
	if ruleFile != "" {
		rules = fmt.Sprintf("rule_files:\n  - %q\n", ruleFile)
	}
	config := fmt.Sprintf(`global:
  scrape_interval: %[1]s
  scrape_timeout: %[1]s
  evaluation_interval: %[1]s
%[2]sscrape_configs:
  - job_name: %[3]q
    static_configs:
      - targets: [%[4]q]
`, promDuration(interval), rules, jobName, target)
	configFile := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(configFile, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	startProcess(t, dir, prometheus,
		"--config.file="+configFile,
		"--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+promAddr,
		"--log.level=warn",
	)
	api := promAPI("http://" + promAddr)
	stdkit.Until(t, start.Add(20*time.Second), "prometheus scraping", func() error {
		samples, err := api.query(fmt.Sprintf("up{job=%q}", jobName))
		if err == nil && len(samples) == 0 {
			err = fmt.Errorf("no scrape yet")
		}
		return err
	})
	return api
}

// queryStats is what Prometheus says a query cost (stats=all).
type queryStats struct {
	Samples struct {
		// TotalQueryableSamples is how many samples the query read.
		TotalQueryableSamples int64 `json:"totalQueryableSamples"`
	} `json:"samples"`
}

// evaluate runs expr as Grafana would for a panel: an instant query at
// end, or a range query from start to end, one point per step. It returns
// the series the panel gets and how many samples Prometheus read.
func (p promAPI) evaluate(expr string, instant bool, start, end time.Time, step time.Duration) ([]promSample, queryStats, error) {
	result, stats, err := p.run(expr, instant, start, end, step)
	if err != nil {
		return nil, queryStats{}, err
	}
	var series []promSample
	if err := json.Unmarshal(result, &series); err != nil {
		return nil, queryStats{}, err
	}
	return series, stats, nil
}

// cost is how many samples expr reads evaluated at one moment. It leaves
// the result undecoded: thousands of series, which a race-built test
// decodes slowly.
func (p promAPI) cost(expr string, at time.Time) (queryStats, error) {
	_, stats, err := p.run(expr, true, at, at, 0)
	return stats, err
}

// run is evaluate's query, its result as Prometheus sent it.
func (p promAPI) run(expr string, instant bool, start, end time.Time, step time.Duration) (json.RawMessage, queryStats, error) {
	var data struct {
		ResultType string          `json:"resultType"`
		Result     json.RawMessage `json:"result"`
		Stats      queryStats      `json:"stats"`
	}
	params := url.Values{"query": {expr}, "stats": {"all"}}
	path, want := "/api/v1/query", "vector"
	params.Set("time", unixSeconds(end))
	if !instant {
		path, want = "/api/v1/query_range", "matrix"
		params.Del("time")
		params.Set("start", unixSeconds(start))
		params.Set("end", unixSeconds(end))
		params.Set("step", strconv.FormatFloat(step.Seconds(), 'f', -1, 64))
	}
	if err := p.get(path, params, &data); err != nil {
		return nil, queryStats{}, err
	}
	if data.ResultType != want {
		return nil, queryStats{}, fmt.Errorf("result type %s, want %s", data.ResultType, want)
	}
	return data.Result, data.Stats, nil
}

func unixSeconds(t time.Time) string {
	return strconv.FormatFloat(float64(t.UnixMilli())/1000, 'f', 3, 64)
}
