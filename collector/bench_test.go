package collector

// Scrape benchmarks: real scrapes of /metrics, over loopback, of an
// exporter querying N tasks from the simulator with latency L. BENCHMARKS.md
// has the results and the command that reproduces them.
//
// The simulator runs in a child process (this test binary, started again
// with benchSimulatorEnv set; see init below), so that the CPU time,
// allocations and memory measured here are the exporter's alone.

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/model"

	"github.com/codearts-check-exporter/codearts_check_exporter/config"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/api"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/simulator"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit/stdkit"
)

// benchSimulatorEnv, when set to "<tasks>/<latency>", turns this test
// binary into the benchmark's simulator process.
const benchSimulatorEnv = "CODEARTS_BENCH_SIMULATOR"

const benchConcurrency = 32

func init() {
	if spec := os.Getenv(benchSimulatorEnv); spec != "" {
		os.Exit(serveBenchSimulator(spec))
	}
}

// benchTaskID returns the i-th task ID: 32 hex characters, like real ones.
func benchTaskID(i int) string { return fmt.Sprintf("%016x%016x", uint64(i)*0x9e3779b97f4a7c15, i) }

// benchStats is what the simulator process reports at /bench/stats.
type benchStats struct {
	Conns    int64 // TCP connections accepted
	Progress int   // progress requests served
	Reports  int   // report requests served
}

// serveBenchSimulator serves a simulator with the tasks and latency of spec
// on a loopback port, prints "ADDR <host:port>", and serves until its
// standard input closes.
func serveBenchSimulator(spec string) int {
	nStr, latStr, _ := strings.Cut(spec, "/")
	n, err1 := strconv.Atoi(nStr)
	latency, err2 := time.ParseDuration(latStr)
	if err1 != nil || err2 != nil {
		fmt.Fprintln(os.Stderr, "bad", benchSimulatorEnv, spec)
		return 2
	}
	sim := simulator.New(simulator.Options{})
	for i := range n {
		sim.SetTask(simulator.Task{ID: benchTaskID(i), Status: simulator.IntPtr(i % 4), Ratio: simulator.StrPtr(strconv.Itoa(i%101) + "%"), Info: simulator.StrPtr("running")})
	}
	sim.SetLatency(latency)
	var conns atomic.Int64
	mux := http.NewServeMux()
	mux.Handle("/", sim)
	mux.HandleFunc("/bench/stats", func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(benchStats{Conns: conns.Load(), Progress: sim.ProgressRequests(), Reports: sim.ReportRequests("")})
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	var protocols http.Protocols
	protocols.SetHTTP1(true)
	protocols.SetUnencryptedHTTP2(true)
	server := &http.Server{
		Protocols:         &protocols,
		Handler:           mux,
		ReadHeaderTimeout: time.Minute,
		ConnState: func(_ net.Conn, state http.ConnState) {
			if state == http.StateNew {
				conns.Add(1)
			}
		},
	}
	go func() { _ = server.Serve(ln) }()
	fmt.Printf("ADDR %s\n", ln.Addr())
	_, _ = io.Copy(io.Discard, os.Stdin)
	sim.Close()
	server.Close()
	return 0
}

// benchSimulator is the simulator process seen from the benchmark.
type benchSimulator struct {
	url   string
	stats *http.Client
}

func startBenchSimulator(b *testing.B, tasks int, latency time.Duration) *benchSimulator {
	b.Helper()
	// The simulator uses every CPU whatever GOMAXPROCS the exporter side
	// is measured with (GOMAXPROCS=1 go test -bench ...).
	_, stdout := startBenchProcess(b, append(os.Environ(), fmt.Sprintf("%s=%d/%s", benchSimulatorEnv, tasks, latency),
		fmt.Sprintf("GOMAXPROCS=%d", runtime.NumCPU())))
	line, err := stdout.ReadString('\n')
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "ADDR ")
	if err != nil || !ok {
		b.Fatalf("simulator process: %q, %v", line, err)
	}
	// Its own client and connection: the stats requests must not disturb
	// the exporter's connection pool, and after the first they open no
	// new connection either.
	return &benchSimulator{url: "http://" + addr, stats: &http.Client{Transport: &http.Transport{}}}
}

