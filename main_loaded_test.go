package main

import (
	"context"
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

// loadedLines returns the "Configuration loaded" lines of the log, each
// from its msg on (the time and caller before it vary).
func loadedLines(logs string) []string {
	var out []string
	for _, line := range strings.Split(logs, "\n") {
		if i := strings.Index(line, `msg="Configuration loaded"`); i >= 0 {
			out = append(out, line[i:])
		}
	}
	return out
}

// realDir is dir as the binary's working directory reads it: without
// symbolic links.
func realDir(t *testing.T, dir string) string {
	t.Helper()
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		t.Fatal(err)
	}
	return real
}

// Once a configuration is in force, at startup and at each reload, one
// line says what is: the file (absolute, though given relative to the
// working directory), the tasks and discovery projects, the API endpoint,
// the credentials and their IAM endpoint, and change detection on or off.
// Each line is compared whole.
func TestE2ELogSaysWhatIsLoaded(t *testing.T) {
	api := newE2EAPI(t, simulator.Options{})
	e2eTasks(api)
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "etc"), 0o700); err != nil {
		t.Fatal(err)
	}
	cfgFile := filepath.Join(dir, "etc", "config.yml")
	e2eConfig{endpoint: api.url, user: simulator.DefaultUser, password: simulator.DefaultPassword, tasks: []string{e2eTaskA, e2eTaskB}}.write(t, cfgFile)
	e := launchExporterIn(t, dir, "http", http.DefaultClient, "--config.file=etc/config.yml")

	abs := filepath.Join(realDir(t, dir), "etc", "config.yml")
	want := []string{`msg="Configuration loaded" file=` + abs + ` tasks=2 endpoint=` + api.url + ` auth=iam iam_endpoint=` + api.url + ` change_detection=off`}
	if got := loadedLines(e.logs.String()); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("at startup:\n got %q\nwant %q", got, want)
	}

	// AK/SK with its project given (no IAM endpoint in use), discovery
	// and change detection: the reload's line says so.
	writeFile(t, cfgFile, "endpoint: "+api.url+"\nauth:\n  aksk:\n    access_key: AK1\n    secret_key: sk\n    project_id: "+simulator.DefaultProjectID+"\n"+
		"tasks:\n  - id: "+e2eTaskA+"\ndiscovery:\n  projects: [7f3b0a1c2d3e4f5a6b7c8d9e0f1a2b3c, 8f3b0a1c2d3e4f5a6b7c8d9e0f1a2b3c]\nchange_detection:\n  enabled: true\n")
	e.signal(t, syscall.SIGHUP)
	want = append(want, `msg="Configuration loaded" file=`+abs+` tasks=1 discovery_projects=2 endpoint=`+api.url+` auth=aksk change_detection=on`)
	var got []string
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if got = loadedLines(e.logs.String()); len(got) >= 2 || time.Now().After(deadline) {
			break
		}
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("after the SIGHUP reload:\n got %q\nwant %q", got, want)
	}
	// A refused reload puts nothing in force, and says nothing is loaded.
	writeFile(t, cfgFile, "tasks: []\n")
	if status, _ := e.request(t, http.MethodPost, "/-/reload"); status != http.StatusBadRequest {
		t.Fatalf("reload of a bad file: HTTP %d, want 400", status)
	}
	if got := loadedLines(e.logs.String()); len(got) != 2 {
		t.Errorf("after a refused reload, %d lines say a configuration was loaded, want 2:\n%s", len(got), e.logs)
	}
}

// Without a configuration file, the exporter says where to start: the
// example to copy, or --demo. At startup and with --config.check alike.
func TestMissingConfigFileSaysWhereToStart(t *testing.T) {
	dir := t.TempDir()
	want := "config file: open codearts_check_exporter.yml: no such file or directory: copy codearts_check_exporter.example.yml (at the top of the repository) to " +
		filepath.Join(realDir(t, dir), "codearts_check_exporter.yml") + " and edit it, or run with --demo to try the exporter against a built-in simulator"

	if code, out := checkIn(t, dir, "codearts_check_exporter.yml"); code != 1 || out != want+"\n" {
		t.Errorf("--config.check: exit %d, output\n%q\nwant 1 and\n%q", code, out, want+"\n")
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// The default --config.file, in the working directory.
	cmd := exec.CommandContext(ctx, testkit.Binary(t), "--web.listen-address="+testkit.FreeAddr(t))
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if exitCode(err) != 1 || !strings.Contains(string(out), `msg="Cannot load the configuration" err="`+want+`"`) {
		t.Errorf("startup: exit %d, want 1 and the log saying %q:\n%s", exitCode(err), want, out)
	}
}

// --config.check prints the warnings of a task ID cut short and of an IAM
// project named after another region, and passes.
func TestConfigCheckPrintsIDAndProjectWarnings(t *testing.T) {
	file := filepath.Join(t.TempDir(), "c.yml")
	writeFile(t, file, "region: la-north-2\nauth:\n  iam:\n    domain_name: a\n    username: b\n    password: hunter2\n    project_name: cn-north-4\n"+
		"tasks:\n  - id: "+e2eTaskA[:31]+"\n")
	code, out := checkIn(t, t.TempDir(), file)
	want := "config file " + file + `: warning: line 7: auth.iam.project_name: "cn-north-4" names another region than region (la-north-2): the token would be scoped to cn-north-4's project; remove project_name (it defaults to la-north-2) or set it to la-north-2` + "\n" +
		"config file " + file + `: warning: line 9: tasks[0].id: "` + e2eTaskA[:31] + `" is 31 characters; a real task ID is 32 hex characters (in the task's URL in the CodeArts console): is it cut short?` + "\n"
	if code != 0 || !strings.HasPrefix(out, want) || !strings.Contains(out, file+" is valid: 1 task(s)") {
		t.Errorf("exit %d, want 0 and output starting\n%s\ngot\n%s", code, want, out)
	}
}
