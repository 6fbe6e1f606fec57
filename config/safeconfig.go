package config

import (
	"bytes"
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

// NewSafeConfig returns an empty holder whose reload metrics are registered
// with reg.
func NewSafeConfig(reg prometheus.Registerer) *SafeConfig {
	f := promauto.With(reg)
	return &SafeConfig{
		reloadSuccess: f.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace.Name, Subsystem: "config", Name: "last_reload_successful",
			Help: "1 if the last configuration load or reload succeeded, 0 if it failed (the previous configuration stays in force).",
		}),
		reloadTimestamp: f.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace.Name, Subsystem: "config", Name: "last_reload_success_timestamp_seconds",
			Help: "Unix time of the last successful configuration load or reload.",
		}),
	}
}

// Get returns the configuration in force; nil before the first load. The
// result must be treated as read-only.
func (sc *SafeConfig) Get() *Config {
	sc.mu.RLock()
	defer sc.mu.RUnlock()
	return sc.c
}

// ReloadConfig loads filename and, if it is valid, puts it in force. The
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

// Set puts an already validated configuration in force (the --demo mode
// builds its own).
func (sc *SafeConfig) Set(cfg *Config) { sc.set(cfg, "") }

func (sc *SafeConfig) set(cfg *Config, sum string) {
	page, now := []byte(cfg.String()), time.Now()
	sc.mu.Lock()
	sc.c, sc.page, sc.loaded, sc.sum, sc.failed = cfg, page, now, sum, false
	sc.mu.Unlock()
	sc.reloadSuccess.Set(1)
	sc.reloadTimestamp.Set(float64(now.UnixNano()) / 1e9)
}

// ServeHTTP serves /config: the configuration in force as YAML, secrets
// shown as <secret>. The page is rendered once per load, so that
// concurrent requests for 50,000 tasks cannot multiply the memory.
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
