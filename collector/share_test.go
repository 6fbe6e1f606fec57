package collector

import (
	"bufio"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/common/model"

	"github.com/codearts-check-exporter/codearts_check_exporter/config"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/simulator"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit/stdkit"
)

// gate holds progress calls while it is shut, so a test can keep a
// collection in flight for as long as it needs, without timing.
type gate struct {
	next http.Handler

	mu      sync.Mutex
	shut    chan struct{} // nil: open
	waiting int           // calls that have been held
}

func (g *gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var shut chan struct{}
	if strings.HasPrefix(r.URL.Path, "/v2/") {
		g.mu.Lock()
		shut = g.shut
		if shut != nil {
			g.waiting++
		}
		g.mu.Unlock()
	}
	if shut != nil {
		select {
		case <-shut:
		case <-r.Context().Done():
			return
		}
	}
	g.next.ServeHTTP(w, r)
}

// close holds progress calls from now on.
func (g *gate) close() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.shut == nil {
		g.shut = make(chan struct{})
	}
}

// open lets held and future progress calls through.
func (g *gate) open() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.shut != nil {
		close(g.shut)
		g.shut = nil
	}
}

func (g *gate) held() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.waiting
}

// newGatedEnv is newTestEnv with progress calls going through a gate.
func newGatedEnv(t *testing.T, sim *simulator.Server, ids []string, edit func(*config.Config)) (*testEnv, *gate) {
	t.Helper()
	g := &gate{next: sim}
	front := httptest.NewServer(g)
	t.Cleanup(front.Close)
	t.Cleanup(g.open)
	env := newTestEnv(t, sim, ids, func(c *config.Config) {
		c.Endpoint = front.URL
		if edit != nil {
			edit(c)
		}
	})
	return env, g
}

// fetch GETs /metrics and returns the task series and up, sorted, as text.
// Unlike testEnv.scrape it may run on any goroutine.
func fetch(url string) (string, error) {
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	var lines []string
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "codearts_check_task_") || strings.HasPrefix(line, "codearts_check_up ") {
			lines = append(lines, line)
		}
	}
	if err := sc.Err(); err != nil {
		return "", err
	}
	return strings.Join(lines, "\n"), nil
}

// Two Prometheus servers scrape at overlapping times: the second scrape
// joins the collection the first one started, the API sees one query per
// task, and both get the same answer.
func TestOverlappingScrapesShareOneCollection(t *testing.T) {
	verifyNoLeaks(t)
	const tasks = 50
	sim := simulator.New(simulator.Options{})
	var ids []string
	for i := range tasks {
		ids = append(ids, taskID(i))
		sim.SetTask(simulator.Task{ID: taskID(i), Status: simulator.IntPtr(0), Ratio: simulator.StrPtr(fmt.Sprintf("%d%%", i))})
	}
	env, g := newGatedEnv(t, sim, ids, func(c *config.Config) { c.Concurrency = 5 })
	g.close()

	var wg sync.WaitGroup
	bodies := make([]string, 2)
	errs := make([]error, 2)
	scrape := func(i int) {
		defer wg.Done()
		bodies[i], errs[i] = fetch(env.exporter.URL)
	}
	wg.Add(2)
	go scrape(0)
	stdkit.WaitFor(t, "the first scrape's queries to reach the API", func() bool { return g.held() > 0 })
	go scrape(1)
	stdkit.WaitFor(t, "the second scrape to join the collection in flight", func() bool {
		env.coll.share.mu.Lock()
		defer env.coll.share.mu.Unlock()
		return env.coll.share.inFlight != nil && env.coll.share.inFlight.joined == 1
	})
	g.open()
	wg.Wait()

	for i, err := range errs {
		if err != nil {
			t.Fatalf("scrape %d: %v", i, err)
		}
	}
	if got := sim.ProgressRequests(); got != tasks {
		t.Errorf("progress requests = %d for two overlapping scrapes of %d tasks, want %d", got, tasks, tasks)
	}
	if !strings.Contains(bodies[0], "codearts_check_up 1") || bodies[0] != bodies[1] {
		t.Errorf("the two scrapes served different results:\n%s\n---\n%s", bodies[0], bodies[1])
	}
}

