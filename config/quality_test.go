package config

import (
	"strings"
	"testing"
	"time"
)

func TestQualityDefaults(t *testing.T) {
	cfg, err := parseYAML([]byte(budgetHead))
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.Quality.On() || cfg.Quality.Enabled == nil || !*cfg.Quality.Enabled {
		t.Errorf("quality.enabled = %v, want true by default", cfg.Quality.Enabled)
	}
	if time.Duration(cfg.Quality.RefreshInterval) != 30*time.Minute {
		t.Errorf("quality.refresh_interval = %v, want 30m by default", cfg.Quality.RefreshInterval)
	}
	// The defaults in force show on /config.
	if out := cfg.String(); !strings.Contains(out, "\nquality:\n  enabled: true\n  refresh_interval: 30m\n") {
		t.Errorf("String() lacks the quality section:\n%s", out)
	}
}

func TestQualityKeys(t *testing.T) {
	cfg, err := parseYAML([]byte(budgetHead + "quality:\n  enabled: false\n  refresh_interval: 2h\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Quality.On() {
		t.Error("quality.enabled: false is in force as on")
	}
	if time.Duration(cfg.Quality.RefreshInterval) != 2*time.Hour {
		t.Errorf("quality.refresh_interval = %v, want 2h", cfg.Quality.RefreshInterval)
	}
	cfg, err = parseYAML([]byte(budgetHead + "quality:\n  refresh_interval: 5m\n"))
	if err != nil {
		t.Fatalf("the minimum itself: %v", err)
	}
	if !cfg.Quality.On() {
		t.Error("a quality section without enabled turned reports off")
	}
}

func TestQualityBadValues(t *testing.T) {
	cases := []struct{ yaml, want string }{
		{"quality:\n  refresh_interval: 4m59s\n", "line 10: quality.refresh_interval: 4m59s is less than the minimum, 5m"},
		{"quality:\n  refresh_interval: -1h\n", "line 10: quality.refresh_interval"},
		{"quality:\n  refresh_interval: often\n", "line 10: quality.refresh_interval"},
		{"quality:\n  enabled: maybe\n", "line 10: quality.enabled: want true or false"},
		{"quality:\n  enable: true\n", "line 10: quality.enable: unknown key (did you mean enabled?)"},
		{"quality: true\n", "line 9: quality: want a mapping"},
	}
	for _, c := range cases {
		_, err := parseYAML([]byte(budgetHead + c.yaml))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: err = %v, want it to contain %q", c.yaml, err, c.want)
		}
	}
}
