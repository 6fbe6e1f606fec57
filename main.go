// Command codearts_check_exporter is a Prometheus exporter for Huawei Cloud
// CodeArts Check: on every scrape it asks the API for the progress of each
// configured task and exports the answers as metrics, with each task's
// latest report (defects, quality gate), read when a check finishes.
//
// This file only wires the packages together: config loads and holds the
// configuration, session (over codearts/auth/api) caches the API clients
// of discovery and collector, collector serves /metrics, simulator stands in
// for the API in --demo mode; web.go serves the rest.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/alecthomas/kingpin/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	versioncollector "github.com/prometheus/client_golang/prometheus/collectors/version"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/common/version"
	"github.com/prometheus/exporter-toolkit/web/kingpinflag"

	"github.com/codearts-check-exporter/codearts_check_exporter/collector"
	"github.com/codearts-check-exporter/codearts_check_exporter/config"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/api"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/clientcache"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/codearts"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/discovery"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/namespace"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/shard"
)

// defaultPort is outside 9100-9999, which Prometheus' default port
// allocation list has given out completely.
const defaultPort = ":10139"

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
		logLevel     = app.Flag("log.level", "Only log messages with the given severity or above. One of: [debug, info, warn, error]").Default("info").Enum("debug", "info", "warn", "error")
		logFormat    = app.Flag("log.format", "Output format of log messages. One of: [logfmt, json]").Default("logfmt").Enum("logfmt", "json")
		toolkitFlags = kingpinflag.AddFlags(app, defaultPort)
	)
	app.Version(version.Print("codearts_check_exporter"))
	app.HelpFlag.Short('h')
	if _, err := app.Parse(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	logger, err := newLogger(os.Stderr, *logFormat, *logLevel)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	// The configuration in force lives in sc alone. Discovery and the
	// collector take it from there and ask clients for its API client, so
	// that they share one per credentials. The tasks are the static ones
	// merged with the discovered ones; every task source is wrapped, so
	// static and discovered tasks are sharded alike.
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
	// load reads the configuration file and puts it in force; reload does
	// so on SIGHUP and POST /-/reload, and has discovery list at once.
	load := func() error {
		warnings, err := sc.ReloadConfig(*configFile)
		if err != nil {
			return err
		}
		for _, w := range warnings {
			logger.Warn("Configuration warning", "file", *configFile, "warning", w)
		}
		logLoaded(logger, *configFile, sc.Get())
		buildClient(clients, sc.Get(), logger)
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
		buildClient(clients, sc.Get(), logger)
	} else if err := load(); err != nil {
		logger.Error("Cannot load the configuration", "err", err)
		return 1
	}

	if *totalShards > 1 {
		logger.Info("Sharded: querying only this shard's tasks", "shard", *shardOrdinal, "total_shards", *totalShards)
	}
	// With change detection on, a collection's listings are discovery's.
	coll := collector.New(sc.Get, clients, tasks, disc, apiMetrics, logger)
	registry.MustRegister(coll.HistoryMetrics())
	defer coll.Close()
	// Discovery lists in the background, at once and then on its interval;
	// it stops before the collector closes (defers run last first).
	discCtx, stopDiscovery := context.WithCancel(context.Background())
	discDone := make(chan struct{})
	go func() {
		defer close(discDone)
		disc.Run(discCtx)
	}()
	defer func() {
		stopDiscovery()
		<-discDone
	}()

	metricsHandler := promhttp.InstrumentMetricHandler(registry,
		collector.Handler(coll, registry, logger, collector.HandlerOpts{MaxRequestsInFlight: *maxRequests, Registry: registry}))
	reloader := newReloads(reload)
	stopWatching := watcher.Start(func() error { return reloader.do(context.Background()) })
	defer stopWatching()
	mux, err := newMux(*metricsPath, metricsHandler, sc, reloader, logger)
	if err != nil {
		logger.Error("Cannot build the landing page", "err", err)
		return 1
	}
	return serve(mux, toolkitFlags, reloader, logger)
}

// checkConfig is --config.check: it validates file and says what is in
// force, or what is wrong. Like a start, it reads the secret files the
// file names: a missing or empty one fails the check.
func checkConfig(file string) int {
	cfg, warnings, err := config.Load(file)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	for _, w := range warnings {
		fmt.Fprintf(os.Stderr, "config file %s: warning: %s\n", file, w)
	}
	fmt.Printf("%s is valid: %d task(s)", file, len(cfg.Tasks))
	if cfg.Discovery != nil {
		fmt.Printf(", discovery in %d project(s)", len(cfg.Discovery.Projects))
	}
	// The hosts in force, defaulted from the region or not: a region
	// served through another region's host is no surprise later.
	fmt.Printf("; API endpoint %s", cfg.Endpoint)
	if iam := cfg.IAMEndpoint(); iam != "" {
		fmt.Printf(", IAM endpoint %s", iam)
	}
	fmt.Println()
	if cfg.History.On() {
		// The API reference's pages disagree on the permission, and a
		// missing one only shows at the first history read: say it now.
		fmt.Printf("history.enabled: the check history (CheckRecord) needs the IAM permission %s (the API reference's English page) or %s (its Chinese page); without it the API answers CC.00050010\n",
			codearts.CheckRecordPermissions[0], codearts.CheckRecordPermissions[1])
	}
	return 0
}

// buildClient builds the client of cfg, just put in force, so that what
// building reports is logged now. A client that cannot be built is not
// fatal: the configuration is valid, and scrapes report the failure (and
// try again) until what is missing, a file or a certificate, is there.
func buildClient(clients *clientcache.Cache, cfg *config.Config, logger *slog.Logger) {
	if _, err := clients.For(cfg); err != nil {
		logger.Error("Cannot set up the API client; scrapes will fail", "err", err)
	}
}