// With min_interval, two scrapers hitting the exporter in any order see
// one collection per interval: the API gets one query per task per
// interval, and a new interval queries again.
func TestMinIntervalOneQueryPerTaskPerInterval(t *testing.T) {
	verifyNoLeaks(t)
	const (
		tasks       = 40
		minInterval = 30 * time.Second
	)
	sim := simulator.New(simulator.Options{})
	ids := addTasks(sim, tasks, simulator.Task{Status: simulator.IntPtr(2)})
	env := newTestEnv(t, sim, ids, func(c *config.Config) { c.MinInterval = model.Duration(minInterval) })
	clock := stdkit.NewClock(time.Unix(1_800_000_000, 0))
	env.coll.share.mu.Lock()
	env.coll.now = clock.Now
	env.coll.share.mu.Unlock()

	// Two scrapers, three scrapes each, concurrently: whether a scrape
	// overlaps the collection in flight or comes after it, it is served by
	// the interval's one collection.
	scrapeBoth := func() []string {
		var (
			wg     sync.WaitGroup
			mu     sync.Mutex
			bodies []string
		)
		for range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 3 {
					body, err := fetch(env.exporter.URL)
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					bodies = append(bodies, body)
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		return bodies
	}

	first := scrapeBoth()
	if got := sim.ProgressRequests(); got != tasks {
		t.Errorf("first interval: %d progress requests for 6 scrapes, want %d", got, tasks)
	}
	for _, b := range first[1:] {
		if b != first[0] {
			t.Fatalf("scrapes within one interval served different results:\n%s\n---\n%s", first[0], b)
		}
	}

	clock.Advance(minInterval - time.Second)
	scrapeBoth()
	if got := sim.ProgressRequests(); got != tasks {
		t.Errorf("still inside the interval: %d progress requests, want %d", got, tasks)
	}

	clock.Advance(time.Second)
	scrapeBoth()
	if got := sim.ProgressRequests(); got != 2*tasks {
		t.Errorf("second interval: %d progress requests in all, want %d", got, 2*tasks)
	}
}

// Without min_interval (the default), scrapes that do not overlap each
// query the API.
func TestNoMinIntervalQueriesEveryScrape(t *testing.T) {
	verifyNoLeaks(t)
	sim := simulator.New(simulator.Options{})
	ids := []string{taskID(1), taskID(2)}
	for _, id := range ids {
		sim.SetTask(simulator.Task{ID: id, Status: simulator.IntPtr(2)})
	}
	env := newTestEnv(t, sim, ids, nil)
	for range 3 {
		env.scrape(0)
	}
	if got := sim.ProgressRequests(); got != 6 {
		t.Errorf("progress requests = %d for 3 scrapes of 2 tasks, want 6", got)
	}
}

// A scrape whose own deadline ends before the shared collection's does not
// wait past it: it answers on time, with up 0 and no task series, while the
// scrape that started the collection gets its result.
func TestShorterDeadlineAnswersOnTime(t *testing.T) {
	verifyNoLeaks(t)
	sim := simulator.New(simulator.Options{})
	id := taskID(1)
	sim.SetTask(simulator.Task{ID: id, Status: simulator.IntPtr(3)})
	env, g := newGatedEnv(t, sim, []string{id}, nil) // config timeout 10 s
	g.close()
	var (
		wg   sync.WaitGroup
		long string
		err  error
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		long, err = fetch(env.exporter.URL)
	}()
	stdkit.WaitFor(t, "the long scrape's query to reach the API", func() bool { return g.held() > 0 })

	// 1.2 s scrape timeout: a 0.7 s deadline, long before the collection's.
	start := time.Now()
	res := env.scrape(1200 * time.Millisecond)
	// The deadline is the behaviour under test; the bound is generous.
	if elapsed := time.Since(start); elapsed > 3*time.Second {
		t.Errorf("short scrape took %v, want it to end at its own 0.7 s deadline", elapsed)
	}
	if got := res.mustValue("codearts_check_up"); got != 0 {
		t.Errorf("short scrape: up = %v, want 0", got)
	}
	if n := res.count("codearts_check_task_query_success"); n != 0 {
		t.Errorf("short scrape: %d task series, want none", n)
	}

	g.open()
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf(`codearts_check_task_status{task_id="%s"} 3`, id); !strings.Contains(long, want) {
		t.Errorf("long scrape lacks %s:\n%s", want, long)
	}
	if got := sim.ProgressRequests(); got != 1 {
		t.Errorf("progress requests = %d, want 1: the short scrape must not query on its own", got)
	}
}
