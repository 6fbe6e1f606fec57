// Package shard owns splitting the task set between replicas of the
// exporter (the kube-state-metrics --shard / --total-shards convention).
// Each replica keeps the tasks whose ID hashes to its shard, so that N
// replicas together query every task exactly once, each with 1/N of the
// CPU, memory and /metrics size.
//
// The hash is FNV-1a, 64 bits, of the task ID's bytes, modulo the number of
// shards. It is part of the interface: it must never change, or a rolling
// upgrade would briefly query some tasks twice and others not at all.
package shard

import (
	"fmt"
	"hash/fnv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/codearts-check-exporter/codearts_check_exporter/config"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/namespace"
)

// Of returns the shard, 0..total-1, that owns taskID. total must be >= 1.
func Of(taskID string, total int) int {
	h := fnv.New64a()
	_, _ = h.Write([]byte(taskID)) // a hash.Hash never returns an error
	return int(h.Sum64() % uint64(total))
}

// Tasks is collector.TaskSource, which Source both wraps and implements.
type Tasks interface {
	Tasks(cfg *config.Config) []config.Task
}

// Source keeps, of the tasks another source gives, those of one shard.
// Wrapping the source rather than filtering the configuration means static
// and discovered tasks are partitioned alike. As a prometheus.Collector it
// reports its shard.
type Source struct {
	source       Tasks
	shard, total int
}

var (
	ordinalDesc = prometheus.NewDesc(prometheus.BuildFQName(namespace.Name, "shard", "ordinal"),
		"The shard of the task set this exporter queries (--shard), 0-based.", nil, nil)
	totalDesc = prometheus.NewDesc(prometheus.BuildFQName(namespace.Name, "", "total_shards"),
		"How many shards the task set is split into (--total-shards); 1: not sharded.", nil, nil)
)

// New returns the tasks of source that fall in shard, out of total shards.
func New(source Tasks, shard, total int) (*Source, error) {
	if total < 1 {
		return nil, fmt.Errorf("--total-shards=%d: want 1 or more", total)
	}
	if shard < 0 || shard >= total {
		return nil, fmt.Errorf("--shard=%d: want 0..%d (--total-shards=%d)", shard, total-1, total)
	}
	return &Source{source: source, shard: shard, total: total}, nil
}

// Tasks implements collector.TaskSource.
func (s *Source) Tasks(cfg *config.Config) []config.Task {
	all := s.source.Tasks(cfg)
	if s.total == 1 {
		return all
	}
	mine := make([]config.Task, 0, len(all)/s.total+1)
	for _, t := range all {
		if Of(t.ID, s.total) == s.shard {
			mine = append(mine, t)
		}
	}
	return mine
}

// Describe implements prometheus.Collector.
func (s *Source) Describe(ch chan<- *prometheus.Desc) { prometheus.DescribeByCollect(s, ch) }

// Collect implements prometheus.Collector.
func (s *Source) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(ordinalDesc, prometheus.GaugeValue, float64(s.shard))
	ch <- prometheus.MustNewConstMetric(totalDesc, prometheus.GaugeValue, float64(s.total))
}
