package clientcache

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/codearts-check-exporter/codearts_check_exporter/config"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/api"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/simulator"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit"
)

// The AK/SK project looked up is kept across reloads that leave the
// credentials alone, and looked up again when they change: another access
// key, or another region (even with the same IAM endpoint written out).
func TestAKSKProjectLookupAcrossReloads(t *testing.T) {
	const (
		testAK = "AKSESSIONTEST0000001"
		testSK = "session-test-Secret"
	)
	sim := simulator.New(simulator.Options{})
	ts := testkit.Simulator(t, sim)
	// Keys bound to no project: the gateway accepts any X-Project-Id, so
	// the test can move between regions with one key.
	sim.AddAccessKey(simulator.AccessKey{ID: testAK, Secret: testSK})
	sim.AddAccessKey(simulator.AccessKey{ID: "AKSECOND", Secret: testSK})
	sim.SetProjects("cn-north-1", "11111111111111111111111111111111")
	const task = "2b31ed5200000000ebedb6e570000000"
	sim.SetTask(simulator.Task{ID: task, Status: simulator.IntPtr(2)})
	clients := New(api.NewMetrics(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	t.Cleanup(clients.Close)

	load := func(region, ak string, concurrency int) *config.Config {
		t.Helper()
		cfg := &config.Config{Region: region, Endpoint: ts.URL, Concurrency: concurrency, Tasks: []config.Task{{ID: task}},
			Auth: config.Auth{AKSK: &config.AKSK{AccessKey: ak, SecretKey: testSK, IAMEndpoint: ts.URL}}}
		if err := cfg.Validate(); err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	step := func(name string, cfg *config.Config, wantLookups int, wantRegion string) {
		t.Helper()
		client, err := clients.For(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := client.Progress(context.Background(), task, ""); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		region, withHeader := sim.LastProjectQuery()
		if sim.ProjectRequests() != wantLookups || region != wantRegion || withHeader {
			t.Errorf("%s: %d lookups, last for %q (X-Project-Id sent: %v); want %d for %q",
				name, sim.ProjectRequests(), region, withHeader, wantLookups, wantRegion)
		}
	}
	step("first load", load("cn-north-4", testAK, 1), 1, "cn-north-4")
	step("reload, other concurrency", load("cn-north-4", testAK, 2), 1, "cn-north-4")
	step("reload, other region", load("cn-north-1", testAK, 2), 2, "cn-north-1")
	step("reload, other access key", load("cn-north-1", "AKSECOND", 2), 3, "cn-north-1")
	if sim.SignatureFailures() != 0 {
		t.Errorf("%d refused signatures", sim.SignatureFailures())
	}
}
