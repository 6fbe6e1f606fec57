package simulator

import (
	"encoding/json"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/simulator/fakecloud"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit/stdkit"
)

var demoStart = time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)

func TestDemoIDsAndNames(t *testing.T) {
	ids := DemoTaskIDs()
	if len(ids) < 6 || len(ids) > 9 {
		t.Fatalf("%d demo tasks, want 6-9", len(ids))
	}
	hex32 := regexp.MustCompile(`^[0-9a-f]{32}$`)
	names := DemoTaskNames()
	seen := map[string]bool{}
	for _, id := range ids {
		if !hex32.MatchString(id) || seen[id] {
			t.Fatalf("bad or duplicate id %q", id)
		}
		seen[id] = true
		if names[id] == "" {
			t.Fatalf("no name for %s", id)
		}
	}
	if len(names) != len(ids) {
		t.Fatalf("%d names for %d ids", len(names), len(ids))
	}
	ids[0] = "mutated"
	if !reflect.DeepEqual(DemoTaskIDs()[1:], ids[1:]) || DemoTaskIDs()[0] == "mutated" {
		t.Fatal("DemoTaskIDs must be stable and return a copy")
	}
	byName := map[string]bool{}
	for _, n := range names {
		byName[n] = true
	}
	for _, n := range []string{"backend-api", "web-frontend", "payment-service"} {
		if !byName[n] {
			t.Errorf("missing demo task %q", n)
		}
	}
}

// demoSnapshot renders every demo task at the clock's current time.
func demoSnapshot(t *testing.T, s *Server) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, id := range DemoTaskIDs() {
		if id == DemoDeletedTaskID {
			continue
		}
		task, ok := s.Task(id)
		if !ok {
			t.Fatalf("demo task %s missing", id)
		}
		b, err := json.Marshal(fakecloud.RenderProgress(task))
		if err != nil {
			t.Fatal(err)
		}
		out[DemoTaskNames()[id]] = string(b)
	}
	return out
}

func statusOf(t Task) string {
	if t.Status == nil {
		return "null"
	}
	return strconv.Itoa(*t.Status)
}

func TestDemoCycle(t *testing.T) {
	clock := stdkit.NewClock(demoStart)
	sim := NewDemo(clock.Now)
	defer sim.Close()
	twinClock := stdkit.NewClock(demoStart)
	twin := NewDemo(twinClock.Now)
	defer twin.Close()
	byName := map[string]string{}
	for id, n := range DemoTaskNames() {
		byName[n] = id
	}

	ratios := []string{}
	mobileOutcomes := map[string]bool{}
	// Two full cycles in half-second steps (and the first minute among them).
	for step := 0; step <= int(2*demoPeriod/(500*time.Millisecond)); step++ {
		at := time.Duration(step) * 500 * time.Millisecond
		clock.Set(demoStart.Add(at))
		snap := demoSnapshot(t, sim)

		counts := map[string]int{}
		for _, id := range DemoTaskIDs() {
			if id == DemoDeletedTaskID {
				continue
			}
			task, _ := sim.Task(id)
			counts[statusOf(task)]++
		}
		if counts["1"] == 0 || counts["2"] == 0 {
			t.Fatalf("at +%v: want at least one failed and one succeeded task, got %v", at, counts)
		}
		if counts["null"] != 1 || counts["3"] != 1 {
			t.Fatalf("at +%v: want one never-checked and one stopped task, got %v", at, counts)
		}

		be, _ := sim.Task(byName["backend-api"])
		if *be.Status == 0 && (len(ratios) == 0 || ratios[len(ratios)-1] != *be.Ratio) && at < demoPeriod {
			ratios = append(ratios, *be.Ratio)
		}
		mob, _ := sim.Task(byName["mobile-app"])
		mobileOutcomes[statusOf(mob)] = true

		// Deterministic: another demo with the same clock agrees.
		twinClock.Set(demoStart.Add(at))
		if other := demoSnapshot(t, twin); !reflect.DeepEqual(snap, other) {
			t.Fatalf("at +%v: two demos disagree:\n%v\n%v", at, snap, other)
		}
	}

	// The ratio climbs from 0% to 100% and shows decimals.
	if ratios[0] != "0%" || ratios[len(ratios)-1] != "100%" || !slices.Contains(ratios, "33.3%") {
		t.Fatalf("backend-api ratios = %v", ratios)
	}
	prev := -1.0
	for _, r := range ratios {
		v, err := strconv.ParseFloat(strings.TrimSuffix(r, "%"), 64)
		if err != nil || v <= prev {
			t.Fatalf("ratios not strictly increasing numbers: %v", ratios)
		}
		prev = v
	}
	if !mobileOutcomes["0"] || !mobileOutcomes["1"] || !mobileOutcomes["2"] {
		t.Fatalf("mobile-app should check, fail and succeed over two cycles: %v", mobileOutcomes)
	}

	// Exact states at the start, for people reading the doc comment.
	clock.Set(demoStart)
	snap := demoSnapshot(t, sim)
	for name, want := range map[string]string{
		"backend-api":          `{"task_status":0,"progress":{"ratio":"0%","info":"running"}}`,
		"web-frontend":         `{"task_status":2,"progress":{"ratio":"100%","info":"success"}}`,
		"notification-service": `{"task_status":1,"progress":{"ratio":null,"info":null}}`,
		"data-pipeline":        `{"task_status":null,"progress":{"ratio":null,"info":null}}`,
		"legacy-monolith":      `{"task_status":3,"progress":{"ratio":null,"info":null}}`,
	} {
		if snap[name] != want {
			t.Errorf("%s at start = %s, want %s", name, snap[name], want)
		}
	}
	// A clock that goes backwards still lands in the cycle.
	clock.Set(demoStart.Add(-7 * time.Minute))
	demoSnapshot(t, sim)
}

