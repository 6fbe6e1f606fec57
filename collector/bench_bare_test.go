package collector

// The exporter's CPU per task query as a ratio to a bare client's: a
// keep-alive net/http client making the same progress queries to the same
// simulator process, in the same run. A ratio holds on any machine, where
// microseconds depend on the CPU and on what else runs on it.
//
// Three processes, each measured alone: the simulator (bench_test.go), the
// exporter (this benchmark's process, scrapes included) and the bare client
// (this test binary started again with benchBareEnv set). The bare client
// runs in a process of its own so that neither side's garbage collection is
// counted to the other, and its rounds alternate with the exporter's
// scrapes, so that both see the same load from whatever else runs on the
// machine.

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit/stdkit"
)

// benchBareEnv, when set to "<simulator URL> <tasks>", turns this test
// binary into the bare client: it logs in, makes one warm-up round, says
// "READY", then makes one round per line read from its standard input and
// answers each with "CPU <its user+system CPU time in ns>".
const benchBareEnv = "CODEARTS_BENCH_BARE"

func init() {
	if spec := os.Getenv(benchBareEnv); spec != "" {
		os.Exit(runBareClient(spec))
	}
}

// runBareClient is the bare client process.
func runBareClient(spec string) int {
	url, nStr, _ := strings.Cut(spec, " ")
	tasks, err := strconv.Atoi(nStr)
	if err != nil {
		fmt.Println("ERR bad", benchBareEnv, spec)
		return 2
	}
	token, err := benchToken(url)
	if err != nil {
		fmt.Println("ERR", err)
		return 1
	}
	round := bareRound(url, token, tasks)
	if err := round(); err != nil {
		fmt.Println("ERR", err)
		return 1
	}
	fmt.Println("READY")
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		if err := round(); err != nil {
			fmt.Println("ERR", err)
			return 1
		}
		fmt.Println("CPU", cpuTime().Nanoseconds())
	}
	return 0
}

// bareRound returns a function that queries the progress of every task
// once, benchConcurrency at a time, over keep-alive connections, each
// answer read and dropped: what no exporter built on net/http can do with
// less CPU. Workers take the next task from a shared index, as the
// exporter's queue does.
func bareRound(url, token string, tasks int) func() error {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: benchConcurrency}}
	get := func(id string) error {
		req, err := http.NewRequest(http.MethodGet, url+"/v2/tasks/"+id+"/progress", nil)
		if err != nil {
			return err
		}
		req.Header.Set("X-Auth-Token", token)
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if _, err := io.Copy(io.Discard, resp.Body); err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("task %s: HTTP %d", id, resp.StatusCode)
		}
		return nil
	}
	ids := make([]string, tasks)
	for i := range ids {
		ids[i] = benchTaskID(i)
	}
	return func() error {
		var (
			next     atomic.Int64
			wg       sync.WaitGroup
			mu       sync.Mutex
			firstErr error
		)
		for range benchConcurrency {
			wg.Go(func() {
				for i := int(next.Add(1) - 1); i < tasks; i = int(next.Add(1) - 1) {
					if err := get(ids[i]); err != nil {
						mu.Lock()
						firstErr = cmp.Or(firstErr, err)
						mu.Unlock()
						return
					}
				}
			})
		}
		wg.Wait()
		return firstErr
	}
}

// bareClient is the bare client process seen from the benchmark.
type bareClient struct {
	in   io.Writer
	out  *bufio.Reader
	last int64 // its CPU ns at the last round
}

// startBareClient starts the bare client process over sim, with as many
// CPUs as this process may use.
func startBareClient(b *testing.B, sim *benchSimulator, tasks int) *bareClient {
	b.Helper()
	env := []string{}
	for _, kv := range os.Environ() {
		// Go's default GC: the bare client is a plain Go program.
		if !strings.HasPrefix(kv, "GOGC=") && !strings.HasPrefix(kv, "GOMAXPROCS=") {
			env = append(env, kv)
		}
	}
	stdin, stdout := startBenchProcess(b, append(env, fmt.Sprintf("%s=%s %d", benchBareEnv, sim.url, tasks),
		fmt.Sprintf("GOMAXPROCS=%d", runtime.GOMAXPROCS(0))))
	c := &bareClient{in: stdin, out: stdout}
	if line := c.line(b); line != "READY" {
		b.Fatalf("bare client: %q", line)
	}
	c.last = c.round(b) // the CPU of its start-up and warm-up is not counted
	return c
}

func (c *bareClient) line(b *testing.B) string {
	b.Helper()
	line, err := c.out.ReadString('\n')
	if err != nil {
		b.Fatalf("bare client: %q, %v", line, err)
	}
	return strings.TrimSpace(line)
}

