package main

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/codearts-check-exporter/codearts_check_exporter/internal/simulator"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit"
)

// The end-to-end tests run the real binary (testkit.Binary)
// against the simulator, which the test process itself serves on
// 127.0.0.1, and talk to the binary over HTTP and signals like an operator
// and Prometheus would.

// e2eAPI is the simulated IAM + CodeArts Check host.
type e2eAPI struct {
	sim *simulator.Server
	url string
}

func newE2EAPI(t *testing.T, opts simulator.Options) *e2eAPI {
	t.Helper()
	sim := simulator.New(opts)
	return &e2eAPI{sim: sim, url: testkit.Simulator(t, sim).URL}
}

// e2eConfig is the exporter's configuration file.
type e2eConfig struct {
	endpoint, iamEndpoint string
	user, password        string
	tasks                 []string
	timeout               string // "" is 10s
	extra                 string // appended verbatim (top-level keys)
}

func (c e2eConfig) write(t *testing.T, path string) {
	t.Helper()
	iam := c.iamEndpoint
	if iam == "" {
		iam = c.endpoint
	}
	var b strings.Builder
	fmt.Fprintf(&b, "endpoint: %s\nauth:\n  iam:\n    endpoint: %s\n    domain_name: %s\n    username: %s\n    password: %q\n    project_name: %s\n",
		c.endpoint, iam, simulator.DefaultDomain, c.user, c.password, simulator.DefaultProject)
	b.WriteString("tasks:\n")
	for _, id := range c.tasks {
		fmt.Fprintf(&b, "  - id: %q\n", id)
	}
	timeout := c.timeout
	if timeout == "" {
		timeout = "10s"
	}
	b.WriteString("timeout: " + timeout + "\n")
	b.WriteString(c.extra)
	writeFile(t, path, b.String())
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// e2eExporter is the binary running in the background.
type e2eExporter struct {
	cmd    *exec.Cmd
	base   string // scheme://127.0.0.1:port
	client *http.Client
	logs   *testkit.Buffer
	done   chan struct{} // closed when the process has exited
}

// launchExporter starts the binary with args and a free loopback listen
// address, and waits until it listens. scheme and client are how the tests
// reach it (https and a client trusting its certificate with a web config).
func launchExporter(t *testing.T, scheme string, client *http.Client, args ...string) *e2eExporter {
	t.Helper()
	return launchExporterIn(t, "", scheme, client, args...)
}

// launchExporterIn is launchExporter with dir as the binary's working
// directory ("": the test's).
func launchExporterIn(t *testing.T, dir, scheme string, client *http.Client, args ...string) *e2eExporter {
	t.Helper()
	addr := testkit.FreeAddr(t)
	logs := &testkit.Buffer{}
	cmd := exec.Command(e2eBinary(t), append(args, "--web.listen-address="+addr)...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	e := &e2eExporter{cmd: cmd, base: scheme + "://" + addr, client: client, logs: logs, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait() // the exit status is read from cmd.ProcessState after done
		close(e.done)
	}()
	t.Cleanup(func() {
		select {
		case <-e.done:
		default:
			_ = cmd.Process.Kill()
			<-e.done
		}
		if t.Failed() {
			t.Logf("exporter output:\n%s", logs)
		}
	})
	// "Listening on" is logged once the socket is bound: from then on
	// connections are accepted, whatever the protocol and auth in front.
	for start := time.Now(); !strings.Contains(logs.String(), `msg="Listening on"`); {
		select {
		case <-e.done:
			t.Fatalf("exporter exited early:\n%s", logs)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Since(start) > 30*time.Second {
			t.Fatalf("exporter not listening within 30s:\n%s", logs)
		}
	}
	return e
}

// e2eBinary is the exporter the e2e tests run: the one testkit.Binary
// builds from this tree, or the build CODEARTS_E2E_BINARY names, so that
// a test's figures can be taken for an older build too.
func e2eBinary(t *testing.T) string {
	if bin := os.Getenv("CODEARTS_E2E_BINARY"); bin != "" {
		return bin
	}
	return testkit.Binary(t)
}

// do sends a request and returns the status and body.
func (e *e2eExporter) do(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	resp, err := e.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the answer: %v", req.Method, req.URL.Path, err)
	}
	return resp.StatusCode, string(body)
}

func (e *e2eExporter) request(t *testing.T, method, path string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, e.base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	return e.do(t, req)
}

// scrape GETs /metrics as Prometheus would, with a scrape timeout.
func (e *e2eExporter) scrape(t *testing.T) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, e.base+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", "3")
	status, body := e.do(t, req)
	if status != http.StatusOK {
		t.Fatalf("scrape: HTTP %d:\n%s", status, body)
	}
	return body
}

// signal sends sig to the process.
func (e *e2eExporter) signal(t *testing.T, sig os.Signal) {
	t.Helper()
	if err := e.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
}

// metricValue finds the sample of series (name{labels} exactly as the
// exposition format writes it) in a /metrics body.
func metricValue(body, series string) (float64, bool) {
	sc := bufio.NewScanner(strings.NewReader(body))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), series+" ")
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(strings.Fields(rest)[0], 64)
		return v, err == nil
	}
	return 0, false
}

func taskSeries(name, id string) string { return name + `{task_id="` + id + `"}` }
