package shard_test

import (
	"context"
	"fmt"
	"log/slog"
	"testing"

	"github.com/codearts-check-exporter/codearts_check_exporter/config"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/api"
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

	for _, total := range []int{1, 3} {
		t.Run(fmt.Sprintf("total=%d", total), func(t *testing.T) {
			var replicas []replica
			for s := range total {
				logger := slog.New(slog.DiscardHandler)
				metrics := api.NewMetrics()
				clients := newClients(t, cfg, metrics, logger)
				disc := discovery.New(inForce(cfg), clients, logger)
				src, err := shard.New(disc, s, total)
				if err != nil {
					clients.Close()
					t.Fatal(err)
				}
				disc.Refresh(context.Background())
				r := newReplica(t, cfg, clients, src, metrics, logger)
				defer r.close()
				replicas = append(replicas, r)
			}
			checkPartition(t, sim, replicas, ids)
		})
	}
}
