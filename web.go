package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	_ "net/http/pprof" // registers /debug/pprof/ on http.DefaultServeMux
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/common/version"
	"github.com/prometheus/exporter-toolkit/web"

	"github.com/codearts-check-exporter/codearts_check_exporter/config"
)

// reloads serializes configuration reloads, from POST /-/reload, SIGHUP and
// the auto-reload watcher alike: one runs at a time, so a flood of requests
// cannot parse the file side by side, each with a copy of it in memory
// (BENCHMARKS.md, "Concurrent reloads"). The requests that arrive while one
// runs share the next reload, which starts when that one ends and so reads
// the file as it is after each of them was made.
type reloads struct {
	reload func() error
	turn   sync.Mutex // held while a reload runs

	mu   sync.Mutex
	next *reloadRun // the reload not started yet that requests now share

	testHookWaiting func() // runs when a request starts waiting for its reload
}

type reloadRun struct {
	done chan struct{}
	err  error
}

// do waits for the next reload to end, starting it if no other request
// did. A caller whose ctx ends stops waiting; the reload still happens.
func (r *reloads) do(ctx context.Context) error {
	r.mu.Lock()
	run := r.next
	if run == nil {
		run = &reloadRun{done: make(chan struct{})}
		r.next = run
		go r.run(run)
	}
	r.mu.Unlock()
	if r.testHookWaiting != nil {
		r.testHookWaiting()
	}
	select {
	case <-run.done:
		return run.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// run waits for the reload running, if any, to end, then runs run; the
// requests that arrive from then on share the reload after it.
func (r *reloads) run(run *reloadRun) {
	r.turn.Lock()
	r.mu.Lock()
	r.next = nil
	r.mu.Unlock()
	run.err = r.reload()
	close(run.done)
	r.turn.Unlock()
}

// logged is do for SIGHUP and POST /-/reload, which log the outcome.
func (r *reloads) logged(ctx context.Context, logger *slog.Logger) error {
	err := r.do(ctx)
	if err != nil {
		logger.Error("Reload failed; the previous configuration stays in force", "err", err)
	} else {
		logger.Info("Configuration reloaded")
	}
	return err
}

// newMux routes the exporter's endpoints, with the landing page unless
// metrics are served at the root.
func newMux(metricsPath string, metrics http.Handler, sc *config.SafeConfig, reloader *reloads, logger *slog.Logger) (*http.ServeMux, error) {
	mux := http.NewServeMux()
	mux.Handle(metricsPath, metrics)
	mux.HandleFunc("/-/healthy", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "Healthy") })
	mux.HandleFunc("/-/ready", func(w http.ResponseWriter, _ *http.Request) {
		if sc.Get() == nil {
			http.Error(w, "no configuration loaded", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "Ready")
	})
	mux.HandleFunc("/-/reload", func(w http.ResponseWriter, req *http.Request) {
		if req.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "only POST reloads the configuration", http.StatusMethodNotAllowed)
			return
		}
		if err := reloader.logged(req.Context(), logger); err != nil {
			http.Error(w, "reload failed: "+err.Error(), http.StatusBadRequest)
			return
		}
		fmt.Fprintln(w, "Configuration reloaded")
	})
	mux.Handle("/config", sc)
	// The profiles exporter-toolkit's landing page links to, behind the same
	// TLS and basic auth as the rest. A profile holds stack traces and
	// sizes, never the contents of memory: no credential leaks through it.
	mux.Handle("/debug/pprof/", http.DefaultServeMux)
	if metricsPath == "/" {
		return mux, nil
	}
	landing, err := web.NewLandingPage(web.LandingConfig{
		Name:        "CodeArts Check Exporter",
		Description: "Prometheus exporter for Huawei Cloud CodeArts Check",
		Version:     version.Info(),
		Links: []web.LandingLinks{
			{Address: metricsPath, Text: "Metrics"},
			{Address: "/config", Text: "Configuration (secrets hidden)"},
			{Address: "/-/healthy", Text: "Health"},
			{Address: "/-/ready", Text: "Readiness"},
		},
	})
	if err != nil {
		return nil, err
	}
	mux.Handle("/", landing)
	return mux, nil
}

// serve serves handler as exporter-toolkit's flags say (address, TLS,
// basic auth) until SIGTERM or SIGINT, reloading on SIGHUP, and returns
// the exit code.
func serve(handler http.Handler, flags *web.FlagConfig, reloader *reloads, logger *slog.Logger) int {
	server := &http.Server{
		Handler: handler,
		// Slow or idle connections cannot pile up.
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		// The server's own errors (TLS handshakes, a panicking handler) go
		// to the exporter's log, in its format.
		ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelError),
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	go func() {
		for range hup {
			_ = reloader.logged(context.Background(), logger)
		}
	}()
	term, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	serveErr := make(chan error, 1)
	go func() { serveErr <- web.ListenAndServe(server, flags, logger) }()
	select {
	case err := <-serveErr:
		logger.Error("HTTP server failed", "err", err)
		return 1
	case <-term.Done():
		logger.Info("Shutting down: finishing scrapes in flight", "signal", context.Cause(term))
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
