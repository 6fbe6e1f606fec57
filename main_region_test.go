package main

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/codearts-check-exporter/codearts_check_exporter/internal/simulator"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit"
)

// --config.check names the hosts in force, defaulted from the region or
// written out, and refuses a region it does not know, listing the known.
func TestConfigCheckShowsHosts(t *testing.T) {
	dir := t.TempDir()
	const tasks = "tasks:\n  - id: abc\n"
	for _, c := range []struct {
		name, yaml string
		want       []string
	}{
		{"iam, served through cn-north-4", "region: cn-north-1\nauth:\n  iam:\n    domain_name: a\n    username: b\n    password: hunter2\n" + tasks,
			[]string{"API endpoint https://codearts-check.cn-north-4.myhuaweicloud.com", "IAM endpoint https://iam.cn-north-1.myhuaweicloud.com"}},
		{"aksk lookup on the EU site", "region: eu-west-101\nauth:\n  aksk:\n    access_key: AK1\n    secret_key: hunter2\n" + tasks,
			[]string{"API endpoint https://check.eu-west-101.myhuaweicloud.eu", "IAM endpoint https://iam.eu-west-101.myhuaweicloud.eu"}},
		{"aksk with project_id: no IAM", "region: cn-east-3\nauth:\n  aksk:\n    access_key: AK1\n    secret_key: hunter2\n    project_id: 0123456789abcdef0123456789abcdef\n" + tasks,
			[]string{"API endpoint https://codearts-check.cn-south-1.myhuaweicloud.com\n"}},
		{"unknown region with endpoint", "region: xx-test-1\nendpoint: http://127.0.0.1:1\nauth:\n  iam:\n    domain_name: a\n    username: b\n    password: hunter2\n" + tasks,
			[]string{"API endpoint http://127.0.0.1:1", "IAM endpoint https://iam.xx-test-1.myhuaweicloud.com"}},
	} {
		file := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "_")+".yml")
		writeFile(t, file, c.yaml)
		out, err := exec.Command(testkit.Binary(t), "--config.check", "--config.file="+file).Output()
		if err != nil {
			t.Errorf("%s: %v\n%s", c.name, err, out)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(string(out), w) {
				t.Errorf("%s: output does not contain %q:\n%s", c.name, w, out)
			}
		}
		if strings.Contains(string(out), "hunter2") || (len(c.want) == 1 && strings.Contains(string(out), "IAM endpoint")) {
			t.Errorf("%s: output:\n%s", c.name, out)
		}
	}

	file := filepath.Join(dir, "misspelt.yml")
	writeFile(t, file, "region: cn-nort-4\nauth:\n  iam:\n    domain_name: a\n    username: b\n    password: hunter2\n"+tasks)
	out, err := exec.Command(testkit.Binary(t), "--config.check", "--config.file="+file).CombinedOutput()
	if err == nil {
		t.Fatalf("misspelt region accepted:\n%s", out)
	}
	for _, w := range []string{file, "line 1", `"cn-nort-4"`, "cn-north-4, cn-south-1", "set endpoint"} {
		if !strings.Contains(string(out), w) {
			t.Errorf("misspelt region: output does not contain %q:\n%s", w, out)
		}
	}
}

// AK/SK without project_id, end to end: the project is looked up once on
// the IAM endpoint in force, every scrape succeeds with it, and /config
// shows where it was looked up.
func TestE2EAKSKWithoutProjectID(t *testing.T) {
	const secretKey = "SK-e2e-lookup-SECRET"
	apiSrv := newE2EAPI(t, simulator.Options{})
	e2eTasks(apiSrv)
	// The key is bound to the region's project: a request without the
	// looked-up X-Project-Id would be refused.
	apiSrv.sim.AddAccessKey(simulator.AccessKey{ID: "AKE2ELOOKUP", Secret: secretKey, ProjectID: simulator.DefaultProjectID})
	cfgFile := filepath.Join(t.TempDir(), "config.yml")
	writeFile(t, cfgFile, "region: "+simulator.DefaultProject+"\nendpoint: "+apiSrv.url+
		"\nauth:\n  aksk:\n    access_key: AKE2ELOOKUP\n    secret_key: "+secretKey+"\n    iam_endpoint: "+apiSrv.url+
		"\ntasks:\n  - id: "+e2eTaskA+"\n  - id: "+e2eTaskB+"\n")
	e := startExporter(t, "--config.file="+cfgFile)
	for range 3 {
		body := e.scrape(t)
		for _, series := range []string{
			"codearts_check_up",
			taskSeries("codearts_check_task_query_success", e2eTaskA),
			taskSeries("codearts_check_task_query_success", e2eTaskB),
			`codearts_check_api_requests_total{endpoint="iam_projects",status_class="2xx"}`,
		} {
			if v, ok := metricValue(body, series); !ok || v != 1 {
				t.Errorf("%s = %v (present %v), want 1", series, v, ok)
			}
		}
	}
	if apiSrv.sim.ProjectRequests() != 1 || apiSrv.sim.SignatureFailures() != 0 {
		t.Errorf("%d lookups, %d refused signatures; want 1, 0", apiSrv.sim.ProjectRequests(), apiSrv.sim.SignatureFailures())
	}
	page := e.get(t, "/config")
	for _, w := range []string{"iam_endpoint: " + apiSrv.url, "endpoint: " + apiSrv.url, "secret_key: <secret>"} {
		if !strings.Contains(page, w) {
			t.Errorf("/config does not contain %q:\n%s", w, page)
		}
	}
	if strings.Contains(page, secretKey) || strings.Contains(e.logs.String(), secretKey) {
		t.Errorf("the secret key was shown")
	}
}
