package collector

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/model"

	"github.com/codearts-check-exporter/codearts_check_exporter/config"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/api"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/auth"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/simulator"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit/stdkit"
)

// A token file that goes away after startup is not fatal: scrapes report
// codearts_check_up 0 until it is back.
func TestTokenFileGoneMeansUpZero(t *testing.T) {
	sim := simulator.New(simulator.Options{})
	ts := testkit.Simulator(t, sim)
	sim.SetTask(simulator.Task{ID: "task-1", Status: simulator.IntPtr(2)})
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	iam := auth.NewIAM(*testkit.IAM(ts.URL), &api.Caller{Client: ts.Client()}, logger)
	t.Cleanup(iam.Close)
	token, err := iam.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(file, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	cfg := &config.Config{Endpoint: ts.URL, Auth: config.Auth{TokenFile: file},
		Tasks: []config.Task{{ID: "task-1"}}, Timeout: model.Duration(10 * time.Second)}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	metrics := api.NewMetrics()
	coll := newStaticCollector(t, cfg, metrics, logger)
	t.Cleanup(coll.Close)
	static := prometheus.NewRegistry()
	static.MustRegister(metrics)
	exporter := httptest.NewServer(Handler(coll, static, logger, HandlerOpts{}))
	t.Cleanup(exporter.Close)
	scrape := func() string {
		resp, err := http.Get(exporter.URL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}

	if body := scrape(); !strings.Contains(body, "codearts_check_up 1") {
		t.Fatalf("with the token file: want up 1\n%s", body)
	}
	if err := os.Remove(file); err != nil {
		t.Fatal(err)
	}
	// The file is checked about once a second; poll rather than sleep.
	scrapeShows := func(want string) func() error {
		return func() error {
			if body := scrape(); !strings.Contains(body, want) {
				return fmt.Errorf("no %q in the last scrape:\n%s", want, body)
			}
			return nil
		}
	}
	stdkit.Until(t, time.Now().Add(stdkit.Patience), "up 0 with the token file removed", scrapeShows("codearts_check_up 0"))
	if err := os.WriteFile(file, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	stdkit.Until(t, time.Now().Add(stdkit.Patience), "up 1 with the token file back", scrapeShows("codearts_check_up 1"))
}
