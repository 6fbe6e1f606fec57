package config

import (
	"strings"
	"testing"
)

func TestHistoryDefaults(t *testing.T) {
	cfg, err := parseYAML([]byte(budgetHead))
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.History.On() || cfg.History.Enabled == nil || !*cfg.History.Enabled {
		t.Errorf("history.enabled = %v, want true by default", cfg.History.Enabled)
	}
	// The default in force shows on /config.
	if out := cfg.String(); !strings.Contains(out, "\nhistory:\n  enabled: true\n") {
		t.Errorf("String() lacks the history section:\n%s", out)
	}
}

func TestHistoryKeys(t *testing.T) {
	cfg, err := parseYAML([]byte(budgetHead + "history:\n  enabled: false\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.History.On() {
		t.Error("history.enabled: false is in force as on")
	}
	if out := cfg.String(); !strings.Contains(out, "\nhistory:\n  enabled: false\n") {
		t.Errorf("String() does not show history.enabled: false:\n%s", out)
	}
	// history is its own section: turning reports off leaves it on.
	cfg, err = parseYAML([]byte(budgetHead + "quality:\n  enabled: false\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.History.On() {
		t.Error("quality.enabled: false turned history off")
	}
	if (&History{}).On() != true {
		t.Error("a History that was not validated is off")
	}
}

func TestHistoryBadValues(t *testing.T) {
	cases := []struct{ yaml, want string }{
		{"history:\n  enabled: maybe\n", "line 10: history.enabled: want true or false"},
		{"history:\n  enable: true\n", "line 10: history.enable: unknown key (did you mean enabled?)"},
		{"history: true\n", "line 9: history: want a mapping"},
	}
	for _, c := range cases {
		_, err := parseYAML([]byte(budgetHead + c.yaml))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: err = %v, want it to contain %q", c.yaml, err, c.want)
		}
	}
}
