package main

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/codearts-check-exporter/codearts_check_exporter/internal/simulator"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit"
)

// checkIn runs --config.check in dir (the working directory) and
// returns its exit code and output.
func checkIn(t *testing.T, dir, file string) (int, string) {
	t.Helper()
	cmd := exec.Command(testkit.Binary(t), "--config.check", "--config.file="+file)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	return exitCode(err), string(out)
}

// A relative password_file is read from the configuration file's
// directory, whatever the working directory; --config.check reads it.
func TestConfigCheckResolvesPathsAgainstTheConfigFile(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "etc")
	if err := os.Mkdir(sub, 0o700); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(sub, "password"), "hunter2\n")
	writeFile(t, filepath.Join(sub, "c.yml"), "region: cn-north-4\nauth:\n  iam:\n    domain_name: a\n    username: b\n    password_file: password\ntasks:\n  - id: abc\n")
	elsewhere := t.TempDir()
	for _, c := range []struct{ cwd, file string }{
		{elsewhere, filepath.Join(sub, "c.yml")}, // absolute config path
		{dir, "etc/c.yml"},                       // relative config path
		{sub, "c.yml"},
	} {
		if code, out := checkIn(t, c.cwd, c.file); code != 0 || !strings.Contains(out, "is valid") {
			t.Errorf("from %s, --config.file=%s: exit %d\n%s", c.cwd, c.file, code, out)
		}
	}
	// The check reads the secret file: without it, it fails and says
	// where it looked.
	if err := os.Remove(filepath.Join(sub, "password")); err != nil {
		t.Fatal(err)
	}
	code, out := checkIn(t, elsewhere, filepath.Join(sub, "c.yml"))
	if want := "line 6: auth.iam.password_file: open " + filepath.Join(sub, "password") + ": no such file or directory"; code != 1 || !strings.Contains(out, want) {
		t.Errorf("without the password file: exit %d, want 1 and %q:\n%s", code, want, out)
	}
}

// A glob-like filter loads: --config.check prints the warning and passes.
func TestConfigCheckPrintsWarnings(t *testing.T) {
	file := filepath.Join(t.TempDir(), "c.yml")
	writeFile(t, file, "region: cn-north-4\nauth:\n  iam:\n    domain_name: a\n    username: b\n    password: hunter2\n"+
		"discovery:\n  projects: [7f3b0a1c2d3e4f5a6b7c8d9e0f1a2b3c]\n  include: web-*\n")
	code, out := checkIn(t, t.TempDir(), file)
	want := "config file " + file + `: warning: line 9: discovery.include: "web-*" looks like a glob, but it is a regular expression on the whole task name: for a glob's *, write .* ("web-.*")` + "\n"
	if code != 0 || !strings.HasPrefix(out, want) || !strings.Contains(out, "is valid") {
		t.Errorf("exit %d, want 0 and output starting %q:\n%s", code, want, out)
	}
}

// A secret with a tag its value does not fit: the error names the key and
// the tag, never the value, in --config.check, at startup, and in the log
// and the 400 answer of a reload. A warning is logged at load and reload.
func TestTaggedSecretNeverShownAndWarningsLogged(t *testing.T) {
	const secret = "S3cr3t-tagged-e2e"
	api := newE2EAPI(t, simulator.Options{})
	e2eTasks(api)
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yml")
	writeFile(t, bad, "endpoint: "+api.url+"\nauth:\n  iam:\n    endpoint: "+api.url+"\n    domain_name: d\n    username: u\n    password: !!int \""+secret+"\"\n    project_name: cn-north-4\ntasks:\n  - id: "+e2eTaskA+"\n")
	const want = "line 7: auth.iam.password: the value is tagged !!int but does not read as one; remove the tag"

	code, out := checkIn(t, dir, bad)
	if code != 1 || strings.TrimSpace(out) != "config file "+bad+": "+want || strings.Contains(out, secret) {
		t.Errorf("--config.check: exit %d, output %q; want 1 and %q", code, out, want)
	}
	cmd := exec.Command(testkit.Binary(t), "--config.file="+bad, "--web.listen-address="+testkit.FreeAddr(t))
	out2, _ := cmd.CombinedOutput()
	if !strings.Contains(string(out2), want) || strings.Contains(string(out2), secret) {
		t.Errorf("startup with the bad file logged:\n%s", out2)
	}

	cfgFile := filepath.Join(dir, "config.yml")
	good := e2eConfig{endpoint: api.url, user: simulator.DefaultUser, password: simulator.DefaultPassword, tasks: []string{e2eTaskA},
		extra: "discovery:\n  projects: [7f3b0a1c2d3e4f5a6b7c8d9e0f1a2b3c]\n  exclude: old*\n"}
	good.write(t, cfgFile)
	e := launchExporter(t, "http", http.DefaultClient, "--config.file="+cfgFile)
	const warning = `discovery.exclude: \"old*\" looks like a glob`
	if n := strings.Count(e.logs.String(), warning); n != 1 {
		t.Errorf("the warning is logged %d times at startup, want 1:\n%s", n, e.logs)
	}
	e.signal(t, syscall.SIGHUP)
	for deadline := time.Now().Add(15 * time.Second); strings.Count(e.logs.String(), warning) < 2; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the warning is not logged again at the SIGHUP reload:\n%s", e.logs)
		}
	}

	data, err := os.ReadFile(bad)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, cfgFile, string(data))
	status, body := e.request(t, http.MethodPost, "/-/reload")
	if status != http.StatusBadRequest || !strings.Contains(body, want) || strings.Contains(body, secret) {
		t.Errorf("POST /-/reload of the bad file: HTTP %d %q, want an error saying %q", status, body, want)
	}
	if strings.Contains(e.logs.String(), secret) {
		t.Errorf("the log shows the secret:\n%s", e.logs)
	}
}
