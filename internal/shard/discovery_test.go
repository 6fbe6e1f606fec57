package shard_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/codearts-check-exporter/codearts_check_exporter/collector"
	"github.com/codearts-check-exporter/codearts_check_exporter/config"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/api"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/codearts"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/discovery"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/shard"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/simulator"
)

// The real discoverer, as main wires it: each replica lists the project
// through its own client, merges the static tasks, and keeps its shard.
// Together the replicas query static and discovered tasks exactly once.
func TestShardsPartitionRealDiscovery(t *testing.T) {
	const project = "cccccccccccccccccccccccccccccccc"
	ids := taskIDs(260)
	static, listed := ids[:20], ids[20:]
	sim := simulator.New(simulator.Options{})
	sim.AddProject(project)
	for _, id := range static {
		sim.SetTask(simulator.Task{ID: id, Status: simulator.IntPtr(2)})
	}
	for i, id := range listed {
		sim.SetTask(simulator.Task{ID: id, Name: fmt.Sprintf("svc-%d", i), ProjectID: project, GitBranch: "main", Status: simulator.IntPtr(1)})
	}
	cfg := serveConfig(t, sim, static, func(c *config.Config) {
		c.Discovery = &config.Discovery{Projects: []string{project}}
	})
	getConfig := func() *config.Config { return cfg }

	for _, total := range []int{1, 3} {
		t.Run(fmt.Sprintf("total=%d", total), func(t *testing.T) {
			var replicas []replica
			for s := range total {
				var coll *collector.Collector
				logger := slog.New(slog.DiscardHandler)
				disc := discovery.New(getConfig, func() (*codearts.Client, error) { return coll.Client() }, logger)
				src, err := shard.New(disc, s, total)
				if err != nil {
					t.Fatal(err)
				}
				metrics := api.NewMetrics()
				static := prometheus.NewRegistry()
				static.MustRegister(metrics, src)
				coll = collector.New(getConfig, src, metrics, logger)
				disc.Refresh(context.Background())
				r := replica{coll: coll, server: httptest.NewServer(collector.Handler(coll, static, logger, collector.HandlerOpts{}))}
				defer r.close()
				replicas = append(replicas, r)
			}
			checkPartition(t, sim, replicas, ids)
		})
	}
}
