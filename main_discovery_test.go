package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/codearts-check-exporter/codearts_check_exporter/internal/simulator"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit"
)

// The binary with AK/SK auth and discovery: it lists the project at
// startup, scrapes what it found with signed requests, follows a reload
// that narrows discovery, and never shows the secret key.
func TestBinaryAKSKAndDiscovery(t *testing.T) {
	const (
		ak      = "AKBINARY000000000001"
		sk      = "sk-binary-S3CRET"
		project = "cccccccccccccccccccccccccccccccc"
	)
	sim := simulator.New(simulator.Options{})
	api := testkit.Simulator(t, sim)
	sim.AddAccessKey(simulator.AccessKey{ID: ak, Secret: sk, ProjectID: simulator.DefaultProjectID})
	sim.AddProject(project)
	sim.SetTask(simulator.Task{ID: "task-web", Name: "web", ProjectID: project, GitBranch: "main", Status: simulator.IntPtr(2)})
	sim.SetTask(simulator.Task{ID: "task-api", Name: "api", ProjectID: project, GitBranch: "dev", Status: simulator.IntPtr(1)})

	dir := t.TempDir()
	skFile := filepath.Join(dir, "sk")
	if err := os.WriteFile(skFile, []byte(sk+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfgFile := filepath.Join(dir, "config.yml")
	writeConfig := func(discovery string) {
		t.Helper()
		cfg := "endpoint: " + api.URL + "\n" +
			"auth:\n  aksk:\n    access_key: " + ak + "\n    secret_key_file: " + skFile + "\n    project_id: " + simulator.DefaultProjectID + "\n" +
			"discovery:\n  projects: [" + project + "]\n" + discovery
		if err := os.WriteFile(cfgFile, []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	writeConfig("")
	e := startExporter(t, "--config.file="+cfgFile)

	waitForMetrics := func(what string, cond func(string) bool) string {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			body := e.get(t, "/metrics")
			if cond(body) {
				return body
			}
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s; last /metrics:\n%s\nlogs:\n%s", what, body, e.logs)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	body := waitForMetrics("both discovered tasks", func(b string) bool {
		return strings.Contains(b, `codearts_check_task_status{task_id="task-web"} 2`) &&
			strings.Contains(b, `codearts_check_task_status{task_id="task-api"} 1`)
	})
	for _, want := range []string{
		`codearts_check_task_info{git_branch="main",project_id="` + project + `",task_id="task-web",task_name="web"} 1`,
		`codearts_check_discovered_tasks{project_id="` + project + `"} 2`,
		`codearts_check_up 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if sim.SignedRequests() == 0 || sim.SignatureFailures() != 0 {
		t.Errorf("signed requests %d, refused %d", sim.SignedRequests(), sim.SignatureFailures())
	}

	writeConfig("  exclude: api\n")
	if status, body := e.request(t, http.MethodPost, "/-/reload"); status != http.StatusOK {
		t.Fatalf("reload: HTTP %d: %s\n%s", status, body, e.logs)
	}
	waitForMetrics("the excluded task to go", func(b string) bool {
		return !strings.Contains(b, `task_id="task-api"`) && strings.Contains(b, `task_id="task-web"`)
	})

	if page := e.get(t, "/config"); strings.Contains(page, sk) || !strings.Contains(page, "secret_key_file") {
		t.Errorf("/config:\n%s", page)
	}
	if strings.Contains(e.logs.String(), sk) {
		t.Errorf("the secret key was logged:\n%s", e.logs)
	}
}
