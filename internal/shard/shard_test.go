package shard_test

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/goleak"

	"github.com/codearts-check-exporter/codearts_check_exporter/collector"
	"github.com/codearts-check-exporter/codearts_check_exporter/config"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/api"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/clientcache"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/shard"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/simulator"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The hash is interface: these values were computed independently (FNV-1a
// 64 by hand, in Python) and must never change.
func TestOfIsFNV1a64(t *testing.T) {
	cases := []struct {
		id    string
		total int
		want  int
	}{
		{"a", 7, 5}, // FNV-1a 64("a") = 0xaf63dc4c8601ec8c
		{"0123456789abcdef0123456789abcdef", 4, 1},
		{"0123456789abcdef0123456789abcdef", 7, 3},
		{"2b31ed5200000000ebedb6e570000001", 3, 0},
		{"2b31ed5200000000ebedb6e570000001", 4, 3},
		{"anything", 1, 0},
	}
	for _, c := range cases {
		if got := shard.Of(c.id, c.total); got != c.want {
			t.Errorf("Of(%q, %d) = %d, want %d", c.id, c.total, got, c.want)
		}
	}
}

func TestNewRejectsBadFlags(t *testing.T) {
	for _, c := range []struct{ shard, total int }{{0, 0}, {-1, 2}, {2, 2}, {5, 3}} {
		if _, err := shard.New(testkit.ConfigTasks{}, c.shard, c.total); err == nil {
			t.Errorf("New(shard %d, total %d): no error", c.shard, c.total)
		}
	}
}

// taskIDs returns n task IDs shaped like real ones (32 hex characters).
func taskIDs(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("%016x%016x", uint64(i)*0x9e3779b97f4a7c15, i)
	}
	return ids
}

// discovered is what discovery would find: tasks that are in no
// configuration.
func discovered(ids []string) []config.Task {
	tasks := make([]config.Task, len(ids))
	for i, id := range ids {
		tasks[i] = config.Task{ID: id, Name: "discovered"}
	}
	return tasks
}

var taskIDLabel = regexp.MustCompile(`^codearts_check_task_query_success\{task_id="([^"]+)"\} 1$`)

// replica is one exporter process of a sharded deployment.
type replica struct {
	clients *clientcache.Cache
	coll    *collector.Scraper
	server  *httptest.Server
}

// newReplica serves the collector of src, with cfg in force, over clients
// of its own, as main wires them.
func newReplica(t *testing.T, cfg *config.Config, clients *clientcache.Cache, src *shard.Source, metrics *api.Metrics, logger *slog.Logger) replica {
	t.Helper()
	static := prometheus.NewRegistry()
	static.MustRegister(metrics, src)
	coll := collector.New(inForce(cfg), clients, src, nil, metrics, logger)
	return replica{clients: clients, coll: coll, server: httptest.NewServer(collector.Handler(coll, static, logger, collector.HandlerOpts{}))}
}

// inForce is a configuration holder with cfg in force for good.
func inForce(cfg *config.Config) func() *config.Config {
	return func() *config.Config { return cfg }
}

// newClients returns a client cache that built cfg's client.
func newClients(t *testing.T, cfg *config.Config, metrics *api.Metrics, logger *slog.Logger) *clientcache.Cache {
	t.Helper()
	clients := clientcache.New(metrics, logger)
	if _, err := clients.For(cfg); err != nil {
		clients.Close()
		t.Fatal(err)
	}
	return clients
}

