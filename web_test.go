package main

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/codearts-check-exporter/codearts_check_exporter/config"
)

// gatedReload is a reload that signals when it starts and runs until the
// test lets it finish, counting how many run at once.
type gatedReload struct {
	started  chan struct{}
	finish   chan error
	calls    atomic.Int32
	inFlight atomic.Int32
	maxAtOne atomic.Int32
}

func newGatedReload() *gatedReload {
	return &gatedReload{started: make(chan struct{}, 100), finish: make(chan error)}
}

func (g *gatedReload) reload() error {
	g.calls.Add(1)
	n := g.inFlight.Add(1)
	defer g.inFlight.Add(-1)
	for {
		m := g.maxAtOne.Load()
		if n <= m || g.maxAtOne.CompareAndSwap(m, n) {
			break
		}
	}
	g.started <- struct{}{}
	return <-g.finish
}

func post(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Post(url, "", nil)
	if err != nil {
		t.Error(err)
		return 0, ""
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// Concurrent POST /-/reload requests never reload side by side: while one
// reload runs, the others wait and then share a single next reload (which
// reads the file as it is after they were made), and each gets its answer.
func TestReloadsAreSerialized(t *testing.T) {
	const waiting = 20
	g := newGatedReload()
	r := &reloads{reload: g.reload}
	// Every request, the first and the last too, says when it waits.
	waits := make(chan struct{}, waiting+2)
	r.testHookWaiting = func() { waits <- struct{}{} }
	mux, err := newMux("/metrics", http.NotFoundHandler(), config.NewSafeConfig(prometheus.NewRegistry()), r,
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(mux)
	defer srv.Close()
	reloadURL := srv.URL + "/-/reload"

	first := make(chan int, 1)
	go func() {
		status, _ := post(t, reloadURL)
		first <- status
	}()
	<-g.started

	var wg sync.WaitGroup
	statuses := make([]int, waiting)
	bodies := make([]string, waiting)
	for i := range waiting {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i], bodies[i] = post(t, reloadURL)
		}()
	}
	for range waiting + 1 {
		<-waits // the first's and the others'
	}
	g.finish <- nil
	if status := <-first; status != http.StatusOK {
		t.Errorf("first reload: HTTP %d", status)
	}
	// The queued requests share one reload; it fails, and all say so.
	<-g.started
	g.finish <- errors.New("line 3: tasks[0].id: missing or empty")
	wg.Wait()
	for i := range waiting {
		if statuses[i] != http.StatusBadRequest || !strings.Contains(bodies[i], "tasks[0].id") {
			t.Errorf("queued request %d: HTTP %d %q, want 400 naming the error", i, statuses[i], bodies[i])
		}
	}
	if calls, most := g.calls.Load(), g.maxAtOne.Load(); calls != 2 || most != 1 {
		t.Errorf("%d reloads, at most %d at once; want 2, 1 at a time", calls, most)
	}

	// Idle again: the next request reloads by itself at once.
	done := make(chan int, 1)
	go func() {
		status, _ := post(t, reloadURL)
		done <- status
	}()
	<-g.started
	g.finish <- nil
	if status := <-done; status != http.StatusOK || g.calls.Load() != 3 {
		t.Errorf("reload when idle: HTTP %d, %d reloads in all", status, g.calls.Load())
	}
}
