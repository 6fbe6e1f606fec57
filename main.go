// Command codearts_check_exporter is a Prometheus exporter for Huawei Cloud
// CodeArts Check: on every scrape it asks the API for the progress of each
// configured task and exports the answers as metrics.
//
// This file only wires the packages together: config loads and holds the
// configuration, collector serves /metrics, codearts/auth/api talk to the
// API, simulator stands in for the API in --demo mode.
package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	versioncollector "github.com/prometheus/client_golang/prometheus/collectors/version"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/common/version"
	"github.com/prometheus/exporter-toolkit/web"
	"github.com/prometheus/exporter-toolkit/web/kingpinflag"

	"github.com/codearts-check-exporter/codearts_check_exporter/internal/api"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/codearts"
	"github.com/codearts-check-exporter/codearts_check_exporter/collector"
	"github.com/codearts-check-exporter/codearts_check_exporter/config"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/discovery"
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
	// The tasks are the static ones merged with the discovered ones. The
	// discoverer reads the configuration and lists through the collector's
	// client, both made further down.
	var (
		sc   *config.SafeConfig
		coll *collector.Collector
	)
	disc := discovery.New(func() *config.Config { return sc.Get() },
		func() (*codearts.Client, error) { return coll.Client() }, logger)
	// Every task source is wrapped, so static and discovered tasks are
	// sharded alike.
	tasks, err := shard.New(disc, *shardOrdinal, *totalShards)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}

	if *configCheck {
		cfg, err := config.Load(*configFile)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		fmt.Printf("%s is valid: %d task(s)", *configFile, len(cfg.Tasks))
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
		return 0
	}

	logger.Info("Starting codearts_check_exporter", "version", version.Info(), "build_context", version.BuildContext())

	registry := prometheus.NewRegistry()
	apiMetrics := api.NewMetrics()
	registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		versioncollector.NewCollector("codearts_check"),
		apiMetrics,
		tasks,
		disc,
	)
	sc = config.NewSafeConfig(registry)

	reload := func() error { return sc.ReloadConfig(*configFile) }
	if *demo {
		stop, err := startDemo(sc, logger)
		if err != nil {
			logger.Error("Cannot start the demo simulator", "err", err)
			return 1
		}
		defer stop()
		reload = func() error { return errors.New("reload is not available in --demo mode") }
	} else if err := reload(); err != nil {
		logger.Error("Cannot load the configuration", "err", err)
		return 1
	}

	if *totalShards > 1 {
		logger.Info("Sharded: querying only this shard's tasks", "shard", *shardOrdinal, "total_shards", *totalShards)
	}
	coll = collector.New(sc.Get, tasks, apiMetrics, logger)
	defer coll.Close()
	// Build the API session now and after every reload, not at the next
	// scrape, so that its warnings (TLS verification off) show at startup.
	if err := coll.Prepare(); err != nil {
		logger.Error("Cannot set up the API client; scrapes will fail", "err", err)
	}
	load := reload
	reload = func() error {
		if err := load(); err != nil {
			return err
		}
		if err := coll.Prepare(); err != nil {
			logger.Error("Cannot set up the API client; scrapes will fail", "err", err)
		}
		disc.Reload()
		return nil
	}
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

	mux := http.NewServeMux()
	mux.Handle(*metricsPath, promhttp.InstrumentMetricHandler(registry,
		collector.Handler(coll, registry, logger, collector.HandlerOpts{MaxRequestsInFlight: *maxRequests, Registry: registry})))
	mux.HandleFunc("/-/healthy", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "Healthy") })
	mux.HandleFunc("/-/ready", func(w http.ResponseWriter, _ *http.Request) {
		if sc.Get() == nil {
			http.Error(w, "no configuration loaded", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "Ready")
	})
	reloader := newReloads(reload)
	mux.Handle("/-/reload", reloadHandler(reloader, logger))
	mux.Handle("/config", sc)
	handlePprof(mux)
	if *metricsPath != "/" {
		landing, err := web.NewLandingPage(web.LandingConfig{
			Name:        "CodeArts Check Exporter",
			Description: "Prometheus exporter for Huawei Cloud CodeArts Check",
			Version:     version.Info(),
			Links: []web.LandingLinks{
				{Address: *metricsPath, Text: "Metrics"},
				{Address: "/config", Text: "Configuration (secrets hidden)"},
				{Address: "/-/healthy", Text: "Health"},
				{Address: "/-/ready", Text: "Readiness"},
			},
		})
		if err != nil {
			logger.Error("Cannot build the landing page", "err", err)
			return 1
		}
		mux.Handle("/", landing)
	}

	server := &http.Server{
		Handler: mux,
		// Bound how long a client may take to send its headers, so slow or
		// idle connections cannot pile up.
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}

	term := make(chan os.Signal, 1)
	signal.Notify(term, os.Interrupt, syscall.SIGTERM)
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	go func() {
		for range hup {
			if err := reloader.do(context.Background()); err != nil {
				logger.Error("Reload failed; the previous configuration stays in force", "err", err)
				continue
			}
			logger.Info("Configuration reloaded")
		}
	}()

	serveErr := make(chan error, 1)
	go func() { serveErr <- web.ListenAndServe(server, toolkitFlags, logger) }()
	select {
	case err := <-serveErr:
		logger.Error("HTTP server failed", "err", err)
		return 1
	case sig := <-term:
		logger.Info("Shutting down: finishing scrapes in flight", "signal", sig.String())
	}
	// Scrapes in flight are bounded by their deadline; past this, they are
	// cut off so that the process exits promptly when asked to.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := server.Shutdown(ctx); err != nil {
		logger.Warn("Scrapes still in flight were cut off", "err", err)
		server.Close()
	}
	return 0
}
