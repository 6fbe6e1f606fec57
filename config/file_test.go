package config

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit/stdkit"
	"github.com/prometheus/client_golang/prometheus"
)

// The configuration file must be a regular file (after symlinks) within
// MaxFileSize: anything else is refused at once, before a byte is read.
// Without the checks, /dev/zero would be read until memory ran out and a
// FIFO would block Load forever: a test that hangs here has lost them.
func TestLoadRefusesWhatIsNotAConfigFile(t *testing.T) {
	dir := t.TempDir()
	zero := filepath.Join(dir, "zero.yml")
	stdkit.DevZero(t, zero)
	fifo := filepath.Join(dir, "fifo.yml")
	stdkit.FIFO(t, fifo)
	big := filepath.Join(dir, "big.yml")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	// Sparse: costs no disk, and the size is what is checked.
	if err := f.Truncate(MaxFileSize + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()
	cases := []struct{ file, want string }{
		{zero, "zero.yml is not a regular file (a character device)"},
		{fifo, "fifo.yml is not a regular file (a FIFO)"},
		{dir, "is not a regular file (a directory)"},
		{big, "big.yml is 16777217 bytes, more than the limit of 16777216 (16 MiB)"},
	}
	for _, c := range cases {
		_, _, err := Load(c.file)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "config file: "+c.file) {
			t.Errorf("Load(%s) = %v, want an error saying %q", c.file, err, c.want)
		}
	}
}

// A file just within the limit is read, whatever it holds.
func TestLoadReadsAFileAtTheLimit(t *testing.T) {
	file := filepath.Join(t.TempDir(), "limit.yml")
	content := "# " + strings.Repeat("x", MaxFileSize-3) + "\n"
	if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	data, err := readFile(file)
	if err != nil || len(data) != MaxFileSize {
		t.Fatalf("readFile: %d bytes, %v; want %d bytes", len(data), err, MaxFileSize)
	}
	// A symlink to a regular file is fine: Kubernetes mounts ConfigMaps so.
	link := filepath.Join(t.TempDir(), "link.yml")
	if err := os.Symlink(file, link); err != nil {
		t.Fatal(err)
	}
	if data, err := readFile(link); err != nil || len(data) != MaxFileSize {
		t.Fatalf("readFile through a symlink: %d bytes, %v", len(data), err)
	}
}

// A configuration file that does not exist is the first thing a new user
// meets: the error says where to start (the example, or --demo), and where
// the file was looked for. Other failures to read get no such hint.
func TestMissingFileSaysWhereToStart(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	_, _, err := Load("codearts_check_exporter.yml")
	want := "config file: open codearts_check_exporter.yml: no such file or directory: copy codearts_check_exporter.example.yml (at the top of the repository) to " +
		filepath.Join(dir, "codearts_check_exporter.yml") + " and edit it, or run with --demo to try the exporter against a built-in simulator"
	if err == nil || err.Error() != want {
		t.Errorf("Load of a missing file:\n got %v\nwant %s", err, want)
	}
	if _, _, err := Load(dir); err == nil || strings.Contains(err.Error(), "--demo") {
		t.Errorf("Load of a directory: %v, want an error without the hint", err)
	}
}

