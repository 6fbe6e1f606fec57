package main

import (
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/codearts-check-exporter/codearts_check_exporter/internal/simulator"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit"
)

// --web.config.file puts TLS and basic auth in front of every endpoint:
// without credentials or with wrong ones the answer is 401, with the right
// ones the metrics; plain HTTP gets no metrics at all.
func TestE2EWebConfigTLSAndBasicAuth(t *testing.T) {
	const user, pass = "prometheus", "scrape-Pa55-e2e"
	api := newE2EAPI(t, simulator.Options{})
	e2eTasks(api)
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "config.yml")
	e2eConfig{endpoint: api.url, user: simulator.DefaultUser, password: simulator.DefaultPassword, tasks: []string{e2eTaskA}}.write(t, cfgFile)
	certFile, keyFile := filepath.Join(dir, "server.crt"), filepath.Join(dir, "server.key")
	pool := testkit.SelfSignedCert(t, certFile, keyFile)
	hash, err := bcrypt.GenerateFromPassword([]byte(pass), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	webFile := filepath.Join(dir, "web.yml")
	writeFile(t, webFile, fmt.Sprintf("tls_server_config:\n  cert_file: %s\n  key_file: %s\nbasic_auth_users:\n  %s: %s\n", certFile, keyFile, user, hash))

	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	t.Cleanup(client.CloseIdleConnections)
	e := launchExporter(t, "https", client, "--config.file="+cfgFile, "--web.config.file="+webFile)

	get := func(path string, setAuth func(*http.Request)) (int, string) {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, e.base+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if setAuth != nil {
			setAuth(req)
		}
		return e.do(t, req)
	}
	for _, path := range []string{"/metrics", "/config", "/"} {
		if status, _ := get(path, nil); status != http.StatusUnauthorized {
			t.Errorf("GET %s without credentials: HTTP %d, want 401", path, status)
		}
		if status, _ := get(path, func(r *http.Request) { r.SetBasicAuth(user, "wrong") }); status != http.StatusUnauthorized {
			t.Errorf("GET %s with a wrong password: HTTP %d, want 401", path, status)
		}
	}
	req, err := http.NewRequest(http.MethodPost, e.base+"/-/reload", nil)
	if err != nil {
		t.Fatal(err)
	}
	if status, _ := e.do(t, req); status != http.StatusUnauthorized {
		t.Errorf("POST /-/reload without credentials: HTTP %d, want 401", status)
	}

	status, body := get("/metrics", func(r *http.Request) { r.SetBasicAuth(user, pass) })
	if status != http.StatusOK {
		t.Fatalf("GET /metrics with the right credentials: HTTP %d:\n%s", status, body)
	}
	if v, ok := metricValue(body, taskSeries("codearts_check_task_status", e2eTaskA)); !ok || v != 2 {
		t.Errorf("task status %v (present %v), want 2:\n%s", v, ok, body)
	}

	// Plain HTTP to the TLS port: refused, no metrics.
	resp, err := http.Get(strings.Replace(e.base, "https://", "http://", 1) + "/metrics")
	if err == nil {
		plain, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK || strings.Contains(string(plain), "codearts_check_") {
			t.Errorf("plain HTTP got HTTP %d with metrics", resp.StatusCode)
		}
	}
}

// The API's certificate is verified unless the configuration turns that
// off, and then a warning is logged at startup, before any scrape.
func TestE2EInsecureSkipVerifyWarnsAtStartup(t *testing.T) {
	sim := simulator.New(simulator.Options{})
	sim.SetTask(simulator.Task{ID: e2eTaskA, Status: simulator.IntPtr(2)})
	tlsAPI := testkit.SimulatorTLS(t, sim)
	dir := t.TempDir()
	for _, insecure := range []bool{false, true} {
		t.Run(fmt.Sprintf("insecure_skip_verify=%v", insecure), func(t *testing.T) {
			cfgFile := filepath.Join(dir, fmt.Sprintf("config-%v.yml", insecure))
			extra := ""
			if insecure {
				extra = "http_client_config:\n  tls_config:\n    insecure_skip_verify: true\n"
			}
			e2eConfig{endpoint: tlsAPI.URL, user: simulator.DefaultUser, password: simulator.DefaultPassword,
				tasks: []string{e2eTaskA}, extra: extra}.write(t, cfgFile)
			e := launchExporter(t, "http", http.DefaultClient, "--config.file="+cfgFile)

			// Logged before any scrape: no request has reached the API
			// yet. The API client is built before the server listens, and
			// the output is one ordered stream, so the warning is in by
			// the time "Listening on" is.
			logs := e.logs.String()
			if warned := strings.Contains(logs, "level=warn") && strings.Contains(logs, "insecure_skip_verify"); warned != insecure {
				t.Errorf("startup warning about insecure_skip_verify: %v, want %v:\n%s", warned, insecure, logs)
			}
			if n := sim.IAMRequests() + sim.ProgressRequests(); n != 0 {
				t.Errorf("%d API requests before the first scrape", n)
			}

			body := e.scrape(t)
			wantUp := 0.0
			if insecure {
				wantUp = 1 // the untrusted certificate is accepted only when asked
			}
			if v, _ := metricValue(body, "codearts_check_up"); v != wantUp {
				t.Errorf("up = %v, want %v", v, wantUp)
			}
			if !insecure {
				if v, _ := metricValue(body, `codearts_check_api_errors_total{error_code="tls"}`); v < 1 {
					t.Errorf(`api_errors_total{error_code="tls"} = %v, want >= 1:\n%s`, v, body)
				}
			}
		})
	}
}

// A client that opens a connection and never finishes its headers is cut
// off (ReadHeaderTimeout, 10 s) instead of holding a connection forever.
func TestE2EHeaderReadTimeout(t *testing.T) {
	t.Parallel() // it waits for the server's own timeout
	api := newE2EAPI(t, simulator.Options{})
	e2eTasks(api)
	cfgFile := filepath.Join(t.TempDir(), "config.yml")
	e2eConfig{endpoint: api.url, user: simulator.DefaultUser, password: simulator.DefaultPassword, tasks: []string{e2eTaskA}}.write(t, cfgFile)
	e := launchExporter(t, "http", http.DefaultClient, "--config.file="+cfgFile)

	conn, err := net.Dial("tcp", strings.TrimPrefix(e.base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "GET /metrics HTTP/1.1\r\nHost: x\r\n"); err != nil {
		t.Fatal(err)
	}
	// Without a header timeout the read below would wait forever; the
	// guard is far above the server's 10 s.
	if err := conn.SetReadDeadline(time.Now().Add(60 * time.Second)); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = io.ReadAll(conn)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("connection with unfinished headers still open after %v", time.Since(start))
	}
}
