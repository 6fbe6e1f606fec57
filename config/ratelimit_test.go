package config

import (
	"strings"
	"testing"
	"time"
)

const budgetHead = "region: cn-north-4\nauth:\n  iam:\n    domain_name: acme\n    username: monitor\n    password: pw\ntasks:\n  - id: abc\n"

func TestRateLimitDefaultsOff(t *testing.T) {
	cfg, err := parseYAML([]byte(budgetHead))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MaxRequestsPerSecond != 0 || cfg.MinInterval != 0 {
		t.Errorf("max_requests_per_second = %v, min_interval = %v; want both off by default", cfg.MaxRequestsPerSecond, cfg.MinInterval)
	}
}

func TestRateLimitKeys(t *testing.T) {
	cfg, err := parseYAML([]byte(budgetHead + "max_requests_per_second: 12.5\nmin_interval: 25s\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MaxRequestsPerSecond != 12.5 {
		t.Errorf("max_requests_per_second = %v, want 12.5", cfg.MaxRequestsPerSecond)
	}
	if time.Duration(cfg.MinInterval) != 25*time.Second {
		t.Errorf("min_interval = %v, want 25s", cfg.MinInterval)
	}
	// The keys round-trip at the top level (the /config page shows them).
	out := cfg.String()
	for _, want := range []string{"\nmax_requests_per_second: 12.5\n", "\nmin_interval: 25s\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("String() lacks %q:\n%s", want, out)
		}
	}
}

func TestRateLimitBadValues(t *testing.T) {
	cases := []struct{ yaml, want string }{
		{"max_requests_per_second: -1\n", "line 9: max_requests_per_second"},
		{"max_requests_per_second: .nan\n", "line 9: max_requests_per_second"},
		{"max_requests_per_second: .inf\n", "line 9: max_requests_per_second"},
		{"min_interval: 2h\n", "line 9: min_interval"},
		{"min_interval: soon\n", "line 9"},
	}
	for _, c := range cases {
		_, err := parseYAML([]byte(budgetHead + c.yaml))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: err = %v, want it to contain %q", c.yaml, err, c.want)
		}
	}
}
