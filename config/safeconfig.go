package config

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/codearts-check-exporter/codearts_check_exporter/internal/namespace"
)

// SafeConfig holds the configuration in force and replaces it on reload.
// A file that fails to load leaves the configuration in force untouched.
type SafeConfig struct {
	mu     sync.RWMutex
	c      *Config
	page   []byte    // c as /config shows it, rendered once per load
	loaded time.Time // when c was put in force
	// What a Watcher compares the file with: the checksum of the file c
	// was loaded from ("" after Set), and whether the last load failed.
	sum    string
	failed bool

	reloadSuccess   prometheus.Gauge
	reloadTimestamp prometheus.Gauge
}

// NewSafeConfig returns an empty holder, its reload metrics in reg.
func NewSafeConfig(reg prometheus.Registerer) *SafeConfig {
	f := promauto.With(reg)
	return &SafeConfig{
		reloadSuccess: f.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace.Name, Subsystem: "config", Name: "last_reload_successful",
			Help: "1 if the last configuration load or reload succeeded, " +
				"0 if it failed (the previous configuration stays in force).",
		}),
		reloadTimestamp: f.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace.Name, Subsystem: "config", Name: "last_reload_success_timestamp_seconds",
			Help: "Unix time of the last successful configuration load or reload.",
		}),
	}
}

// Get returns the configuration in force, read-only; nil before a load.
func (sc *SafeConfig) Get() *Config {
	sc.mu.RLock()
	defer sc.mu.RUnlock()
	return sc.c
}

// ReloadConfig loads filename and, if valid, puts it in force; the
// warnings are Load's, for the caller to log.
func (sc *SafeConfig) ReloadConfig(filename string) (warnings []string, err error) {
	// Taken before the load: should the file change in between, a Watcher
	// sees the change, where a checksum taken after would hide it.
	sum, _ := fileChecksum(filename)
	cfg, warnings, err := Load(filename)
	if err != nil {
		sc.mu.Lock()
		sc.failed = true
		sc.mu.Unlock()
		sc.reloadSuccess.Set(0)
		return nil, err
	}
	sc.set(cfg, sum)
	return warnings, nil
}

// Set puts an already validated configuration in force (--demo's).
func (sc *SafeConfig) Set(cfg *Config) { sc.set(cfg, "") }

func (sc *SafeConfig) set(cfg *Config, sum string) {
	page, now := []byte(cfg.String()), time.Now()
	sc.mu.Lock()
	sc.c, sc.page, sc.loaded, sc.sum, sc.failed = cfg, page, now, sum, false
	sc.mu.Unlock()
	sc.reloadSuccess.Set(1)
	sc.reloadTimestamp.Set(float64(now.UnixNano()) / 1e9)
}

// ServeHTTP serves /config, the page rendered once per load (String), so
// that concurrent requests for 50,000 tasks cannot multiply the memory.
func (sc *SafeConfig) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	sc.mu.RLock()
	page, loaded := sc.page, sc.loaded
	sc.mu.RUnlock()
	if page == nil {
		http.Error(w, "no configuration loaded", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	http.ServeContent(w, r, "", loaded, bytes.NewReader(page))
}

// MinAutoReloadInterval is the shortest interval a Watcher polls at, as in
// Prometheus: below it, reading the file costs more than it saves.
const MinAutoReloadInterval = time.Second

// Watcher is --config.auto-reload-interval: it polls the checksum of the
// configuration file and, when the file differs from the one in force,
// reloads it as SIGHUP and POST /-/reload do. It polls because a
// Kubernetes ConfigMap is updated by swapping the ..data symlink of its
// volume, which inotify on the file never sees. Secret files need no
// watcher: package auth reads them again when they change.
type Watcher struct {
	sc       *SafeConfig
	file     string
	interval time.Duration
	logger   *slog.Logger
	logged   string // the content and error of the failure logged last
}

// NewWatcher returns the Watcher of file, nil when interval is 0 (off); a
// shorter one than MinAutoReloadInterval is raised to it, with a warning.
func NewWatcher(sc *SafeConfig, file string, interval time.Duration, logger *slog.Logger) (*Watcher, error) {
	switch {
	case interval < 0:
		return nil, fmt.Errorf("--config.auto-reload-interval=%s: the interval cannot be negative "+
			"(0s turns automatic reloading off)", interval)
	case interval == 0:
		return nil, nil
	case interval < MinAutoReloadInterval:
		logger.Warn("--config.auto-reload-interval is below the minimum; using the minimum",
			"interval", interval, "minimum", MinAutoReloadInterval)
		interval = MinAutoReloadInterval
	}
	return &Watcher{sc: sc, file: file, interval: interval, logger: logger}, nil
}

// Start polls in the background, calling reload when the file needs
// loading, until stop, which returns once no reload runs. A nil Watcher
// starts nothing.
func (w *Watcher) Start(reload func() error) (stop func()) {
	if w == nil {
		return func() {}
	}
	w.logger.Info("Reloading the configuration file automatically when it changes", "file", w.file, "interval", w.interval)
	ticker, quit := time.NewTicker(w.interval), make(chan struct{})
	go func() {
		defer ticker.Stop()
		for {
			select {
			case <-quit:
				return
			case <-ticker.C:
				w.check(reload)
			}
		}
	}()
	// Unbuffered: the send is taken only between two checks.
	return func() { quit <- struct{}{} }
}

// check reloads unless the file is the one in force and loaded: a refused
// file is tried again, so that a fix elsewhere (a missing secret file) takes
// effect too, and an unreadable one, so that the failure is said and shown.
// A failure is logged once per content and error.
func (w *Watcher) check(reload func() error) {
	sum, sumErr := fileChecksum(w.file)
	w.sc.mu.RLock()
	unchanged := sumErr == nil && sum == w.sc.sum && !w.sc.failed
	w.sc.mu.RUnlock()
	if unchanged {
		w.logged = ""
		return
	}
	err := reload()
	switch key := sum + "\n" + fmt.Sprint(err); {
	case err == nil:
		w.logged = ""
		w.logger.Info("Configuration reloaded", "file", w.file, "trigger", "file changed")
	case key != w.logged:
		w.logged = key
		w.logger.Error("Reload failed; the previous configuration stays in force", "err", err, "trigger", "file changed")
	default:
		w.logger.Debug("The configuration file is still refused; trying again at the next interval", "file", w.file)
	}
}

// fileChecksum is the SHA-256 of the file, read within a load's bounds.
func fileChecksum(filename string) (string, error) {
	data, err := readFile(filename)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%x", sha256.Sum256(data)), nil
}
