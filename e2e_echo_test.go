package main

import (
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/codearts-check-exporter/codearts_check_exporter/internal/api"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/simulator"
)

// An API that echoes the request back puts no credential in the logs, at
// debug level: not the password an IAM error repeats from the token
// request's body ("IAM token request failed"), nor the security token or
// signature a progress error repeats from the headers ("task queries
// failed"). The redaction mark shows where they were.
func TestE2EEchoedCredentialsRedacted(t *testing.T) {
	const (
		password      = `Echo-"Pa55"-<SECRET>`
		accessKey     = "AKECHO0123456789ABCD"
		secretKey     = "SK-echo-SECRET-KEY"
		securityToken = "STS-echo-SECURITY-TOKEN"
	)
	apiSrv := newE2EAPI(t, simulator.Options{Users: []simulator.User{{Domain: simulator.DefaultDomain, Name: simulator.DefaultUser, Password: password}}})
	e2eTasks(apiSrv)
	sim := apiSrv.sim
	sim.SetIAMFault(simulator.Fault{Kind: simulator.FaultEchoRequest})
	cfgFile := filepath.Join(t.TempDir(), "config.yml")
	e2eConfig{endpoint: apiSrv.url, user: simulator.DefaultUser, password: password, tasks: []string{e2eTaskA}}.write(t, cfgFile)
	e := launchExporter(t, "http", http.DefaultClient, "--config.file="+cfgFile, "--log.level=debug")
	if v, _ := metricValue(e.scrape(t), "codearts_check_up"); v != 0 {
		t.Errorf("up = %v with IAM failing, want 0", v)
	}

	sim.ClearFaults()
	sim.AddAccessKey(simulator.AccessKey{ID: accessKey, Secret: secretKey, SecurityToken: securityToken, ProjectID: simulator.DefaultProjectID})
	sim.SetFault(e2eTaskA, simulator.Fault{Kind: simulator.FaultEchoRequest})
	writeFile(t, cfgFile, fmt.Sprintf("endpoint: %s\nauth:\n  aksk:\n    access_key: %s\n    secret_key: %q\n    security_token: %q\n    project_id: %s\ntasks:\n  - id: %s\n",
		apiSrv.url, accessKey, secretKey, securityToken, simulator.DefaultProjectID, e2eTaskA))
	if status, answer := e.request(t, http.MethodPost, "/-/reload"); status != http.StatusOK {
		t.Fatalf("reload to aksk: HTTP %d %s", status, answer)
	}
	body := e.scrape(t)
	if v, _ := metricValue(body, taskSeries("codearts_check_task_query_success", e2eTaskA)); v != 0 {
		t.Errorf("query_success = %v with the echoing fault, want 0", v)
	}

	logs := waitLogged(e, []string{"IAM token request failed", "task queries failed"}, 10*time.Second)
	var iamLine, taskLine string
	for _, line := range strings.Split(logs, "\n") {
		switch {
		case strings.Contains(line, "IAM token request failed"):
			iamLine = line
		case strings.Contains(line, "task queries failed"):
			taskLine = line
		}
	}
	if !strings.Contains(iamLine, api.Redacted) || !strings.Contains(taskLine, api.Redacted) {
		t.Errorf("the echoed credentials are not marked %s:\n%s\n%s", api.Redacted, iamLine, taskLine)
	}
	for name, secret := range map[string]string{
		"password": password, "password, JSON-escaped": `Echo-\"Pa55\"-\u003cSECRET\u003e`,
		"password, as logged": `Echo-\"Pa55\"-<SECRET>`, "password's letters": "Pa55", "secret key": secretKey,
		"security token": securityToken, "signature": "Signature=",
	} {
		if strings.Contains(logs, secret) {
			t.Errorf("the %s appears in the logs", name)
		}
	}
}