// startBenchProcess starts this test binary again with env, as one of the
// benchmark's other processes (the simulator, the bare client), and ends
// it, by closing its standard input, when b is done.
func startBenchProcess(b *testing.B, env []string) (io.Writer, *bufio.Reader) {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$", "-test.bench=^$")
	cmd.Env = env
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		stdin.Close()
		_ = cmd.Wait()
	})
	return stdin, bufio.NewReader(stdout)
}

func (s *benchSimulator) read(b *testing.B) benchStats {
	b.Helper()
	resp, err := s.stats.Get(s.url + "/bench/stats")
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	var st benchStats
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		b.Fatal(err)
	}
	return st
}

// BenchmarkScrape: one op is one scrape of every task, through /metrics.
// Custom units: bound-s is ⌈N/concurrency⌉×L, wall/bound their ratio,
// cpu-µs/query and allocs/query the exporter's CPU time and allocations
// per task query (the /metrics answer included), conns/scrape the TCP
// connections opened per scrape once warm, peak-heap-MiB and peak-RSS-MiB
// the highest heap and resident set seen during the timed scrapes.
//
// Reports are on (the default): the warm-up scrapes read every task's
// report once, and the timed scrapes, in steady state, read none (checked).
func BenchmarkScrape(b *testing.B) {
	for _, tasks := range []int{10, 100, 1000, 10000} {
		for _, latency := range []time.Duration{0, 50 * time.Millisecond} {
			b.Run(fmt.Sprintf("tasks=%d/latency=%v", tasks, latency), func(b *testing.B) {
				benchScrape(b, tasks, latency, true)
			})
		}
	}
}

// BenchmarkScrapeQualityOff is BenchmarkScrape's 10,000 tasks at latency
// 0 with quality.enabled false, to compare: what serving the reports of
// 10,000 tasks costs a scrape.
func BenchmarkScrapeQualityOff(b *testing.B) {
	b.Run("tasks=10000/latency=0s", func(b *testing.B) { benchScrape(b, 10000, 0, false) })
}

func benchScrape(b *testing.B, tasks int, latency time.Duration, quality bool) {
	sim := startBenchSimulator(b, tasks, latency)
	scrape := startBenchExporter(b, sim, tasks, quality)

	// Warm up: the IAM token, the connection pool, the first allocations.
	scrape(true)
	scrape(false)

	runtime.GC()
	debug.FreeOSMemory()
	resetPeakRSS(b)
	peakHeap := sampleHeap()
	before := sim.read(b)
	var memBefore runtime.MemStats
	runtime.ReadMemStats(&memBefore)
	cpuBefore := cpuTime()

	for b.Loop() {
		scrape(false)
	}

	cpu := cpuTime() - cpuBefore
	var memAfter runtime.MemStats
	runtime.ReadMemStats(&memAfter)
	after := sim.read(b)
	heap := peakHeap()
	rss := stdkit.PeakRSS(b, os.Getpid())

	scrapes := float64(b.N)
	queries := float64(after.Progress - before.Progress)
	if want := scrapes * float64(tasks); queries != want {
		b.Fatalf("%v progress queries in %v scrapes of %d tasks", queries, scrapes, tasks)
	}
	if n := after.Reports - before.Reports; n != 0 {
		b.Fatalf("%d report calls in %v steady scrapes: reports are read when a check finishes", n, scrapes)
	}
	wall := b.Elapsed().Seconds() / scrapes
	bound := math.Ceil(float64(tasks)/benchConcurrency) * latency.Seconds()
	b.ReportMetric(bound, "bound-s")
	if bound > 0 {
		b.ReportMetric(wall/bound, "wall/bound")
	}
	b.ReportMetric(float64(cpu.Microseconds())/queries, "cpu-µs/query")
	b.ReportMetric(float64(memAfter.Mallocs-memBefore.Mallocs)/queries, "allocs/query")
	// The stats client's connection was accepted before the first read
	// was served, so it is not in the difference.
	b.ReportMetric(float64(after.Conns-before.Conns)/scrapes, "conns/scrape")
	b.ReportMetric(float64(heap)/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(rss)/(1<<20), "peak-RSS-MiB")
}

