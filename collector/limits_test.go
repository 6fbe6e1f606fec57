package collector

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/codearts-check-exporter/codearts_check_exporter/internal/simulator"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit/stdkit"
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

	// get returns its error instead of failing the test: the first scrape
	// runs in a goroutine of its own, where t.Fatal must not be called.
	get := func() (int, string, error) {
		req, err := http.NewRequest(http.MethodGet, capped.URL, nil)
		if err != nil {
			return 0, "", err
		}
		req.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", "2")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body), err
	}
	type answer struct {
		status int
		err    error
	}

	first := make(chan answer, 1)
	go func() {
		status, _, err := get()
		first <- answer{status, err}
	}()
	// The first scrape holds the only slot while its query hangs.
	stdkit.WaitFor(t, "the first scrape's query to reach the API", func() bool { return sim.InFlight() > 0 })
	if status, body, err := get(); err != nil || status != http.StatusServiceUnavailable {
		t.Errorf("scrape beyond the cap: HTTP %d (%v), want 503:\n%s", status, err, body)
	}
	if a := <-first; a.err != nil || a.status != http.StatusOK {
		t.Errorf("first scrape: HTTP %d (%v), want 200", a.status, a.err)
	}
	// The handler gives its slot back just after the answer is sent, so
	// the next scrape may have to ask again; it must get in.
	stdkit.Until(t, time.Now().Add(stdkit.Patience), "a scrape after the first ended", func() error {
		status, body, err := get()
		switch {
		case err != nil:
			t.Fatal(err)
		case status == http.StatusOK:
			return nil
		case status != http.StatusServiceUnavailable:
			t.Fatalf("scrape after the first ended: HTTP %d, want 200 or, while the slot is given back, 503:\n%s", status, body)
		}
		return fmt.Errorf("HTTP %d", status)
	})
}
