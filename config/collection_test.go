package config

import (
	"strings"
	"testing"
)

// head is a valid file's first lines (1-8): every case below adds keys
// from line 9 on.
const head = "region: cn-north-4\nauth:\n  iam:\n    domain_name: acme\n    username: monitor\n    password: s3cr3t\n" +
	"tasks:\n  - id: a1\n"

// The keys of collection.go: their defaults are in force and shown on
// /config, and what the file sets is read.
func TestCollectionKeys(t *testing.T) {
	cases := []struct {
		name, yaml string
		want       func(*Config) bool
		shown      []string // lines of /config
	}{
		{"defaults", "", func(c *Config) bool {
			return c.MaxRequestsPerSecond == 0 && c.MinInterval == 0 && c.Language == LanguageEnglish &&
				c.Quality.On() && !c.ChangeDetection.Enabled && c.History.On()
		}, []string{"\nquality:\n  enabled: true\n  refresh_interval: 30m\n", "\nhistory:\n  enabled: true\n",
			"\nchange_detection:\n  max_age: 1h\n", "\nlanguage: en-us\n"}},
		{"rate and interval", "max_requests_per_second: 12.5\nmin_interval: 25s\n", func(c *Config) bool {
			return c.MaxRequestsPerSecond == 12.5 && c.MinInterval.String() == "25s"
		}, []string{"\nmax_requests_per_second: 12.5\n", "\nmin_interval: 25s\n"}},
		{"quality off", "quality:\n  enabled: false\n  refresh_interval: 2h\n", func(c *Config) bool {
			return !c.Quality.On() && c.Quality.RefreshInterval.String() == "2h" && c.History.On()
		}, []string{"\nquality:\n  enabled: false\n  refresh_interval: 2h\n"}},
		{"quality at its minimum", "quality:\n  refresh_interval: 5m\n", func(c *Config) bool {
			return c.Quality.On() && c.Quality.RefreshInterval == MinQualityRefreshInterval
		}, nil},
		{"history off", "history:\n  enabled: false\n", func(c *Config) bool {
			return !c.History.On() && c.Quality.On()
		}, []string{"\nhistory:\n  enabled: false\n"}},
		{"change detection", "    project_id: 0123456789abcdef0123456789ABCDEF\nchange_detection:\n  enabled: true\n  max_age: 1m\n",
			func(c *Config) bool {
				return c.ChangeDetection.Enabled && c.ChangeDetection.MaxAge == MinChangeMaxAge &&
					c.Tasks[0].ProjectID == "0123456789abcdef0123456789ABCDEF"
			}, []string{"project_id: 0123456789abcdef0123456789ABCDEF\n", "\nchange_detection:\n  enabled: true\n  max_age: 1m\n"}},
		{"chinese", "language: zh-cn\n", func(c *Config) bool { return c.Language == LanguageChinese }, nil},
		{"empty language", "language: \"\"\n", func(c *Config) bool { return c.Language == LanguageEnglish }, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := parseYAML([]byte(head + c.yaml))
			if err != nil {
				t.Fatal(err)
			}
			if !c.want(cfg) {
				t.Errorf("in force: %+v", cfg)
			}
			for _, line := range c.shown {
				if !strings.Contains(cfg.String(), line) {
					t.Errorf("/config lacks %q:\n%s", line, cfg)
				}
			}
		})
	}
	if !(&Quality{}).On() || !(&History{}).On() {
		t.Error("an unvalidated section is off: its default is on")
	}
}

// Bad values are named by line and key, as the other keys are.
func TestCollectionKeysRefused(t *testing.T) {
	cases := []struct{ name, yaml, want string }{
		{"negative rate", "max_requests_per_second: -1\n",
			"line 9: max_requests_per_second: -1: want a number >= 0 (0: no cap)"},
		{"NaN rate", "max_requests_per_second: .nan\n",
			"line 9: max_requests_per_second: NaN: want a number >= 0 (0: no cap)"},
		{"infinite rate", "max_requests_per_second: .inf\n",
			"line 9: max_requests_per_second: +Inf: want a number >= 0 (0: no cap)"},
		{"min_interval too long", "min_interval: 2h\n", "line 9: min_interval: 2h is outside 0s..1h"},
		{"min_interval not a duration", "min_interval: soon\n", `line 9: min_interval: not a valid duration string: "soon"`},
		{"quality refresh below the minimum", "quality:\n  refresh_interval: 4m59s\n",
			"line 10: quality.refresh_interval: 4m59s is less than the minimum, 5m"},
		{"negative quality refresh", "quality:\n  refresh_interval: -1h\n",
			`line 10: quality.refresh_interval: not a valid duration string: "-1h"`},
		{"quality.enabled not a bool", "quality:\n  enabled: maybe\n",
			`line 10: quality.enabled: want true or false, got "maybe"`},
		{"quality misspelt", "quality:\n  enable: true\n", "line 10: quality.enable: unknown key (did you mean enabled?)"},
		{"quality a bool", "quality: true\n", `line 9: quality: want a mapping, got "true"`},
		{"history.enabled not a bool", "history:\n  enabled: maybe\n",
			`line 10: history.enabled: want true or false, got "maybe"`},
		{"history a bool", "history: true\n", `line 9: history: want a mapping, got "true"`},
		{"max_age below the minimum", "change_detection:\n  enabled: true\n  max_age: 59s\n",
			"line 11: change_detection.max_age: 59s is less than the minimum, 1m"},
		{"max_age not a duration", "change_detection:\n  max_age: often\n",
			`line 10: change_detection.max_age: not a valid duration string: "often"`},
		{"change_detection misspelt", "change_detection:\n  enable: true\n",
			"line 10: change_detection.enable: unknown key (did you mean enabled?)"},
		{"unknown language", "language: fr-fr\n", `line 9: language: "fr-fr": want en-us or zh-cn`},
		{"language in capitals", "language: EN-US\n", `line 9: language: "EN-US": want en-us or zh-cn`},
		{"language a list", "language: [en]\n", "line 9: language: want a string, got a list"},
	}
	for i := range cases {
		cases[i].yaml = head + cases[i].yaml
	}
	wantRefused(t, cases, "s3cr3t")
}
