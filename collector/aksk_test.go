package collector

import (
	promconfig "github.com/prometheus/common/config"

	"testing"

	"github.com/codearts-check-exporter/codearts_check_exporter/config"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/simulator"
)

const (
	testAK = "AKCOLLECTORTEST00001"
	testSK = "collector-test-Secret"
)

func akskTasks(sim *simulator.Server, n int) []string {
	sim.AddAccessKey(simulator.AccessKey{ID: testAK, Secret: testSK, ProjectID: simulator.DefaultProjectID})
	return addTasks(sim, n, simulator.Task{Status: simulator.IntPtr(2)})
}

func akskConfig(secret string) func(*config.Config) {
	return func(c *config.Config) {
		c.Concurrency = 16
		c.Auth = config.Auth{AKSK: &config.AKSK{AccessKey: testAK, SecretKey: promconfig.Secret(secret), ProjectID: simulator.DefaultProjectID}}
	}
}

// With the right key, the first request goes alone and the rest follow
// once it is accepted; the report reads of the tasks, first seen, are
// signed too. (A wrong key costs two refused signatures however many
// requests start at once: internal/auth's TestAKSKRefusedKeyOrTask.)
func TestAKSKRightSecretQueriesEveryTask(t *testing.T) {
	sim := simulator.New(simulator.Options{})
	ids := akskTasks(sim, 50)
	env := newTestEnv(t, sim, ids, akskConfig(testSK))
	res := env.scrape(0)
	for _, id := range ids {
		if got := res.mustValue("codearts_check_task_query_success", "task_id", id); got != 1 {
			t.Errorf("%s: query_success = %v, want 1", id, got)
		}
	}
	if got := sim.ReportRequests(""); got != 2*50 {
		t.Errorf("report requests = %d, want 100 (two per task first seen)", got)
	}
	if got := sim.SignedRequests(); got != 50+2*50 {
		t.Errorf("signed requests = %d, want 150 (50 progress, 100 report)", got)
	}
	if got := sim.SignatureFailures(); got != 0 {
		t.Errorf("refused signatures = %d, want 0", got)
	}
}