// startBenchExporter starts, in this process, an exporter of tasks over
// sim, and returns a function that scrapes it once as Prometheus does;
// with check, it also inflates the answer and fails unless every task was
// answered.
func startBenchExporter(b *testing.B, sim *benchSimulator, tasks int, quality bool) func(check bool) {
	b.Helper()
	cfg := &config.Config{
		Endpoint:    sim.url,
		Auth:        config.Auth{IAM: testkit.IAM(sim.url)},
		Concurrency: benchConcurrency,
		Timeout:     model.Duration(5 * time.Minute),
		Quality:     config.Quality{Enabled: &quality},
	}
	for i := range tasks {
		cfg.Tasks = append(cfg.Tasks, config.Task{ID: benchTaskID(i), Name: "task-" + strconv.Itoa(i)})
	}
	if err := cfg.Validate(); err != nil {
		b.Fatal(err)
	}
	static := prometheus.NewRegistry()
	apiMetrics := api.NewMetrics()
	static.MustRegister(apiMetrics)
	logger := slog.New(slog.DiscardHandler)
	coll := newStaticCollector(b, cfg, apiMetrics, logger)
	exporter := httptest.NewServer(Handler(coll, static, logger, HandlerOpts{}))
	b.Cleanup(func() {
		exporter.Close()
		coll.Close()
	})
	// The client asks for gzip like Prometheus does but does not inflate
	// the answers it only drops: inflating is Prometheus' CPU time, not
	// the exporter's, and would be counted in cpu-µs/query.
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	return func(check bool) {
		req, _ := http.NewRequest(http.MethodGet, exporter.URL+"/metrics", nil)
		req.Header.Set("Accept", prometheusAccept)
		req.Header.Set("Accept-Encoding", "gzip")
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Encoding") != "gzip" {
			b.Fatalf("HTTP %d, Content-Encoding %q", resp.StatusCode, resp.Header.Get("Content-Encoding"))
		}
		if !check {
			_, _ = io.Copy(io.Discard, resp.Body)
			return
		}
		gz, err := gzip.NewReader(resp.Body)
		if err != nil {
			b.Fatal(err)
		}
		body, err := io.ReadAll(gz)
		if err != nil {
			b.Fatal(err)
		}
		answered := 0
		for _, line := range strings.Split(string(body), "\n") {
			// OpenMetrics writes 1.0, the text format 1.
			if strings.HasPrefix(line, "codearts_check_task_query_success{") && (strings.HasSuffix(line, " 1") || strings.HasSuffix(line, " 1.0")) {
				answered++
			}
		}
		if answered != tasks {
			b.Fatalf("%d of %d tasks answered", answered, tasks)
		}
	}
}

// prometheusAccept is the Accept header of Prometheus 3 with its default
// scrape_protocols: OpenMetrics 1.0.0 is what it is answered in.
const prometheusAccept = "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6," +
	"application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4," +
	"text/plain;version=0.0.4;q=0.3,*/*;q=0.2"

// cpuTime is the user plus system CPU time of this process.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// resetPeakRSS makes VmHWM start again from the current RSS (Linux 4.0+).
func resetPeakRSS(b *testing.B) {
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		b.Logf("cannot reset the peak RSS, peak-RSS-MiB covers the whole process: %v", err)
	}
}

// sampleHeap samples the bytes of live and not yet swept heap objects
// every 10 ms until the returned function is called; that function
// returns the highest sample.
func sampleHeap() func() uint64 {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var (
		peak uint64
		wg   sync.WaitGroup
	)
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(sample)
			peak = max(peak, sample[0].Value.Uint64())
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 {
		close(stop)
		wg.Wait()
		return peak
	}
}

