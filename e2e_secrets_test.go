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

// No password, secret key or token may ever show: the exporter runs at
// --log.level=debug through success, every fault, wrong credentials, a
// broken and a good reload and a switch to AK/SK; then every log line,
// every /metrics answer, every reload answer, the landing page and /config
// are searched for each secret and for each token the simulator issued.
func TestE2ENoSecretExposed(t *testing.T) {
	const (
		password      = "Pa55-first-e2e-SECRET"
		newPassword   = "Pa55-rotated-e2e-SECRET"
		accessKey     = "AKE2E0123456789ABCDE"
		secretKey     = "SK-e2e-4f1c9a-SECRET-KEY"
		securityToken = "STS-e2e-7b2d-SECURITY-TOKEN"
	)
	apiSrv := newE2EAPI(t, simulator.Options{Users: []simulator.User{{Domain: simulator.DefaultDomain, Name: simulator.DefaultUser, Password: password}}})
	e2eTasks(apiSrv)
	sim := apiSrv.sim
	cfgFile := filepath.Join(t.TempDir(), "config.yml")
	cfg := e2eConfig{endpoint: apiSrv.url, user: simulator.DefaultUser, password: password, tasks: []string{e2eTaskA, e2eTaskB}}
	cfg.write(t, cfgFile)
	e := launchExporter(t, "http", http.DefaultClient, "--config.file="+cfgFile, "--log.level=debug")

	var shown strings.Builder // everything the exporter answered
	scrape := func(step string) string {
		t.Helper()
		body := e.scrape(t)
		fmt.Fprintf(&shown, "--- %s\n%s", step, body)
		return body
	}
	expect := func(step, body, series string, want float64) {
		t.Helper()
		if v, ok := metricValue(body, series); !ok || v != want {
			t.Errorf("%s: %s = %v (present %v), want %v", step, series, v, ok, want)
		}
	}

	body := scrape("success")
	expect("success", body, "codearts_check_up", 1)
	var wantLogged []string // checked at the end: stderr reaches the test through a pipe

	// Every fault of a progress call, on task A; B stays healthy. A user
	// sees query_success 0 for A and a warning naming the error code.
	for _, f := range []struct {
		kind simulator.FaultKind
		code string
	}{
		{simulator.FaultHang, api.CodeTimeout},
		{simulator.FaultConnReset, api.CodeNetwork},
		{simulator.FaultBadGateway, "http_502"},
		{simulator.FaultInvalidJSON, api.CodeInvalidResponse},
		{simulator.FaultHugeBody, api.CodeInvalidResponse},
		{simulator.FaultWrongType, api.CodeInvalidResponse},
		{simulator.FaultThrottled, "APIGW.0308"},
		{simulator.FaultBusy, "CC.00000000"},
		{simulator.FaultRetryLater, "CC.00050012"},
		{simulator.FaultTokenExpired, "CC.00000003"},
		{simulator.FaultServiceUnavailable, "APIGW.0610"},
		{simulator.FaultEchoRequest, "APIGW.0201"}, // repeats the request's X-Auth-Token
	} {
		sim.SetFault(e2eTaskA, simulator.Fault{Kind: f.kind})
		body := scrape(f.kind.String())
		sim.ClearFaults()
		expect(f.kind.String(), body, taskSeries("codearts_check_task_query_success", e2eTaskA), 0)
		expect(f.kind.String(), body, taskSeries("codearts_check_task_query_success", e2eTaskB), 1)
		if v, _ := metricValue(body, `codearts_check_api_errors_total{error_code="`+f.code+`"}`); v < 1 {
			t.Errorf("%s: api_errors_total{error_code=%q} = %v, want >= 1", f.kind, f.code, v)
		}
		wantLogged = append(wantLogged, "error_code="+f.code)
	}

	// Tokens revoked and expired under the exporter: renewed.
	sim.RevokeTokens()
	expect("revoked", scrape("revoked"), "codearts_check_up", 1)
	sim.ExpireTokens()
	expect("expired", scrape("expired"), "codearts_check_up", 1)

	// IAM down while a token is needed, then back.
	sim.RevokeTokens()
	sim.SetIAMFault(simulator.Fault{Kind: simulator.FaultServiceUnavailable})
	expect("IAM down", scrape("IAM down"), "codearts_check_up", 0)
	sim.ClearFaults()
	for start := time.Now(); ; time.Sleep(100 * time.Millisecond) { // the IAM back-off starts at 1 s
		if v, _ := metricValue(scrape("IAM back"), "codearts_check_up"); v == 1 {
			break
		}
		if time.Since(start) > 20*time.Second {
			t.Fatal("no recovery after IAM came back")
		}
	}

	// The password is changed in IAM: the token stops working and IAM
	// refuses the configured password.
	sim.SetPassword(simulator.DefaultDomain, simulator.DefaultUser, newPassword)
	body = scrape("password changed")
	expect("password changed", body, "codearts_check_up", 0)
	expect("password changed", body, `codearts_check_api_errors_total{error_code="http_401"}`, 1)

	// A broken reload with the new password in it, then the good one.
	broken := cfg
	broken.password, broken.tasks = newPassword, []string{"bad id"}
	broken.write(t, cfgFile)
	status, answer := e.request(t, http.MethodPost, "/-/reload")
	fmt.Fprintf(&shown, "--- broken reload\n%s", answer)
	if status < 300 {
		t.Errorf("broken reload: HTTP %d", status)
	}
	fixed := cfg
	fixed.password = newPassword
	fixed.write(t, cfgFile)
	status, answer = e.request(t, http.MethodPost, "/-/reload")
	fmt.Fprintf(&shown, "--- reload\n%s", answer)
	if status != http.StatusOK {
		t.Fatalf("reload: HTTP %d %s", status, answer)
	}
	expect("fixed by reload", scrape("fixed by reload"), "codearts_check_up", 1)

	// Switch to AK/SK with a temporary key.
	sim.AddAccessKey(simulator.AccessKey{ID: accessKey, Secret: secretKey, SecurityToken: securityToken, ProjectID: simulator.DefaultProjectID})
	writeFile(t, cfgFile, fmt.Sprintf("endpoint: %s\nauth:\n  aksk:\n    access_key: %s\n    secret_key: %q\n    security_token: %q\n    project_id: %s\ntasks:\n  - id: %s\n",
		apiSrv.url, accessKey, secretKey, securityToken, simulator.DefaultProjectID, e2eTaskA))
	if status, answer := e.request(t, http.MethodPost, "/-/reload"); status != http.StatusOK {
		t.Fatalf("reload to aksk: HTTP %d %s", status, answer)
	}
	expect("aksk", scrape("aksk"), "codearts_check_up", 1)
	if sim.SignedRequests() == 0 {
		t.Error("no signed request reached the simulator: the AK/SK phase did not run")
	}

	for _, path := range []string{"/", "/config", "/-/healthy", "/-/ready"} {
		status, page := e.request(t, http.MethodGet, path)
		if status != http.StatusOK {
			t.Errorf("GET %s: HTTP %d", path, status)
		}
		fmt.Fprintf(&shown, "--- %s\n%s", path, page)
	}

	wantLogged = append(wantLogged, "error_code=APIGW.0613", "error_code=http_401", "level=debug")
	logs := waitLogged(e, wantLogged, 10*time.Second)
	for _, want := range wantLogged {
		if !strings.Contains(logs, want) {
			t.Errorf("no log line has %s", want)
		}
	}
	if !strings.Contains(logs, "level=debug") {
		t.Fatal("no debug line logged: the test would prove nothing about debug logging")
	}
	tokens := sim.IssuedTokens()
	if len(tokens) < 4 {
		t.Fatalf("the simulator issued %d tokens, want at least 4 (first, renewals, after the fix)", len(tokens))
	}
	secrets := map[string]string{
		"password": password, "rotated password": newPassword,
		"secret key": secretKey, "security token": securityToken,
	}
	for i, tok := range tokens {
		secrets[fmt.Sprintf("token %d", i)] = tok
		// A token cut short (a log truncating long values) still leaks:
		// look for its start, middle and end too.
		for _, at := range []int{0, len(tok)/2 - 12, len(tok) - 24} {
			secrets[fmt.Sprintf("token %d, 24 characters at %d", i, at)] = tok[at : at+24]
		}
	}
	for name, secret := range secrets {
		if strings.Contains(logs, secret) {
			t.Errorf("the %s appears in the logs", name)
		}
		if strings.Contains(shown.String(), secret) {
			t.Errorf("the %s appears in an HTTP answer", name)
		}
	}
}

// waitLogged returns the exporter's output once it has every string of
// want, or after timeout.
func waitLogged(e *e2eExporter, want []string, timeout time.Duration) string {
	for start := time.Now(); ; time.Sleep(20 * time.Millisecond) {
		logs := e.logs.String()
		missing := false
		for _, w := range want {
			missing = missing || !strings.Contains(logs, w)
		}
		if !missing || time.Since(start) > timeout {
			return logs
		}
	}
}
