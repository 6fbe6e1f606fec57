package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const akskHead = "region: cn-north-4\nauth:\n  aksk:\n    access_key: AKEXAMPLE0123456789\n"

func TestAKSKValid(t *testing.T) {
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "sts")
	if err := os.WriteFile(tokenFile, []byte("sts-T0KEN\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := parseYAML([]byte(akskHead +
		"    secret_key: SK-s3cr3t\n    project_id: 0123456789abcdef0123456789abcdef\n" +
		"    security_token_file: " + tokenFile + "\ntasks:\n  - id: abc\n"))
	if err != nil {
		t.Fatal(err)
	}
	k := cfg.Auth.AKSK
	if k == nil || k.AccessKey != "AKEXAMPLE0123456789" || string(k.SecretKey) != "SK-s3cr3t" ||
		k.ProjectID != "0123456789abcdef0123456789abcdef" || k.SecurityTokenFile != tokenFile {
		t.Fatalf("auth.aksk = %+v", k)
	}
	out := cfg.String()
	if strings.Contains(out, "SK-s3cr3t") || !strings.Contains(out, "secret_key: <secret>") {
		t.Errorf("secret key not hidden:\n%s", out)
	}
}

func TestAKSKSecurityTokenHidden(t *testing.T) {
	cfg, err := parseYAML([]byte(akskHead +
		"    secret_key: SK-s3cr3t\n    project_id: 0123456789abcdef0123456789abcdef\n    security_token: STS-s3cr3t\ntasks:\n  - id: abc\n"))
	if err != nil {
		t.Fatal(err)
	}
	out := cfg.String()
	if strings.Contains(out, "STS-s3cr3t") || !strings.Contains(out, "security_token: <secret>") {
		t.Errorf("security token not hidden:\n%s", out)
	}
}

func TestAKSKErrors(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, []byte(" \n"), 0o600); err != nil {
		t.Fatal(err)
	}
	const tasks = "tasks:\n  - id: abc\n"
	cases := []struct {
		name, yaml string
		want       []string
	}{
		{"no secret", akskHead + "    project_id: 0123456789abcdef0123456789abcdef\n" + tasks, []string{"line 3", "auth.aksk", "secret_key, secret_key_file"}},
		{"secret and file", akskHead + "    secret_key: SK-s3cr3t\n    secret_key_file: /x\n    project_id: 0123456789abcdef0123456789abcdef\n" + tasks, []string{"line 3", "exactly one of secret_key, secret_key_file"}},
		{"missing secret file", akskHead + "    secret_key_file: " + filepath.Join(dir, "nope") + "\n    project_id: 0123456789abcdef0123456789abcdef\n" + tasks, []string{"line 5", "auth.aksk.secret_key_file", "no such file"}},
		{"empty secret file", akskHead + "    secret_key_file: " + empty + "\n    project_id: 0123456789abcdef0123456789abcdef\n" + tasks, []string{"line 5", "is empty"}},
		{"no project, no region", "endpoint: https://check.example.net\nauth:\n  aksk:\n    access_key: AK1\n    secret_key: SK-s3cr3t\n" + tasks, []string{"auth.aksk.project_id", "X-Project-Id", "set region"}},
		{"bad iam endpoint", akskHead + "    secret_key: SK-s3cr3t\n    iam_endpoint: iam.example.net\n" + tasks, []string{"line 6", "auth.aksk.iam_endpoint", "http"}},
		{"bad project", akskHead + "    secret_key: SK-s3cr3t\n    project_id: \"a b\"\n" + tasks, []string{"line 6", "auth.aksk.project_id"}},
		{"no access key", "region: cn-north-4\nauth:\n  aksk:\n    secret_key: SK-s3cr3t\n    project_id: 0123456789abcdef0123456789abcdef\n" + tasks, []string{"auth.aksk.access_key", "missing"}},
		{"access key with comma", "region: cn-north-4\nauth:\n  aksk:\n    access_key: \"AK, Signature=x\"\n    secret_key: SK-s3cr3t\n    project_id: 0123456789abcdef0123456789abcdef\n" + tasks, []string{"line 4", "auth.aksk.access_key"}},
		{"token and token file", akskHead + "    secret_key: SK-s3cr3t\n    project_id: 0123456789abcdef0123456789abcdef\n    security_token: STS-s3cr3t\n    security_token_file: /x\n" + tasks, []string{"at most one of security_token, security_token_file"}},
		{"empty token file", akskHead + "    secret_key: SK-s3cr3t\n    project_id: 0123456789abcdef0123456789abcdef\n    security_token_file: " + empty + "\n" + tasks, []string{"line 7", "auth.aksk.security_token_file"}},
		{"aksk and iam", akskHead + "    secret_key: SK-s3cr3t\n    project_id: 0123456789abcdef0123456789abcdef\n  iam:\n    domain_name: a\n    username: b\n    password: c\n" + tasks, []string{"line 2", "exactly one of iam, token_file, aksk"}},
		{"aksk and token file", akskHead + "    secret_key: SK-s3cr3t\n    project_id: 0123456789abcdef0123456789abcdef\n  token_file: /x\n" + tasks, []string{"line 2", "exactly one of iam, token_file, aksk"}},
		{"no mode", "region: cn-north-4\nauth: {}\n" + tasks, []string{"auth", "missing", "iam, token_file, aksk"}},
	}
	wantRefusedSaying(t, cases, "SK-s3cr3t", "STS-s3cr3t", "Signature=x")
}

// project_id is optional with a region: the project named after the region
// is looked up on the region's IAM, and /config shows where. With
// project_id, no lookup is made and no IAM endpoint is shown.
func TestAKSKProjectLookupDefaults(t *testing.T) {
	cfg, err := parseYAML([]byte("region: cn-north-1\nauth:\n  aksk:\n    access_key: AK1\n    secret_key: SK-s3cr3t\ntasks:\n  - id: abc\n"))
	if err != nil {
		t.Fatal(err)
	}
	k := cfg.Auth.AKSK
	if k.ProjectID != "" || k.ProjectName != "cn-north-1" || k.IAMEndpoint != "https://iam.cn-north-1.myhuaweicloud.com" {
		t.Errorf("auth.aksk = %+v", k)
	}
	if out := cfg.String(); !strings.Contains(out, "iam_endpoint: https://iam.cn-north-1.myhuaweicloud.com") || strings.Contains(out, "project_id") {
		t.Errorf("/config:\n%s", out)
	}

	cfg, err = parseYAML([]byte(akskHead + "    secret_key: SK-s3cr3t\n    project_id: 0123456789abcdef0123456789abcdef\ntasks:\n  - id: abc\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.IAMEndpoint() != "" || cfg.Auth.AKSK.ProjectName != "" || strings.Contains(cfg.String(), "iam_endpoint") {
		t.Errorf("project_id set, yet IAM endpoint %q, project name %q", cfg.IAMEndpoint(), cfg.Auth.AKSK.ProjectName)
	}
}