// BenchmarkLoopbackFloor measures what a request costs the client on this
// machine with no exporter around it: 32 workers query 1,000 tasks from
// the same simulator process with a fixed token, each answer read and
// dropped. Three clients:
//
//   - net/http: http.Transport with keep-alive, as the exporter uses it. No
//     exporter built on net/http can spend less CPU per task query.
//   - raw: one socket per worker, the request written and the answer read
//     synchronously (req.Write, http.ReadResponse). No goroutine hand-offs:
//     the floor of any HTTP/1.1 client, syscalls mostly.
//   - new-conn: net/http without keep-alive, a new connection per request:
//     what the "generic JSON-probing alternative" pays.
func BenchmarkLoopbackFloor(b *testing.B) {
	const tasks = 1000
	sim := startBenchSimulator(b, tasks, 0)
	token, err := benchToken(sim.url)
	if err != nil {
		b.Fatal(err)
	}
	newRequest := func(id string) *http.Request {
		req, _ := http.NewRequest(http.MethodGet, sim.url+"/v2/tasks/"+id+"/progress", nil)
		req.Header.Set("X-Auth-Token", token)
		return req
	}
	// viaClient returns a worker that sends each request with client.
	viaClient := func(client *http.Client) func(int) func(string) error {
		return func(int) func(string) error {
			return func(id string) error {
				resp, err := client.Do(newRequest(id))
				if err != nil {
					return err
				}
				_, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				return err
			}
		}
	}
	// raw returns a worker with its own connection.
	raw := func(int) func(string) error {
		conn, err := net.Dial("tcp", strings.TrimPrefix(sim.url, "http://"))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { conn.Close() })
		r := bufio.NewReader(conn)
		return func(id string) error {
			req := newRequest(id)
			if err := req.Write(conn); err != nil {
				return err
			}
			resp, err := http.ReadResponse(r, req)
			if err != nil {
				return err
			}
			_, err = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			return err
		}
	}
	for _, c := range []struct {
		name   string
		worker func(int) func(string) error
	}{
		{"net/http", viaClient(&http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: benchConcurrency}})},
		{"raw", raw},
		{"h2c", viaClient(&http.Client{Transport: func() *http.Transport {
			var p http.Protocols
			p.SetUnencryptedHTTP2(true)
			return &http.Transport{Protocols: &p}
		}()})},
		{"new-conn", viaClient(&http.Client{Transport: &http.Transport{DisableKeepAlives: true}})},
	} {
		b.Run("client="+c.name, func(b *testing.B) {
			workers := make([]func(string) error, benchConcurrency)
			for w := range workers {
				workers[w] = c.worker(w)
			}
			round := func() {
				next := make(chan string)
				var wg sync.WaitGroup
				for _, get := range workers {
					wg.Go(func() {
						for id := range next {
							if err := get(id); err != nil {
								b.Error(err)
							}
						}
					})
				}
				for i := range tasks {
					next <- benchTaskID(i)
				}
				close(next)
				wg.Wait()
			}
			round() // warm the connections
			cpuBefore := cpuTime()
			for b.Loop() {
				round()
			}
			b.ReportMetric(float64((cpuTime()-cpuBefore).Microseconds())/float64(b.N*tasks), "cpu-µs/query")
		})
	}
}

// benchToken logs in to the simulator at url as the demo user.
func benchToken(url string) (string, error) {
	body := fmt.Sprintf(`{"auth":{"identity":{"methods":["password"],"password":{"user":{"domain":{"name":%q},"name":%q,"password":%q}}},"scope":{"project":{"name":%q}}}}`,
		simulator.DefaultDomain, simulator.DefaultUser, simulator.DefaultPassword, simulator.DefaultProject)
	resp, err := http.Post(url+"/v3/auth/tokens", "application/json", strings.NewReader(body))
	if err != nil {
		return "", err
	}
	resp.Body.Close()
	token := resp.Header.Get("X-Subject-Token")
	if token == "" {
		return "", fmt.Errorf("no token: HTTP %d", resp.StatusCode)
	}
	return token, nil
}
