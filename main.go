// Command codearts_check_exporter is a Prometheus exporter for Huawei Cloud
// CodeArts Check: on every scrape it asks the API for the progress of each
// configured task and exports the answers as metrics, with each task's
// latest report (defects, quality gate), read when a check finishes.
//
// This file only wires the packages together; web.go serves the endpoints
// beside /metrics.
package main

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/alecthomas/kingpin/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	versioncollector "github.com/prometheus/client_golang/prometheus/collectors/version"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/common/promslog"
	promslogflag "github.com/prometheus/common/promslog/flag"
	"github.com/prometheus/common/version"
	"github.com/prometheus/exporter-toolkit/web/kingpinflag"

	"github.com/codearts-check-exporter/codearts_check_exporter/collector"
	"github.com/codearts-check-exporter/codearts_check_exporter/config"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/api"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/clientcache"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/discovery"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/namespace"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/shard"
)

// defaultPort is outside 9100-9999, which Prometheus' default port
// allocation list has given out completely.
const defaultPort = ":10139"

// versionFile lets a plain `go build` or `go run .` report the release this
// tree is; the Makefile and the Dockerfile set version.Version with
// -ldflags, which wins. prometheus/common/version reads the revision from
// the build information by itself.
//
//go:embed VERSION
var versionFile string

func main() {
	os.Exit(run())
}

func run() int {
	app := kingpin.New("codearts_check_exporter", "Prometheus exporter for Huawei Cloud CodeArts Check task status and progress.")
	var (
		configFile   = app.Flag("config.file", "Configuration file.").Default("codearts_check_exporter.yml").String()
		configCheck  = app.Flag("config.check", "Validate the configuration file, say what is wrong, and exit (non-zero if invalid).").Bool()
		autoReload   = app.Flag("config.auto-reload-interval", "How often to check the configuration file's checksum and reload it when it changed, as SIGHUP does. 0s: never (reload by SIGHUP or POST /-/reload). Ignored with --demo.").Default("0s").Duration()
		metricsPath  = app.Flag("web.telemetry-path", "Path under which to expose metrics.").Default("/metrics").String()
		maxRequests  = app.Flag("web.max-requests", "Maximum number of concurrent scrapes; more are answered 503. 0 disables the limit.").Default("10").Int()
		shardOrdinal = app.Flag("shard", "The shard of the task set this replica queries, 0-based: the tasks whose ID hashes (FNV-1a 64) to it modulo --total-shards.").Default("0").Int()
		totalShards  = app.Flag("total-shards", "How many replicas the task set is split between. 1: no sharding.").Default("1").Int()
		demo         = app.Flag("demo", "Run against a built-in simulator of the API with a few demo tasks; needs no configuration file or credentials.").Bool()
		logConfig    = &promslog.Config{}
	)
	promslogflag.AddFlags(app, logConfig)
	toolkitFlags := kingpinflag.AddFlags(app, defaultPort)
	if version.Version == "" {
		version.Version = strings.TrimSpace(versionFile)
	}
	app.Version(version.Print("codearts_check_exporter"))
	app.HelpFlag.Short('h')
	if _, err := app.Parse(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	logger, err := newLogger(os.Stderr, logConfig)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}

	// The configuration in force lives in sc alone; discovery and the
	// collector take it from there and share their API client (clients).
	registry := prometheus.NewRegistry()
	sc := config.NewSafeConfig(registry)
	apiMetrics := api.NewMetrics()
	clients := clientcache.New(apiMetrics, logger)
	defer clients.Close() // last: after discovery and the collector stopped
	disc := discovery.New(sc.Get, clients, logger)
	tasks, err := shard.New(disc, *shardOrdinal, *totalShards)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	if *configCheck {
		return checkConfig(*configFile)
	}
	watcher, err := config.NewWatcher(sc, *configFile, *autoReload, logger)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	if watcher != nil && *demo {
		// Refusing the flag would stop a chart or compose file that
		// always sets it from running the demo.
		logger.Warn("--config.auto-reload-interval is ignored with --demo: the demo has no configuration file")
		watcher = nil
	}

	logger.Info("Starting codearts_check_exporter", "version", version.Info(), "build_context", version.BuildContext())
	registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		versioncollector.NewCollector(namespace.Name),
		apiMetrics,
		tasks,
		disc,
	)
	// load puts the configuration file in force; reload (SIGHUP, POST
	// /-/reload) does so and has discovery list at once.
	load := func() error {
		warnings, err := sc.ReloadConfig(*configFile)
		if err != nil {
			return err
		}
		for _, w := range warnings {
			logger.Warn("Configuration warning", "file", *configFile, "warning", w)
		}
		logLoaded(logger, *configFile, sc.Get())
		// Built now, what building reports is logged now. A client that cannot be built is not fatal:
		// scrapes report the failure (and try again) until what is missing, a file or a certificate, is there.
		if _, err := clients.For(sc.Get()); err != nil {
			logger.Error("Cannot set up the API client; scrapes will fail", "err", err)
		}
		return nil
	}
	reload := func() error {
		if *demo {
			return errors.New("reload is not available in --demo mode")
		}
		if err := load(); err != nil {
			return err
		}
		disc.Reload()
		return nil
	}
	if *demo {
		stop, err := startDemo(sc, logger)
		if err != nil {
			logger.Error("Cannot start the demo simulator", "err", err)
			return 1
		}
		defer stop()
	} else if err := load(); err != nil {
		logger.Error("Cannot load the configuration", "err", err)
		return 1
	}
	if *totalShards > 1 {
		logger.Info("Sharded: querying only this shard's tasks", "shard", *shardOrdinal, "total_shards", *totalShards)
	}

	coll := collector.New(sc.Get, clients, tasks, disc, apiMetrics, logger)
	registry.MustRegister(coll.HistoryMetrics())
	defer coll.Close()
	// Discovery stops before the collector closes (defers run last first).
	discCtx, stopDiscovery := context.WithCancel(context.Background())
	var discovering sync.WaitGroup
	discovering.Go(func() { disc.Run(discCtx) })
	defer func() {
		stopDiscovery()
		discovering.Wait()
	}()

	metricsHandler := promhttp.InstrumentMetricHandler(registry,
		collector.Handler(coll, registry, logger, collector.HandlerOpts{MaxRequestsInFlight: *maxRequests, Registry: registry}))
	reloader := &reloads{reload: reload}
	stopWatching := watcher.Start(func() error { return reloader.do(context.Background()) })
	defer stopWatching()
	mux, err := newMux(*metricsPath, metricsHandler, sc, reloader, logger)
	if err != nil {
		logger.Error("Cannot build the landing page", "err", err)
		return 1
	}
	return serve(mux, toolkitFlags, reloader, logger)
}
