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

func TestSecretsNeverShown(t *testing.T) {
	cfg, _, err := Load("testdata/valid.yml")
	if err != nil {
		t.Fatal(err)
	}
	out := cfg.String()
	if strings.Contains(out, "s3cr3t-Pa55") {
		t.Fatalf("password shown:\n%s", out)
	}
	if !strings.Contains(out, "password: <secret>") {
		t.Errorf("want password: <secret> in\n%s", out)
	}
}

// Each bad file must be rejected with an error that names the file, the
// line and the key at fault.
func TestBadConfigErrors(t *testing.T) {
	dir := t.TempDir()
	emptyFile := filepath.Join(dir, "empty-password")
	if err := os.WriteFile(emptyFile, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	const head = "region: cn-north-4\nauth:\n  iam:\n    domain_name: acme\n    username: monitor\n    password: pw\n"
	cases := []struct {
		name, yaml string
		want       []string // substrings of the error
	}{
		{"empty file", "", []string{"empty"}},
		{"not yaml", "region: [unclosed\n", []string{"line"}},
		{"unknown top-level key", head + "tasks:\n  - id: a1\ntasts: []\n", []string{"line 9", "tasts"}},
		{"unknown nested key", "region: cn-north-4\nauth:\n  iam:\n    domain_name: acme\n    usrname: monitor\n", []string{"line 5", "usrname"}},
		{"no tasks", head, []string{"tasks", "no task"}},
		{"empty task id", head + "tasks:\n  - id: \"\"\n", []string{"line 8", "tasks[0].id", "empty"}},
		{"missing task id", head + "tasks:\n  - name: x\n", []string{"tasks[0].id", "missing"}},
		{"duplicate task id", head + "tasks:\n  - id: abc\n  - id: abc\n", []string{"line 9", "tasks[1].id", "already tasks[0].id"}},
		{"over-long task id", head + "tasks:\n  - id: " + strings.Repeat("a", 33) + "\n", []string{"tasks[0].id", "33 characters"}},
		{"path traversal id", head + "tasks:\n  - id: ../admin\n", []string{"tasks[0].id", "letters, digits"}},
		{"query in id", head + "tasks:\n  - id: \"a?b=c\"\n", []string{"tasks[0].id"}},
		{"fragment in id", head + "tasks:\n  - id: \"a#b\"\n", []string{"tasks[0].id"}},
		{"escaped slash in id", head + "tasks:\n  - id: a%2Fb\n", []string{"tasks[0].id"}},
		{"space in id", head + "tasks:\n  - id: \"a b\"\n", []string{"tasks[0].id"}},
		{"unicode id", head + "tasks:\n  - id: tâche\n", []string{"tasks[0].id"}},
		{"bad job id", head + "tasks:\n  - id: abc\n    job_id: \"x&task_id=y\"\n", []string{"line 9", "tasks[0].job_id"}},
		{"no auth", "region: cn-north-4\ntasks:\n  - id: abc\n", []string{"auth", "iam, token_file"}},
		{"two auth modes", "region: cn-north-4\nauth:\n  token_file: /x\n  iam:\n    domain_name: a\n    username: b\n    password: c\ntasks:\n  - id: abc\n", []string{"line 2", "auth", "exactly one"}},
		{"password and file", head + "    password_file: /x\ntasks:\n  - id: abc\n", []string{"line 3", "auth.iam", "exactly one of password, password_file"}},
		{"no password", "region: cn-north-4\nauth:\n  iam:\n    domain_name: acme\n    username: monitor\ntasks:\n  - id: abc\n", []string{"auth.iam", "password"}},
		{"missing password file", "region: cn-north-4\nauth:\n  iam:\n    domain_name: acme\n    username: monitor\n    password_file: " + filepath.Join(dir, "nope") + "\ntasks:\n  - id: abc\n", []string{"line 6", "auth.iam.password_file", "no such file"}},
		{"empty password file", "region: cn-north-4\nauth:\n  iam:\n    domain_name: acme\n    username: monitor\n    password_file: " + emptyFile + "\ntasks:\n  - id: abc\n", []string{"auth.iam.password_file", "is empty"}},
		{"password file is a device", "region: cn-north-4\nauth:\n  iam:\n    domain_name: acme\n    username: monitor\n    password_file: /dev/zero\ntasks:\n  - id: abc\n", []string{"line 6", "auth.iam.password_file", "not a regular file"}},
		{"missing token file", "region: cn-north-4\nauth:\n  token_file: " + filepath.Join(dir, "nope") + "\ntasks:\n  - id: abc\n", []string{"line 3", "auth.token_file"}},
		{"no domain", "region: cn-north-4\nauth:\n  iam:\n    username: monitor\n    password: pw\ntasks:\n  - id: abc\n", []string{"auth.iam.domain_name"}},
		{"no region nor endpoint", "auth:\n  token_file: /x\ntasks:\n  - id: abc\n", []string{"region"}},
		{"bad region", "region: CN North\n" + head[len("region: cn-north-4\n"):] + "tasks:\n  - id: abc\n", []string{"line 1", "region"}},
		{"bad endpoint scheme", head + "endpoint: ftp://x\ntasks:\n  - id: abc\n", []string{"line 7", "endpoint", "http"}},
		{"endpoint with query", head + "endpoint: https://x/?a=b\ntasks:\n  - id: abc\n", []string{"endpoint", "no query"}},
		{"concurrency zero after default? negative", head + "concurrency: -3\ntasks:\n  - id: abc\n", []string{"line 7", "concurrency", "outside"}},
		{"concurrency huge", head + "concurrency: 100000\ntasks:\n  - id: abc\n", []string{"concurrency"}},
		{"bad timeout", head + "timeout: soon\ntasks:\n  - id: abc\n", []string{"line 7", "timeout", "soon"}},
		{"negative timeout", head + "timeout: -5s\ntasks:\n  - id: abc\n", []string{"timeout"}},
		{"bad http client config", head + "http_client_config:\n  bearer_token: a\n  bearer_token_file: b\ntasks:\n  - id: abc\n", []string{"http_client_config"}},
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

func TestLoadMissingFile(t *testing.T) {
	_, _, err := Load(filepath.Join(t.TempDir(), "absent.yml"))
	if err == nil || !strings.Contains(err.Error(), "absent.yml") {
		t.Fatalf("err = %v, want one naming the file", err)
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
