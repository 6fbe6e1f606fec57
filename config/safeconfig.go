package config

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// SafeConfig holds the configuration in force and replaces it on reload.
// A file that fails to load leaves the configuration in force untouched.
type SafeConfig struct {
	mu sync.RWMutex
	c  *Config

	reloadSuccess   prometheus.Gauge
	reloadTimestamp prometheus.Gauge
}

// NewSafeConfig returns an empty holder whose reload metrics are registered
// with reg.
func NewSafeConfig(reg prometheus.Registerer) *SafeConfig {
	sc := &SafeConfig{
		reloadSuccess: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "codearts_check_config_last_reload_successful",
			Help: "1 if the last configuration load or reload succeeded, 0 if it failed (the previous configuration stays in force).",
		}),
		reloadTimestamp: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "codearts_check_config_last_reload_success_timestamp_seconds",
			Help: "Unix time of the last successful configuration load or reload.",
		}),
	}
	reg.MustRegister(sc.reloadSuccess, sc.reloadTimestamp)
	return sc
}

// Get returns the configuration in force; nil before the first load. The
// result must be treated as read-only.
func (sc *SafeConfig) Get() *Config {
	sc.mu.RLock()
	defer sc.mu.RUnlock()
	return sc.c
}

// ReloadConfig loads filename and, if it is valid, puts it in force.
func (sc *SafeConfig) ReloadConfig(filename string) error {
	cfg, err := Load(filename)
	if err != nil {
		sc.reloadSuccess.Set(0)
		return err
	}
	sc.Set(cfg)
	return nil
}

// Set puts an already validated configuration in force (the --demo mode
// builds its own).
func (sc *SafeConfig) Set(cfg *Config) {
	sc.mu.Lock()
	sc.c = cfg
	sc.mu.Unlock()
	sc.reloadSuccess.Set(1)
	sc.reloadTimestamp.Set(float64(time.Now().UnixNano()) / 1e9)
}