// round makes the bare client query every task once and returns its CPU
// time in ns since it started.
func (c *bareClient) round(b *testing.B) int64 {
	b.Helper()
	if _, err := io.WriteString(c.in, "round\n"); err != nil {
		b.Fatal(err)
	}
	line := c.line(b)
	ns, err := strconv.ParseInt(strings.TrimPrefix(line, "CPU "), 10, 64)
	if err != nil || !strings.HasPrefix(line, "CPU ") {
		b.Fatalf("bare client: %q", line)
	}
	return ns
}

// BenchmarkScrapeVsBare: one op is one scrape of every task through
// /metrics (gzip, Prometheus' Accept header), then one round of the bare
// client over the same tasks. Latency 0, concurrency 32. Units:
// cpu-µs/query is the exporter process' CPU per task query, /metrics
// answer included; bare-cpu-µs/query the bare client's; cpu-ratio the
// first over the second, the figure to compare between builds and
// machines; peak-RSS-MiB the exporter process' VmHWM over the timed ops.
func BenchmarkScrapeVsBare(b *testing.B) {
	for _, tasks := range []int{1000, 10000} {
		for _, quality := range []bool{false, true} {
			b.Run(fmt.Sprintf("tasks=%d/quality=%v", tasks, quality), func(b *testing.B) {
				sim := startBenchSimulator(b, tasks, 0)
				scrape := startBenchExporter(b, sim, tasks, quality)
				scrape(true) // the IAM token, the connection pool, every report read once
				scrape(false)
				bare := startBareClient(b, sim, tasks)

				runtime.GC()
				resetPeakRSS(b)
				before := sim.read(b)
				var exporterCPU, bareCPU time.Duration
				for b.Loop() {
					start := cpuTime()
					scrape(false)
					exporterCPU += cpuTime() - start
					ns := bare.round(b)
					bareCPU += time.Duration(ns - bare.last)
					bare.last = ns
				}
				after := sim.read(b)
				rss := stdkit.PeakRSS(b, os.Getpid())

				perSide := float64(b.N) * float64(tasks)
				if got := float64(after.Progress - before.Progress); got != 2*perSide {
					b.Fatalf("%v progress queries in %d ops of %d tasks, want %v: the two sides did not query the same", got, b.N, tasks, 2*perSide)
				}
				if n := after.Reports - before.Reports; n != 0 {
					b.Fatalf("%d report calls in steady scrapes: reports are read when a check finishes", n)
				}
				b.ReportMetric(float64(exporterCPU.Microseconds())/perSide, "cpu-µs/query")
				b.ReportMetric(float64(bareCPU.Microseconds())/perSide, "bare-cpu-µs/query")
				b.ReportMetric(float64(exporterCPU)/float64(bareCPU), "cpu-ratio")
				b.ReportMetric(float64(rss)/(1<<20), "peak-RSS-MiB")
			})
		}
	}
}

// BenchmarkScrapeWallVsBare: the wall time of a scrape at latency 50 ms
// against the bare client's round over the same tasks, alternating, in
// the same run. The bound ⌈N/C⌉·L assumes calls that take exactly L and
// nothing else; on a loaded machine the simulator's timers and the
// loopback add to every call of both sides, so the exporter's own share
// is wall-ratio, its wall over the bare client's. Units: wall/bound and
// bare-wall/bound, each side's mean wall over the bound; wall-ratio the
// first over the second.
func BenchmarkScrapeWallVsBare(b *testing.B) {
	const tasks, latency = 1000, 50 * time.Millisecond
	b.Run(fmt.Sprintf("tasks=%d/latency=%v", tasks, latency), func(b *testing.B) {
		sim := startBenchSimulator(b, tasks, latency)
		scrape := startBenchExporter(b, sim, tasks, true)
		scrape(true)
		scrape(false)
		bare := startBareClient(b, sim, tasks)
		var exporterWall, bareWall time.Duration
		for b.Loop() {
			start := time.Now()
			scrape(false)
			exporterWall += time.Since(start)
			start = time.Now()
			bare.last = bare.round(b)
			bareWall += time.Since(start)
		}
		bound := time.Duration(math.Ceil(float64(tasks)/benchConcurrency)) * latency
		n := time.Duration(b.N)
		b.ReportMetric(float64(exporterWall/n)/float64(bound), "wall/bound")
		b.ReportMetric(float64(bareWall/n)/float64(bound), "bare-wall/bound")
		b.ReportMetric(float64(exporterWall)/float64(bareWall), "wall-ratio")
	})
}