func TestDemoOverHTTP(t *testing.T) {
	clock := stdkit.NewClock(demoStart)
	e := serve(t, NewDemo(clock.Now))
	tok := e.token() // default credentials
	byName := map[string]string{}
	for id, n := range DemoTaskNames() {
		byName[n] = id
	}
	be := byName["backend-api"]

	clock.Advance(20 * time.Second)
	r := e.progress(be, tok)
	if r.status != http.StatusOK || string(r.body) != `{"task_status":0,"progress":{"ratio":"33.3%","info":"running"}}` {
		t.Fatalf("backend-api at +20s: %d %s", r.status, r.body)
	}
	clock.Advance(60 * time.Second)
	r = e.progress(be, tok)
	if string(r.body) != `{"task_status":2,"progress":{"ratio":"100%","info":"success"}}` {
		t.Fatalf("backend-api at +80s: %s", r.body)
	}
	for _, id := range DemoTaskIDs() {
		if id == DemoDeletedTaskID {
			continue
		}
		if r := e.progress(id, tok); r.status != http.StatusOK || !json.Valid(r.body) || strings.Contains(string(r.body), "error_code") {
			t.Fatalf("%s: %d %s", DemoTaskNames()[id], r.status, r.body)
		}
	}

	// SetTask on a demo task freezes it; faults work as on any server.
	e.sim.SetTask(Task{ID: be, Name: "backend-api", Status: IntPtr(3)})
	clock.Advance(time.Hour)
	if r := e.progress(be, tok); string(r.body) != `{"task_status":3,"progress":{"ratio":null,"info":null}}` {
		t.Fatalf("frozen demo task: %s", r.body)
	}
	e.sim.SetFault(be, Fault{Kind: FaultRetryLater, Times: 1})
	wantErr(t, e.progress(be, tok), http.StatusOK, "CC.00050012", false)
	e.sim.RemoveTask(byName["web-frontend"])
	wantErr(t, e.progress(byName["web-frontend"], tok), http.StatusOK, "CC.00050014", false)
}

