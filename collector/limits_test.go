package collector

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/codearts-check-exporter/codearts_check_exporter/internal/simulator"
)

// --web.max-requests: a scrape beyond the cap is refused at once with 503
// instead of piling up work, and the slot is given back when a scrape ends.
func TestHandlerCapsConcurrentScrapes(t *testing.T) {
	sim := simulator.New(simulator.Options{})
	hung := taskID(0)
	sim.SetTask(simulator.Task{ID: hung, Status: simulator.IntPtr(2)})
	sim.SetFault(hung, simulator.Fault{Kind: simulator.FaultHang, Times: 1})
	env := newTestEnv(t, sim, []string{hung}, nil)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	capped := httptest.NewServer(Handler(env.coll, prometheus.NewRegistry(), logger, HandlerOpts{MaxRequestsInFlight: 1}))
	t.Cleanup(capped.Close)

	get := func() (int, string) {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, capped.URL, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", "2")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}

	first := make(chan int, 1)
	go func() {
		status, _ := get()
		first <- status
	}()
	// The first scrape holds the only slot while its query hangs.
	for sim.InFlight() == 0 {
		time.Sleep(time.Millisecond)
	}
	if status, body := get(); status != http.StatusServiceUnavailable {
		t.Errorf("scrape beyond the cap: HTTP %d, want 503:\n%s", status, body)
	}
	if status := <-first; status != http.StatusOK {
		t.Errorf("first scrape: HTTP %d, want 200", status)
	}
	// The handler gives its slot back just after the answer is sent, so
	// the next scrape may have to ask again; it must get in.
	for attempt := 0; ; attempt++ {
		status, body := get()
		if status == http.StatusOK {
			break
		}
		if status != http.StatusServiceUnavailable || attempt == 100 {
			t.Fatalf("scrape after the first ended: HTTP %d:\n%s", status, body)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
