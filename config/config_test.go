package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v2"
)

func TestLoadValidAppliesDefaults(t *testing.T) {
	cfg, _, err := Load("testdata/valid.yml")
	if err != nil {
		t.Fatal(err)
	}
	if want := "https://codearts-check.cn-north-4.myhuaweicloud.com"; cfg.Endpoint != want {
		t.Errorf("endpoint = %q, want %q", cfg.Endpoint, want)
	}
	if want := "https://iam.cn-north-4.myhuaweicloud.com"; cfg.Auth.IAM.Endpoint != want {
		t.Errorf("iam endpoint = %q, want %q", cfg.Auth.IAM.Endpoint, want)
	}
	if cfg.Auth.IAM.ProjectName != "cn-north-4" {
		t.Errorf("project_name = %q, want the region", cfg.Auth.IAM.ProjectName)
	}
	if cfg.Concurrency != DefaultConcurrency || time.Duration(cfg.Timeout) != 30*time.Second {
		t.Errorf("concurrency %d timeout %v, want defaults", cfg.Concurrency, cfg.Timeout)
	}
	if len(cfg.Tasks) != 2 || cfg.Tasks[1].JobID != "job-42" || cfg.Tasks[0].Name != "backend" {
		t.Errorf("tasks = %+v", cfg.Tasks)
	}
}

// Each bad file must be rejected with an error that names the file, the
// line and the key at fault.
func TestBadConfigErrors(t *testing.T) {
	dir := t.TempDir()
	const head = "region: cn-north-4\nauth:\n  iam:\n    domain_name: acme\n    username: monitor\n    password: pw\n"
	cases := []struct {
		name, yaml string
		want       []string // substrings of the error
	}{
		{"empty file", "", []string{"empty"}},
		{"not yaml", "region: [unclosed\n", []string{"line"}},
		{"no tasks", head, []string{"tasks", "no task"}},
		{"empty task id", head + "tasks:\n  - id: \"\"\n", []string{"line 8", "tasks[0].id", "empty"}},
		{"missing task id", head + "tasks:\n  - name: x\n", []string{"tasks[0].id", "missing"}},
		{"duplicate task id", head + "tasks:\n  - id: abc\n  - id: abc\n", []string{"line 9", "tasks[1].id", "already tasks[0].id"}},
		{"over-long task id", head + "tasks:\n  - id: " + strings.Repeat("a", 33) + "\n", []string{"tasks[0].id", "33 characters"}},
		{"bad job id", head + "tasks:\n  - id: abc\n    job_id: \"x&task_id=y\"\n", []string{"line 9", "tasks[0].job_id"}},
		{"no region nor endpoint", "auth:\n  token_file: /x\ntasks:\n  - id: abc\n", []string{"region"}},
		{"bad region", "region: CN North\n" + head[len("region: cn-north-4\n"):] + "tasks:\n  - id: abc\n", []string{"line 1", "region"}},
		{"bad endpoint scheme", head + "endpoint: ftp://x\ntasks:\n  - id: abc\n", []string{"line 7", "endpoint", "http"}},
		{"endpoint with query", head + "endpoint: https://x/?a=b\ntasks:\n  - id: abc\n", []string{"endpoint", "no query"}},
		{"concurrency zero after default? negative", head + "concurrency: -3\ntasks:\n  - id: abc\n", []string{"line 7", "concurrency", "outside"}},
		{"concurrency huge", head + "concurrency: 100000\ntasks:\n  - id: abc\n", []string{"concurrency"}},
		{"negative timeout", head + "timeout: -5s\ntasks:\n  - id: abc\n", []string{"timeout"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			file := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "_")+".yml")
			if err := os.WriteFile(file, []byte(c.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			_, _, err := Load(file)
			if err == nil {
				t.Fatalf("Load accepted:\n%s", c.yaml)
			}
			msg := err.Error()
			if !strings.Contains(msg, file) {
				t.Errorf("error does not name the file: %s", msg)
			}
			for _, w := range c.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not contain %q", msg, w)
				}
			}
			if strings.Contains(msg, "pw\n") || strings.Contains(msg, ": pw") {
				t.Errorf("error shows the password: %s", msg)
			}
		})
	}
}

// The page shows every task, in order, across the chunks it is written in.
func TestStringShowsEveryTask(t *testing.T) {
	var doc strings.Builder
	doc.WriteString("region: cn-north-4\nauth:\n  iam:\n    domain_name: d\n    username: u\n    password: p\ntasks:\n")
	for i := range 600 {
		fmt.Fprintf(&doc, "  - id: task-%03d\n    name: name-%03d\n", i, i)
	}
	cfg, err := parseYAML([]byte(doc.String()))
	if err != nil {
		t.Fatal(err)
	}
	var back Config
	if err := yaml.Unmarshal([]byte(cfg.String()), &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Tasks) != 600 || back.Tasks[0].ID != "task-000" || back.Tasks[599].Name != "name-599" || back.Region != "cn-north-4" {
		t.Errorf("String() shows %d tasks (first %+v), region %q", len(back.Tasks), back.Tasks[0], back.Region)
	}
}

// The bounds are inclusive: the longest name and the shortest interval
// allowed are accepted, and a name is counted in characters, not bytes.
func TestLengthAndIntervalBoundsAccepted(t *testing.T) {
	const head = "region: cn-north-4\nauth:\n  iam:\n    domain_name: acme\n    username: monitor\n    password: pw\n"
	name := strings.Repeat("名", MaxTaskNameLength)
	cfg, err := parseYAML([]byte(head + "tasks:\n  - id: a1\n    name: " + name + "\ndiscovery:\n  projects: [7f3b0a1c2d3e4f5a6b7c8d9e0f1a2b3c]\n  refresh_interval: 30s\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Tasks[0].Name != name || cfg.Discovery.RefreshInterval != MinRefreshInterval {
		t.Errorf("name %d bytes, interval %v", len(cfg.Tasks[0].Name), cfg.Discovery.RefreshInterval)
	}
}