// The demo's project is listed with every demo task, named and with its
// branch, so that --demo can discover it.
func TestDemoProjectIsListed(t *testing.T) {
	e := serve(t, NewDemo(stdkit.NewClock(demoStart).Now))
	b := decodeList(t, e.list(e.token(), DemoProjectID, "?offset=0&limit=100"))
	if b.Total != len(DemoTaskIDs())-1 {
		t.Fatalf("total %d, want the %d demo tasks but the deleted one: %+v", b.Total, len(DemoTaskIDs())-1, b)
	}
	names := DemoTaskNames()
	for _, task := range b.Tasks {
		if task.TaskID == DemoDeletedTaskID {
			t.Errorf("the deleted task is listed: %+v", task)
		}
		if names[task.TaskID] == "" || task.TaskName != names[task.TaskID] || task.GitBranch == "" {
			t.Errorf("listed %+v, want a demo task with its name and branch", task)
		}
	}
}

// search-service fails every 4th progress request with CC.00050012 in an
// HTTP 200 body, and only that task does: the request after a failure (the
// exporter's retry) succeeds.
func TestDemoFlakyTask(t *testing.T) {
	e := serve(t, NewDemo(stdkit.NewClock(demoStart).Now))
	tok := e.token()
	byName := map[string]string{}
	for id, n := range DemoTaskNames() {
		byName[n] = id
	}
	flaky := byName["search-service"]
	for n := 1; n <= 12; n++ {
		r := e.progress(flaky, tok)
		if n%4 == 0 {
			wantErr(t, r, http.StatusOK, "CC.00050012", false)
			continue
		}
		if r.status != http.StatusOK || strings.Contains(string(r.body), "error_code") {
			t.Fatalf("request %d: %d %s, want a valid answer", n, r.status, r.body)
		}
	}
	for _, id := range DemoTaskIDs() {
		if id == flaky || id == DemoDeletedTaskID {
			continue
		}
		for n := 1; n <= 4; n++ {
			if r := e.progress(id, tok); strings.Contains(string(r.body), "error_code") {
				t.Fatalf("%s request %d: %s; only search-service is flaky", DemoTaskNames()[id], n, r.body)
			}
		}
	}
}

// retired-batch was deleted: every progress and report call for it
// answers CC.00050014 in an HTTP 200 body, so the demo always has a last
// error to show.
func TestDemoDeletedTask(t *testing.T) {
	clock := stdkit.NewClock(demoStart)
	e := serve(t, NewDemo(clock.Now))
	tok := e.token()
	if DemoTaskNames()[DemoDeletedTaskID] != "retired-batch" {
		t.Fatalf("deleted task named %q", DemoTaskNames()[DemoDeletedTaskID])
	}
	for range 3 {
		wantErr(t, e.progress(DemoDeletedTaskID, tok), http.StatusOK, "CC.00050014", false)
		wantErr(t, e.reportGet(DemoDeletedTaskID, "defects-statistic", "", tok), http.StatusOK, "CC.00050014", false)
		wantErr(t, e.reportGet(DemoDeletedTaskID, "defects-summary", "", tok), http.StatusOK, "CC.00050014", false)
		clock.Advance(demoPeriod / 3)
	}
}

// legacy-monolith's report is fixed: its last check ended 30 days before
// the demo started and failed the quality gate, whatever the clock says,
// so the demo's quality alerts have data at every moment.
func TestDemoStaleReport(t *testing.T) {
	clock := stdkit.NewClock(demoStart)
	sim := NewDemo(clock.Now)
	defer sim.Close()
	var id string
	for i, n := range DemoTaskNames() {
		if n == "legacy-monolith" {
			id = i
		}
	}
	for _, elapsed := range []time.Duration{0, 7 * time.Minute, 25 * time.Hour} {
		clock.Set(demoStart.Add(elapsed))
		r, ok := sim.Report(id)
		if !ok || r.IsAccess != "0" || r.Critical != 4 || !r.CheckEnd.Equal(demoStart.Add(-30*24*time.Hour)) {
			t.Errorf("at +%v: report %+v (%v), want the failed gate of a check that ended 30 days before the start", elapsed, r, ok)
		}
	}
}
