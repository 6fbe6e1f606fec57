package config

import (
	"path/filepath"
	"testing"
	"time"
)

// projectA and projectB are CodeArts project IDs.
const (
	projectA = "7f3b0a1c2d3e4f5a6b7c8d9e0f1a2b3c"
	projectB = "8e4c1b2d3e4f5a6b7c8d9e0f1a2b3c4d"
)

const discoveryHead = "region: cn-north-4\nauth:\n  token_file: testdata/valid.yml\n"

func TestDiscoveryAllowsNoStaticTasks(t *testing.T) {
	cfg, err := parseYAML([]byte(discoveryHead + "discovery:\n  projects: [" + projectA + ", " + projectB + "]\n"))
	if err != nil {
		t.Fatal(err)
	}
	d := cfg.Discovery
	if len(cfg.Tasks) != 0 || len(d.Projects) != 2 || d.RefreshInterval != DefaultRefreshInterval {
		t.Fatalf("tasks %v discovery %+v", cfg.Tasks, d)
	}
	if time.Duration(d.RefreshInterval) != 10*time.Minute {
		t.Errorf("default refresh_interval = %v, want 10m", d.RefreshInterval)
	}
}

func TestDiscoveryFiltersAreAnchored(t *testing.T) {
	cfg, err := parseYAML([]byte(discoveryHead +
		"discovery:\n  projects: [" + projectA + "]\n  include: \"web-.*|api\"\n  exclude: \".*-legacy\"\n  refresh_interval: 1m\n"))
	if err != nil {
		t.Fatal(err)
	}
	d := cfg.Discovery
	for name, want := range map[string]bool{
		"web-shop":        true,
		"api":             true,
		"api-gateway":     false, // anchored: "api" is not a prefix match
		"my-web-shop":     false,
		"web-shop-legacy": false, // excluded
		"":                false,
	} {
		if got := d.Keep(name); got != want {
			t.Errorf("Keep(%q) = %v, want %v", name, got, want)
		}
	}
	if time.Duration(d.RefreshInterval) != time.Minute {
		t.Errorf("refresh_interval = %v", d.RefreshInterval)
	}
}

func TestDiscoveryNoFiltersKeepsAll(t *testing.T) {
	cfg, err := parseYAML([]byte(discoveryHead + "discovery:\n  projects: [" + projectA + "]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.Discovery.Keep("anything") || !cfg.Discovery.Keep("") {
		t.Error("a discovery without include/exclude must keep every task")
	}
}

func TestDiscoveryErrors(t *testing.T) {
	cases := []struct {
		name, yaml string
		want       []string
	}{
		{"no tasks no discovery", discoveryHead, []string{"tasks", "set discovery"}},
		{"no projects", discoveryHead + "discovery:\n  include: x\n", []string{"line 4", "discovery.projects", "missing"}},
		{"empty project", discoveryHead + "discovery:\n  projects: [\"\"]\n", []string{"discovery.projects[0]", "empty"}},
		{"bad project", discoveryHead + "discovery:\n  projects:\n    - " + projectA + "\n    - ../x\n", []string{"line 7", "discovery.projects[1]"}},
		{"duplicate project", discoveryHead + "discovery:\n  projects: [" + projectA + ", " + projectA + "]\n", []string{"discovery.projects[1]", "already discovery.projects[0]"}},
		{"bad include", discoveryHead + "discovery:\n  projects: [" + projectA + "]\n  include: \"web-(\"\n", []string{"line 6", "discovery.include", "missing closing )"}},
		{"bad exclude", discoveryHead + "discovery:\n  projects: [" + projectA + "]\n  exclude: \"[z-a]\"\n", []string{"line 6", "discovery.exclude"}},
		{"negative interval", discoveryHead + "discovery:\n  projects: [" + projectA + "]\n  refresh_interval: -1m\n", []string{"discovery.refresh_interval"}},
		{"unknown key", discoveryHead + "discovery:\n  projects: [" + projectA + "]\n  projcts: [p2]\n", []string{"line 6", "projcts"}},
	}
	wantRefusedSaying(t, cases)
}

// include and exclude that look like globs load, with a warning naming
// line and key; regular expressions get none.
func TestGlobLikeFiltersWarn(t *testing.T) {
	const head = "region: cn-north-4\nauth:\n  iam:\n    domain_name: acme\n    username: monitor\n    password: pw\ndiscovery:\n  projects: [7f3b0a1c2d3e4f5a6b7c8d9e0f1a2b3c]\n"
	file := filepath.Join(t.TempDir(), "c.yml")
	for _, c := range []struct {
		yaml string
		want []string
	}{
		{head + "  include: web-*\n  exclude: old*\n", []string{
			`line 9: discovery.include: "web-*" looks like a glob, but it is a regular expression on the whole task name: for a glob's *, write .* ("web-.*")`,
			`line 10: discovery.exclude: "old*" looks like a glob, but it is a regular expression on the whole task name: for a glob's *, write .* ("old.*")`,
		}},
		{head + "  include: \"web-.*|(ab)*|[a-z]*|x\\\\*\"\n", nil},
	} {
		cfg := wantWarnings(t, file, c.yaml, c.yaml, c.want)
		if c.want != nil && (!cfg.Discovery.Keep("web--") || cfg.Discovery.Keep("web-shop")) {
			t.Error("the glob-like include is not in force as the regular expression it is")
		}
	}
}
