package config

import (
	"os"
	"strings"
	"testing"
)

// parseYAML is Load without a file: relative paths stay relative to the
// working directory, and warnings are dropped.
func parseYAML(data []byte) (*Config, error) {
	cfg, _, err := parse(data, "")
	return cfg, err
}

// lineCount is how many lines YAML sees in data: it also breaks lines at a
// lone CR, NEL, LS and PS.
func lineCount(data []byte) int {
	s := strings.ReplaceAll(string(data), "\r\n", "\n")
	n := 1
	for _, brk := range []string{"\n", "\r", "\u0085", "\u2028", "\u2029"} {
		n += strings.Count(s, brk)
	}
	return n
}

// wantRefused checks, case by case, that parse refuses the file with
// exactly the error want, and that no secret shows in it.
func wantRefused(t *testing.T, cases []struct{ name, yaml, want string }, secrets ...string) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			msg := refusal(t, c.yaml, secrets)
			if msg != c.want {
				t.Errorf("error:\n got %s\nwant %s", msg, c.want)
			}
		})
	}
}

// wantRefusedSaying is wantRefused for errors checked by the words they
// must contain rather than in full.
func wantRefusedSaying(t *testing.T, cases []struct {
	name, yaml string
	want       []string
}, secrets ...string) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			msg := refusal(t, c.yaml, secrets)
			for _, w := range c.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not contain %q", msg, w)
				}
			}
		})
	}
}

// refusal is the error parse gives for yaml, which must have one that
// shows none of secrets.
func refusal(t *testing.T, yaml string, secrets []string) string {
	t.Helper()
	_, err := parseYAML([]byte(yaml))
	if err == nil {
		t.Fatalf("parse accepted:\n%s", yaml)
	}
	msg := err.Error()
	for _, secret := range secrets {
		if strings.Contains(msg, secret) {
			t.Errorf("error shows the secret %q: %s", secret, msg)
		}
	}
	return msg
}

// wantWarnings writes content to file, loads it and checks that the
// warnings are want, exactly; name names the case in failures.
func wantWarnings(t *testing.T, file, name, content string, want []string) *Config {
	t.Helper()
	if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, warnings, err := Load(file)
	if err != nil {
		t.Fatalf("%s: refused: %v", name, err)
	}
	if strings.Join(warnings, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s: warnings\n got %q\nwant %q", name, warnings, want)
	}
	return cfg
}
