package testkit

import (
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/codearts-check-exporter/codearts_check_exporter/config"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/simulator"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit/stdkit"
)

// A request the simulator holds hanging does not hold the cleanup: were
// the server closed first, the subtest would never return.
func TestSimulatorCleanupReleasesAHungRequest(t *testing.T) {
	sim := simulator.New(simulator.Options{})
	sim.SetIAMFault(simulator.Fault{Kind: simulator.FaultHang})
	done := make(chan error, 1)
	t.Run("serve", func(t *testing.T) {
		srv := Simulator(t, sim)
		go func() {
			resp, err := srv.Client().Post(srv.URL+"/v3/auth/tokens", "application/json", strings.NewReader(`{}`))
			if err == nil {
				resp.Body.Close()
			}
			done <- err
		}()
		stdkit.WaitFor(t, "the request to arrive", func() bool { return sim.IAMRequests() > 0 })
	})
	if err := <-done; err == nil {
		t.Error("the hung request got an answer; want the connection dropped")
	}
}

// The IAM configuration logs in to the simulator: a token is issued.
func TestIAMIsAcceptedBySimulator(t *testing.T) {
	sim := simulator.New(simulator.Options{})
	srv := Simulator(t, sim)
	iam := IAM(srv.URL)
	body := `{"auth":{"identity":{"methods":["password"],"password":{"user":{"domain":{"name":"` + iam.DomainName +
		`"},"name":"` + iam.Username + `","password":"` + string(iam.Password) + `"}}},"scope":{"project":{"name":"` + iam.ProjectName + `"}}}}`
	resp, err := srv.Client().Post(iam.Endpoint+"/v3/auth/tokens", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 201 || resp.Header.Get("X-Subject-Token") == "" {
		t.Errorf("token request: HTTP %d, token %q; want 201 with a token", resp.StatusCode, resp.Header.Get("X-Subject-Token"))
	}
}

func TestFreeAddrCanBeListenedOn(t *testing.T) {
	addr := FreeAddr(t)
	if !strings.HasPrefix(addr, "127.0.0.1:") {
		t.Fatalf("FreeAddr = %q, want a 127.0.0.1 address", addr)
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen on %s: %v", addr, err)
	}
	l.Close()
}

// Series are found by a subset of their labels, across metric types, and
// a family with no match reads as absent.
func TestSeriesLookup(t *testing.T) {
	reg := prometheus.NewRegistry()
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "requests_total", Help: "h"}, []string{"endpoint", "status_class"})
	errs := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "codearts_check_api_errors_total", Help: "h"}, []string{"error_code"})
	depth := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "depth", Help: "h"}, []string{"queue"})
	reg.MustRegister(requests, errs, depth)
	requests.WithLabelValues("a", "2xx").Add(2)
	requests.WithLabelValues("a", "5xx").Add(3)
	requests.WithLabelValues("b", "2xx").Add(5)
	errs.WithLabelValues("X.1").Add(7)
	depth.WithLabelValues("q").Set(1.5)

	families := Gather(t, reg)
	for _, c := range []struct {
		name   string
		labels []string
		sum    float64
		found  bool
	}{
		{"requests_total", []string{"endpoint", "a", "status_class", "5xx"}, 3, true},
		{"requests_total", []string{"endpoint", "a"}, 5, true},
		{"requests_total", nil, 10, true},
		{"requests_total", []string{"endpoint", "c"}, 0, false},
		{"requests_total", []string{"status_class", "a"}, 0, false}, // a value under another name is no match
		{"depth", []string{"queue", "q"}, 1.5, true},
		{"absent", nil, 0, false},
	} {
		if got := Sum(families, c.name, c.labels...); got != c.sum {
			t.Errorf("Sum(%s%v) = %v, want %v", c.name, c.labels, got, c.sum)
		}
		if _, ok := Value(families, c.name, c.labels...); ok != c.found {
			t.Errorf("Value(%s%v) found = %v, want %v", c.name, c.labels, ok, c.found)
		}
	}
	if v, _ := Value(families, "requests_total", "endpoint", "b"); v != 5 {
		t.Errorf("Value(requests_total{endpoint=b}) = %v, want 5", v)
	}
	if got := Counter(t, reg, "requests_total", "status_class", "2xx"); got != 7 {
		t.Errorf("Counter(requests_total{status_class=2xx}) = %v, want 7", got)
	}
	if got := ErrorCount(t, reg, "X.1"); got != 7 {
		t.Errorf("ErrorCount(X.1) = %v, want 7", got)
	}
}

// Over HTTPS the simulator answers a client that trusts httptest's
// certificate, and no other.
func TestSimulatorTLS(t *testing.T) {
	sim := simulator.New(simulator.Options{})
	srv := SimulatorTLS(t, sim)
	if !strings.HasPrefix(srv.URL, "https://") {
		t.Fatalf("URL %s is not HTTPS", srv.URL)
	}
	untrusting := &http.Client{Transport: &http.Transport{}}
	t.Cleanup(untrusting.CloseIdleConnections)
	if resp, err := untrusting.Get(srv.URL + "/v3/projects"); err == nil {
		resp.Body.Close()
		t.Error("a client without the test certificate got an answer")
	}
	resp, err := srv.Client().Get(srv.URL + "/v3/projects")
	if err != nil {
		t.Fatalf("trusting client: %v", err)
	}
	resp.Body.Close()
}

// Writes from many goroutines all land (the race detector checks the
// locking).
func TestBufferConcurrentWrites(t *testing.T) {
	var b Buffer
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				b.Write([]byte("x"))
				_ = b.String()
			}
		}()
	}
	wg.Wait()
	if got := len(b.String()); got != 800 {
		t.Errorf("%d bytes written, want 800", got)
	}
}

// ConfigTasks serves the configuration's tasks; a TaskList serves its own
// whatever the configuration, and a Set made while it is read.
func TestTaskSources(t *testing.T) {
	cfg := &config.Config{Tasks: []config.Task{{ID: "a1"}, {ID: "b2"}}}
	if got := (ConfigTasks{}).Tasks(cfg); !slices.Equal(got, cfg.Tasks) {
		t.Errorf("ConfigTasks = %v, want %v", got, cfg.Tasks)
	}
	given := []config.Task{{ID: "c3", Name: "third"}}
	l := NewTaskList(given...)
	given[0].ID = "changed by the caller"
	if got := l.Tasks(cfg); len(got) != 1 || got[0].ID != "c3" {
		t.Errorf("TaskList = %v, want [c3] and not the configuration's", got)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 100 {
			_ = l.Tasks(cfg)
		}
	}()
	l.Set(config.Task{ID: "d4"}, config.Task{ID: "e5"})
	<-done
	if got := l.Tasks(nil); len(got) != 2 || got[0].ID != "d4" || got[1].ID != "e5" {
		t.Errorf("after Set, TaskList = %v, want [d4 e5]", got)
	}
}