// serveConfig serves sim on loopback for the test and returns a valid
// configuration querying it with IAM auth, concurrency 32 and static as
// its tasks. edit, if not nil, changes it before validation.
func serveConfig(t *testing.T, sim *simulator.Server, static []string, edit func(*config.Config)) *config.Config {
	t.Helper()
	apiServer := testkit.Simulator(t, sim)
	cfg := &config.Config{
		Endpoint:    apiServer.URL,
		Auth:        config.Auth{IAM: testkit.IAM(apiServer.URL)},
		Concurrency: 32,
	}
	for _, id := range static {
		cfg.Tasks = append(cfg.Tasks, config.Task{ID: id})
	}
	if edit != nil {
		edit(cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

func startReplica(t *testing.T, cfg *config.Config, source shard.Tasks, shardOrdinal, total int) replica {
	t.Helper()
	src, err := shard.New(source, shardOrdinal, total)
	if err != nil {
		t.Fatal(err)
	}
	metrics := api.NewMetrics()
	logger := slog.New(slog.DiscardHandler)
	return newReplica(t, cfg, newClients(t, cfg, metrics, logger), src, metrics, logger)
}

func (r replica) close() {
	r.server.Close()
	r.coll.Close()
	r.clients.Close()
}

// scrape returns the IDs of the tasks answered and the shard gauges.
func (r replica) scrape(t *testing.T) (ids []string, ordinal, total string) {
	t.Helper()
	resp, err := http.Get(r.server.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if m := taskIDLabel.FindStringSubmatch(line); m != nil {
			ids = append(ids, m[1])
		}
		fmt.Sscanf(line, "codearts_check_shard_ordinal %s", &ordinal)
		fmt.Sscanf(line, "codearts_check_total_shards %s", &total)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	return ids, ordinal, total
}

// checkPartition scrapes every replica and checks that together they
// answered each of ids exactly once, each by the shard its ID hashes to,
// and that the shards are of similar size.
func checkPartition(t *testing.T, sim *simulator.Server, replicas []replica, ids []string) {
	t.Helper()
	total := len(replicas)
	sim.ResetStats()
	owner := map[string]int{}
	for s, r := range replicas {
		got, ordinal, totalShards := r.scrape(t)
		if ordinal != fmt.Sprint(s) || totalShards != fmt.Sprint(total) {
			t.Errorf("shard %d: codearts_check_shard_ordinal %q, codearts_check_total_shards %q", s, ordinal, totalShards)
		}
		for _, id := range got {
			if prev, dup := owner[id]; dup {
				t.Errorf("task %s answered by shards %d and %d", id, prev, s)
			}
			owner[id] = s
			if want := shard.Of(id, total); want != s {
				t.Errorf("task %s answered by shard %d, hashes to %d", id, s, want)
			}
		}
		if n := len(got); total > 1 && (n < len(ids)/total/2 || n > len(ids)/total*3/2) {
			t.Errorf("shard %d of %d has %d of %d tasks", s, total, n, len(ids))
		}
	}
	if len(owner) != len(ids) {
		t.Errorf("%d tasks answered across %d shards, want %d", len(owner), total, len(ids))
	}
	for _, id := range ids {
		if _, ok := owner[id]; !ok {
			t.Errorf("task %s answered by no shard", id)
		}
		if n := sim.TaskRequests(id); n != 1 {
			t.Errorf("task %s queried %d times, want once", id, n)
		}
	}
	if n := sim.ProgressRequests(); n != len(ids) {
		t.Errorf("%d progress requests, want %d", n, len(ids))
	}
}

// N replicas, each with its --shard, query every task exactly once between
// them, for static tasks and for discovered ones, also after the
// discovered list changes.
func TestShardsPartitionTheTaskSet(t *testing.T) {
	const tasks = 300
	ids := taskIDs(tasks + 100)
	static, later := ids[:tasks], ids[100:]
	sim := simulator.New(simulator.Options{})
	for _, id := range ids {
		sim.SetTask(simulator.Task{ID: id, Status: simulator.IntPtr(2)})
	}
	cfg := serveConfig(t, sim, static, nil)

	for _, total := range []int{1, 2, 3, 7} {
		t.Run(fmt.Sprintf("static/total=%d", total), func(t *testing.T) {
			var replicas []replica
			for s := range total {
				r := startReplica(t, cfg, testkit.ConfigTasks{}, s, total)
				defer r.close()
				replicas = append(replicas, r)
			}
			checkPartition(t, sim, replicas, static)
		})
		t.Run(fmt.Sprintf("discovered/total=%d", total), func(t *testing.T) {
			// Each replica discovers on its own, as separate processes do;
			// they find the same list.
			var replicas []replica
			var sources []*testkit.TaskList
			for s := range total {
				src := testkit.NewTaskList(discovered(static)...)
				r := startReplica(t, cfg, src, s, total)
				defer r.close()
				replicas, sources = append(replicas, r), append(sources, src)
			}
			checkPartition(t, sim, replicas, static)
			// 100 tasks go, 100 new ones come.
			for _, src := range sources {
				src.Set(discovered(later)...)
			}
			checkPartition(t, sim, replicas, later)
		})
	}
}
