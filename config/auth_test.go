package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const akskHead = "region: cn-north-4\nauth:\n  aksk:\n    access_key: AKEXAMPLE0123456789\n"

// An AK/SK file loads as written, and /config shows every secret of it,
// and the IAM password of testdata/valid.yml, as <secret>.
func TestSecretsShownAsSecret(t *testing.T) {
	tokenFile := filepath.Join(t.TempDir(), "sts")
	if err := os.WriteFile(tokenFile, []byte("sts-T0KEN\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	aksk, err := parseYAML([]byte(akskHead + "    secret_key: SK-s3cr3t\n    project_id: 0123456789abcdef0123456789abcdef\n" +
		"    security_token: STS-s3cr3t\ntasks:\n  - id: abc\n"))
	if err != nil {
		t.Fatal(err)
	}
	k := aksk.Auth.AKSK
	if k.AccessKey != "AKEXAMPLE0123456789" || k.SecretKey != "SK-s3cr3t" || k.SecurityToken != "STS-s3cr3t" ||
		k.ProjectID != "0123456789abcdef0123456789abcdef" {
		t.Errorf("auth.aksk = %+v", k)
	}
	withFile, err := parseYAML([]byte(akskHead + "    secret_key: SK-s3cr3t\n    security_token_file: " + tokenFile +
		"\ntasks:\n  - id: abc\n"))
	if err != nil || withFile.Auth.AKSK.SecurityTokenFile != tokenFile {
		t.Fatalf("security_token_file: %v, %+v", err, withFile)
	}
	iam, _, err := Load("testdata/valid.yml")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		cfg           *Config
		shown, hidden []string
	}{
		{aksk, []string{"secret_key: <secret>", "security_token: <secret>"}, []string{"SK-s3cr3t", "STS-s3cr3t"}},
		{iam, []string{"password: <secret>"}, []string{"s3cr3t-Pa55"}},
	} {
		out := c.cfg.String()
		for _, s := range c.shown {
			if !strings.Contains(out, s) {
				t.Errorf("/config lacks %q:\n%s", s, out)
			}
		}
		for _, s := range c.hidden {
			if strings.Contains(out, s) {
				t.Errorf("/config shows %q:\n%s", s, out)
			}
		}
	}
}

func TestAuthErrors(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, []byte(" \n"), 0o600); err != nil {
		t.Fatal(err)
	}
	const (
		tasks   = "tasks:\n  - id: abc\n"
		iamHead = "region: cn-north-4\nauth:\n  iam:\n    domain_name: acme\n    username: monitor\n    password: Pa55-s3cr3t\n"
	)
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
		{"no auth", "region: cn-north-4\ntasks:\n  - id: abc\n", []string{"auth", "iam, token_file"}},
		{"two auth modes", "region: cn-north-4\nauth:\n  token_file: /x\n  iam:\n    domain_name: a\n    username: b\n    password: c\ntasks:\n  - id: abc\n", []string{"line 2", "auth", "exactly one"}},
		{"password and file", iamHead + "    password_file: /x\ntasks:\n  - id: abc\n", []string{"line 3", "auth.iam", "exactly one of password, password_file"}},
		{"no password", "region: cn-north-4\nauth:\n  iam:\n    domain_name: acme\n    username: monitor\ntasks:\n  - id: abc\n", []string{"auth.iam", "password"}},
		{"missing password file", "region: cn-north-4\nauth:\n  iam:\n    domain_name: acme\n    username: monitor\n    password_file: " + filepath.Join(dir, "nope") + "\ntasks:\n  - id: abc\n", []string{"line 6", "auth.iam.password_file", "no such file"}},
		{"empty password file", "region: cn-north-4\nauth:\n  iam:\n    domain_name: acme\n    username: monitor\n    password_file: " + empty + "\ntasks:\n  - id: abc\n", []string{"auth.iam.password_file", "is empty"}},
		{"password file is a device", "region: cn-north-4\nauth:\n  iam:\n    domain_name: acme\n    username: monitor\n    password_file: /dev/zero\ntasks:\n  - id: abc\n", []string{"line 6", "auth.iam.password_file", "not a regular file"}},
		{"missing token file", "region: cn-north-4\nauth:\n  token_file: " + filepath.Join(dir, "nope") + "\ntasks:\n  - id: abc\n", []string{"line 3", "auth.token_file"}},
		{"no domain", "region: cn-north-4\nauth:\n  iam:\n    username: monitor\n    password: pw\ntasks:\n  - id: abc\n", []string{"auth.iam.domain_name"}},
	}
	wantRefusedSaying(t, cases, "SK-s3cr3t", "STS-s3cr3t", "Signature=x", "Pa55-s3cr3t")
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