// Relative file paths are relative to the configuration file's directory,
// whatever the working directory; absolute ones are kept. The test changes
// the working directory, so it does not run in parallel.
func TestRelativePathsFollowTheConfigFile(t *testing.T) {
	dir := t.TempDir()
	abs := filepath.Join(t.TempDir(), "abs-token")
	for _, f := range []string{"secrets/password", "secrets/sk", "secrets/sts", "tls/ca.pem", abs} {
		p := f
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, f)
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("content\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write := func(name, content string) string {
		t.Helper()
		file := filepath.Join(dir, name)
		if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return file
	}
	const tail = "tasks:\n  - id: abc\nhttp_client_config:\n  tls_config:\n    ca_file: tls/ca.pem\n"
	iam := write("iam.yml", "region: cn-north-4\nauth:\n  iam:\n    domain_name: acme\n    username: monitor\n    password_file: secrets/password\n"+tail)
	aksk := write("aksk.yml", "region: cn-north-4\nauth:\n  aksk:\n    access_key: AK1\n    secret_key_file: ./secrets/sk\n    security_token_file: secrets/../secrets/sts\n"+tail)
	token := write("token.yml", "region: cn-north-4\nauth:\n  token_file: "+abs+"\n"+tail)

	t.Chdir(t.TempDir()) // none of the files is here
	cfg, _, err := Load(iam)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := cfg.Auth.IAM.PasswordFile, filepath.Join(dir, "secrets/password"); got != want {
		t.Errorf("password_file = %q, want %q", got, want)
	}
	if got, want := cfg.HTTPClientConfig.TLSConfig.CAFile, filepath.Join(dir, "tls/ca.pem"); got != want {
		t.Errorf("tls_config.ca_file = %q, want %q", got, want)
	}
	cfg, _, err = Load(aksk)
	if err != nil {
		t.Fatal(err)
	}
	if k := cfg.Auth.AKSK; k.SecretKeyFile != filepath.Join(dir, "secrets/sk") || k.SecurityTokenFile != filepath.Join(dir, "secrets/sts") {
		t.Errorf("secret_key_file %q, security_token_file %q", k.SecretKeyFile, k.SecurityTokenFile)
	}
	cfg, _, err = Load(token)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Auth.TokenFile != abs {
		t.Errorf("token_file = %q, want the absolute path kept", cfg.Auth.TokenFile)
	}
	// /config shows the paths in force.
	if out := cfg.String(); !strings.Contains(out, "ca_file: "+filepath.Join(dir, "tls/ca.pem")) {
		t.Errorf("/config does not show the resolved path:\n%s", out)
	}

	// A missing file is named as resolved, so the error says where it was
	// looked for.
	missing := write("missing.yml", "region: cn-north-4\nauth:\n  token_file: secrets/absent\ntasks:\n  - id: abc\n")
	_, _, err = Load(missing)
	if want := "line 3: auth.token_file: open " + filepath.Join(dir, "secrets/absent") + ": no such file or directory"; err == nil || !strings.HasSuffix(err.Error(), want) {
		t.Errorf("err = %v, want it to end %q", err, want)
	}
}

// /config shows the files in force as absolute paths, resolved against the
// configuration file's directory, when the file itself was given by a
// relative path: the page names the same files whatever the working
// directory of whoever reads it. Served by the real handler, over HTTP. The
// test changes the working directory, so it does not run in parallel.
func TestConfigPageShowsAbsolutePaths(t *testing.T) {
	dir := t.TempDir()
	etc := filepath.Join(dir, "etc")
	for _, f := range []string{"secrets/password", "secrets/token", "secrets/basic", "tls/ca.pem"} {
		p := filepath.Join(etc, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("content\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	const (
		tasks  = "tasks:\n  - id: 3f9a1c7e5b2d4f608a1e3c5b7d9f1a2b\n"
		client = "http_client_config:\n  basic_auth:\n    username: proxy\n    password_file: secrets/basic\n" +
			"  tls_config:\n    ca_file: tls/ca.pem\n    cert_file: tls/client.pem\n    key_file: tls/client.key\n"
	)
	files := map[string]string{
		"iam.yml":   "region: cn-north-4\nauth:\n  iam:\n    domain_name: acme\n    username: monitor\n    password_file: secrets/password\n" + tasks + client,
		"token.yml": "region: cn-north-4\nauth:\n  token_file: ./secrets/token\n" + tasks,
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(etc, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(dir)
	sc := NewSafeConfig(prometheus.NewRegistry())
	srv := httptest.NewServer(sc)
	defer srv.Close()
	for name, want := range map[string][]string{
		"iam.yml": {
			"    password_file: " + filepath.Join(etc, "secrets/password") + "\n",
			"    password_file: " + filepath.Join(etc, "secrets/basic") + "\n",
			"    ca_file: " + filepath.Join(etc, "tls/ca.pem") + "\n",
			"    cert_file: " + filepath.Join(etc, "tls/client.pem") + "\n",
			"    key_file: " + filepath.Join(etc, "tls/client.key") + "\n",
		},
		"token.yml": {"  token_file: " + filepath.Join(etc, "secrets/token") + "\n"},
	} {
		if _, err := sc.ReloadConfig(filepath.Join("etc", name)); err != nil {
			t.Fatal(err)
		}
		resp, err := http.Get(srv.URL + "/config")
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /config: HTTP %d, %v", resp.StatusCode, err)
		}
		for _, w := range want {
			if !strings.Contains(string(body), w) {
				t.Errorf("etc/%s: /config does not show %q:\n%s", name, w, body)
			}
		}
		if strings.Contains(string(body), " etc/") || strings.Contains(string(body), " secrets/") || strings.Contains(string(body), " tls/") {
			t.Errorf("etc/%s: /config shows a relative path:\n%s", name, body)
		}
	}
}
