package collector

import (
	"flag"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/codearts-check-exporter/codearts_check_exporter/config"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/simulator"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit/stdkit"
)

// update rewrites the golden files instead of comparing with them:
//
//	go test ./collector -run TestDemoMetricsGolden -update
var update = flag.Bool("update", false, "rewrite collector/testdata/*.golden from what the tests render")

const demoGolden = "testdata/demo-metrics.golden"

// The demo's /metrics, as a scraper gets it, is the golden file: a renamed
// metric or label, a changed help text or type, a family gone or added
// fails this test, as node_exporter's e2e-output.txt does for its
// collectors. The demo simulator runs on a fixed clock and the exporter
// serves one scrape; durations and the times the exporter took from its
// own clock are normalised to 0. A new metric is added to the file by
// regenerating it (the command at update) and reviewing the diff.
func TestDemoMetricsGolden(t *testing.T) {
	clock := stdkit.NewClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	sim := simulator.NewDemo(clock.Now)
	names := simulator.DemoTaskNames()
	env := newTestEnv(t, sim, simulator.DemoTaskIDs(), func(c *config.Config) {
		for i := range c.Tasks {
			c.Tasks[i].Name = names[c.Tasks[i].ID]
		}
	})
	env.coll.now = clock.Now

	body := getOK(t, env.exporter.URL+"/metrics")
	got := normaliseMetrics(body)
	if *update {
		if err := os.WriteFile(demoGolden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(demoGolden)
	if err != nil {
		t.Fatalf("%v (create it with -update)", err)
	}
	if got != string(want) {
		gotLines, wantLines := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := 0; i < max(len(gotLines), len(wantLines)); i++ {
			g, w := line(gotLines, i), line(wantLines, i)
			if g != w {
				t.Fatalf("/metrics differs from %s at line %d:\n got: %s\nwant: %s\n(if the change is meant, regenerate: go test ./collector -run TestDemoMetricsGolden -update)", demoGolden, i+1, g, w)
			}
		}
	}
}

func line(lines []string, i int) string {
	if i < len(lines) {
		return lines[i]
	}
	return "<end>"
}

// normalised matches the samples whose values come from the exporter's
// own clock (durations, the time of its last good answer): their value
// is replaced by 0.
var normalised = regexp.MustCompile(`(?m)^((?:codearts_check_scrape_duration_seconds|codearts_check_task_query_duration_seconds|codearts_check_task_last_success_timestamp_seconds)(?:\{[^}]*\})?) \S+$`)

func normaliseMetrics(body string) string {
	return normalised.ReplaceAllString(body, "$1 0")
}
