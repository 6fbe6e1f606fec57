package simulator

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// recordsRaw asks CheckRecord for taskID of projectID over HTTP.
func (e *env) recordsRaw(token, projectID, taskID, query string) response {
	e.t.Helper()
	req := e.newRequest(e.t.Context(), http.MethodGet,
		"/v2/"+url.PathEscape(projectID)+"/tasks/"+url.PathEscape(taskID)+"/checkrecord"+query, "")
	req.Header.Set("X-Auth-Token", token)
	return e.do(req)
}

// issueCounts is a record's issue_counts, as reference §7 spells them.
type issueCounts struct {
	Critical int `json:"critical"`
	Serious  int `json:"serious"`
	Normal   int `json:"normal"`
	Prompt   int `json:"prompt"`
}

// recordsBody is a CheckRecord answer as the client reads it: the end is
// a pointer, so that "left out" and "" differ.
type recordsBody struct {
	Data []struct {
		CheckTime    string       `json:"check_time"`
		CheckEndTime *string      `json:"check_end_time"`
		IssueCounts  *issueCounts `json:"issue_counts"`
	} `json:"data"`
	Total *int `json:"total"`
}

func (e *env) records(token, projectID, taskID, query string) recordsBody {
	e.t.Helper()
	r := e.recordsRaw(token, projectID, taskID, query)
	if r.status != http.StatusOK {
		e.t.Fatalf("status %d, body %s", r.status, r.body)
	}
	var b recordsBody
	if err := json.Unmarshal(r.body, &b); err != nil || b.Total == nil || b.Data == nil {
		e.t.Fatalf("body %s: %v (want data and total)", r.body, err)
	}
	return b
}

// starts lists the check_time of each record, in the answer's order.
func (b recordsBody) starts() []string {
	var out []string
	for _, d := range b.Data {
		out = append(out, d.CheckTime)
	}
	return out
}

const utcLayout = "2006-01-02T15:04:05Z"

// A task's records are the checks StartCheck and FinishCheck run, after
// the made-up check of a task with a status: a running check has no end
// and no counts, an ended one its report's counts.
func TestCheckRecordFollowsChecks(t *testing.T) {
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	e := newEnv(t, Options{Now: func() time.Time { return now }})
	e.sim.AddProject(projectA)
	e.sim.SetTask(Task{ID: "never", ProjectID: projectA})
	e.sim.SetTask(Task{ID: "done", ProjectID: projectA, Status: IntPtr(2)})
	token := e.token()

	if b := e.records(token, projectA, "never", ""); len(b.Data) != 0 || *b.Total != 0 {
		t.Errorf("never checked: %+v, want no records", b)
	}
	static := staticCheckEnd.Add(-reportCheckDuration)
	b := e.records(token, projectA, "done", "")
	if got := b.starts(); !slices.Equal(got, []string{static.Format(utcLayout)}) || *b.Total != 1 {
		t.Fatalf("checked before: starts %v total %d, want the made-up check at %v", got, *b.Total, static)
	}
	if end := b.Data[0].CheckEndTime; end == nil || *end != staticCheckEnd.Format(utcLayout) {
		t.Errorf("made-up check's end %v, want %v", end, staticCheckEnd)
	}

	started := now
	e.sim.StartCheck("done")
	now = now.Add(time.Minute)
	b = e.records(token, projectA, "done", "")
	if got := b.starts(); !slices.Equal(got, []string{static.Format(utcLayout), started.Format(utcLayout)}) {
		t.Fatalf("while checking: starts %v", got)
	}
	if running := b.Data[1]; running.CheckEndTime != nil || running.IssueCounts != nil {
		t.Errorf("running check has end %v, counts %+v; want neither", running.CheckEndTime, running.IssueCounts)
	}

	now = now.Add(4 * time.Minute)
	e.sim.FinishCheck("done", false)
	rep, _ := e.sim.Report("done")
	b = e.records(token, projectA, "done", "")
	if len(b.Data) != 2 {
		t.Fatalf("after FinishCheck: %d records, want 2", len(b.Data))
	}
	ended := b.Data[1]
	if ended.CheckEndTime == nil || *ended.CheckEndTime != now.Format(utcLayout) {
		t.Errorf("ended check's end %v, want %v", ended.CheckEndTime, now)
	}
	if want := (issueCounts{rep.Critical, rep.Major, rep.Minor, rep.Suggestion}); ended.IssueCounts == nil || *ended.IssueCounts != want {
		t.Errorf("ended check's counts %+v, want the report's %+v", ended.IssueCounts, want)
	}

	// A check that ran between two looks (FinishCheck alone) is one more
	// whole record.
	now = now.Add(time.Hour)
	e.sim.FinishCheck("done", true)
	b = e.records(token, projectA, "done", "")
	if got, want := b.starts(), now.Add(-reportCheckDuration).Format(utcLayout); len(got) != 3 || got[2] != want {
		t.Errorf("after a check between two looks: starts %v, want a third at %s", got, want)
	}
	if e.sim.CheckRecordRequests("done") != 4 || e.sim.CheckRecordRequests("") != 5 {
		t.Errorf("requests: %d for done, %d in all; want 4, 5", e.sim.CheckRecordRequests("done"), e.sim.CheckRecordRequests(""))
	}
}

// start_time and end_time filter on the start, both ends included; limit
// and offset page the result.
func TestCheckRecordFilterAndPages(t *testing.T) {
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	e := newEnv(t, Options{Now: func() time.Time { return now }})
	e.sim.AddProject(projectA)
	e.sim.SetTask(Task{ID: "t", ProjectID: projectA})
	var starts []string
	for range 5 {
		now = now.Add(time.Hour)
		e.sim.FinishCheck("t", true)
		starts = append(starts, now.Add(-reportCheckDuration).Format(utcLayout))
	}
	token := e.token()
	q := "?start_time=" + starts[1] + "&end_time=" + starts[3]
	if got := e.records(token, projectA, "t", q).starts(); !slices.Equal(got, starts[1:4]) {
		t.Errorf("filtered %s: %v, want %v", q, got, starts[1:4])
	}
	if got := e.records(token, projectA, "t", "?start_time="+starts[4]).starts(); !slices.Equal(got, starts[4:]) {
		t.Errorf("from the last start: %v, want %v", got, starts[4:])
	}
	var paged []string
	for offset := range 4 {
		b := e.records(token, projectA, "t", "?limit=2&offset="+[]string{"0", "1", "2", "3"}[offset])
		if *b.Total != 5 {
			t.Errorf("offset %d: total %d, want 5", offset, *b.Total)
		}
		paged = append(paged, b.starts()...)
	}
	if !slices.Equal(paged, starts) {
		t.Errorf("pages from offset 0: %v, want %v", paged, starts)
	}
	if got := len(e.records(token, projectA, "t", "").Data); got != 5 {
		t.Errorf("default limit: %d records, want all 5 (the default is 10)", got)
	}
}

// Every dialect of reference §7: both time forms, a running check's end
// left out or "", data in no order, offset counted from 0 or from 1.
func TestCheckRecordDialects(t *testing.T) {
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	e := newEnv(t, Options{Now: func() time.Time { return now }})
	e.sim.AddProject(projectA)
	e.sim.SetTask(Task{ID: "t", ProjectID: projectA})
	var starts []time.Time
	for range 8 {
		now = now.Add(time.Hour)
		e.sim.FinishCheck("t", true)
		starts = append(starts, now.Add(-reportCheckDuration))
	}
	now = now.Add(time.Hour)
	e.sim.StartCheck("t")
	starts = append(starts, now)
	token := e.token()

	e.sim.SetCheckRecordDialect(CheckRecordDialect{Beijing: true, EmptyEnd: true})
	b := e.records(token, projectA, "t", "?limit=100")
	if got, want := b.Data[0].CheckTime, starts[0].In(time.FixedZone("", 8*3600)).Format("2006-01-02 15:04:05"); got != want {
		t.Errorf("Beijing: check_time %q, want %q", got, want)
	}
	if end := b.Data[8].CheckEndTime; end == nil || *end != "" {
		t.Errorf("EmptyEnd: running check's end %v, want \"\"", end)
	}

	e.sim.SetCheckRecordDialect(CheckRecordDialect{})
	if end := e.records(token, projectA, "t", "?limit=100").Data[8].CheckEndTime; end != nil {
		t.Errorf("default: running check's end %q, want it left out", *end)
	}

	e.sim.SetCheckRecordDialect(CheckRecordDialect{Unsorted: true})
	var all []string
	for _, offset := range []string{"0", "1", "2"} {
		all = append(all, e.records(token, projectA, "t", "?limit=4&offset="+offset).starts()...)
	}
	var want []string
	for _, s := range starts {
		want = append(want, s.Format(utcLayout))
	}
	if slices.IsSorted(all) || !slices.Equal(slices.Sorted(slices.Values(all)), want) {
		t.Errorf("Unsorted: pages %v, want every start once, not in order", all)
	}

	e.sim.SetCheckRecordDialect(CheckRecordDialect{Offset: OffsetPage1})
	page0 := e.records(token, projectA, "t", "?limit=4&offset=0").starts()
	page1 := e.records(token, projectA, "t", "?limit=4&offset=1").starts()
	page2 := e.records(token, projectA, "t", "?limit=4&offset=2").starts()
	if !slices.Equal(page0, want[:4]) || !slices.Equal(page1, want[:4]) || !slices.Equal(page2, want[4:8]) {
		t.Errorf("1-based: offsets 0, 1, 2 give %v, %v, %v", page0, page1, page2)
	}
}

// Errors as on the other routes: credentials, then the project, the task,
// the parameters and the dialect's error, each in an HTTP 200 body.
func TestCheckRecordErrors(t *testing.T) {
	e := newEnv(t, Options{})
	e.sim.AddProject(projectA)
	e.sim.SetTask(Task{ID: "t", ProjectID: projectA, Status: IntPtr(2)})
	e.sim.SetTask(Task{ID: "elsewhere", ProjectID: "other", Status: IntPtr(2)})
	token := e.token()

	wantErr(t, e.recordsRaw("not-a-token", projectA, "t", ""), http.StatusUnauthorized, "APIGW.0301", true)
	wantErr(t, e.recordsRaw(token, "unknown", "t", ""), http.StatusOK, "CC.00050013", false)
	wantErr(t, e.recordsRaw(token, projectA, "unknown", ""), http.StatusOK, "CC.00050014", false)
	wantErr(t, e.recordsRaw(token, projectA, "elsewhere", ""), http.StatusOK, "CC.00050014", false)
	for _, q := range []string{"?limit=0", "?limit=1001", "?offset=-1", "?offset=1000000", "?limit=x",
		"?start_time=2026-03-01+10:00:00", "?end_time=2026-03-01T10:00:00%2B08:00"} {
		wantErr(t, e.recordsRaw(token, projectA, "t", q), http.StatusOK, "CC.00050000", false)
	}
	if b := e.records(token, projectA, "t", "?limit=1000&offset=999999"); len(b.Data) != 0 || *b.Total != 1 {
		t.Errorf("the largest parameters: %+v, want an empty page of a total of 1", b)
	}
	e.sim.SetCheckRecordDialect(CheckRecordDialect{Error: "CC.00050004"})
	wantErr(t, e.recordsRaw(token, projectA, "t", ""), http.StatusOK, "CC.00050004", false)
	e.sim.SetErrorShape(ErrorShapeNested)
	r := e.recordsRaw(token, projectA, "t", "")
	var nested struct {
		Error struct{ Code string } `json:"error"`
	}
	if json.Unmarshal(r.body, &nested) != nil || nested.Error.Code != "CC.00050004" {
		t.Errorf("nested shape: %s", r.body)
	}
	if got := e.sim.LastCheckRecordQuery("t").Get("limit"); got != "" {
		t.Errorf("last query's limit %q, want none", got)
	}
}

// The demo's cycling tasks have a record per cycle, each demoChecking
// long, the one in its checking phase without an end; the never-checked
// task has none and legacy-monolith the check of its stale report. Each
// ended check's counts are its report's.
func TestDemoCheckRecord(t *testing.T) {
	start := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	now := start
	e := serve(t, NewDemo(func() time.Time { return now }))
	token := e.token()
	names := DemoTaskNames()
	byName := map[string]string{}
	for id, n := range names {
		byName[n] = id
	}

	now = start.Add(18*time.Minute + 30*time.Second) // backend-api (offset 0): cycle 6, checking since 18m
	backend := byName["backend-api"]
	b := e.records(token, DemoProjectID, backend, "?limit=1000")
	if want := demoHistoryCycles + 7; len(b.Data) != want || *b.Total != want {
		t.Fatalf("backend-api: %d records (total %d), want %d", len(b.Data), *b.Total, want)
	}
	for i, d := range b.Data {
		s, err := time.Parse(utcLayout, d.CheckTime)
		if err != nil {
			t.Fatal(err)
		}
		if want := start.Add(time.Duration(i-demoHistoryCycles) * demoPeriod); !s.Equal(want) {
			t.Errorf("record %d starts %v, want %v", i, s, want)
		}
		if i == len(b.Data)-1 {
			if d.CheckEndTime != nil || d.IssueCounts != nil {
				t.Errorf("the running check has an end %v or counts", d.CheckEndTime)
			}
			continue
		}
		if d.CheckEndTime == nil || *d.CheckEndTime != s.Add(demoChecking).Format(utcLayout) {
			t.Errorf("record %d ends %v, want %v", i, d.CheckEndTime, s.Add(demoChecking))
		}
	}
	rep, _ := e.sim.Report(backend)
	if got, want := b.Data[len(b.Data)-2].IssueCounts, (issueCounts{rep.Critical, rep.Major, rep.Minor, rep.Suggestion}); got == nil || *got != want {
		t.Errorf("latest ended check's counts %+v, want the report's %+v", got, want)
	}

	// The clock moving on adds the checks that ran.
	now = now.Add(2 * demoPeriod)
	if got := len(e.records(token, DemoProjectID, backend, "?limit=1000").Data); got != demoHistoryCycles+9 {
		t.Errorf("two cycles later: %d records, want %d", got, demoHistoryCycles+9)
	}
	if got := e.records(token, DemoProjectID, byName["data-pipeline"], ""); len(got.Data) != 0 {
		t.Errorf("data-pipeline, never checked: %v", got.starts())
	}
	stale, ok := e.sim.Report(byName["legacy-monolith"])
	if !ok {
		t.Fatal("legacy-monolith has no report")
	}
	b = e.records(token, DemoProjectID, byName["legacy-monolith"], "")
	if got := b.starts(); !slices.Equal(got, []string{stale.CheckStart.Format(utcLayout)}) {
		t.Fatalf("legacy-monolith: starts %v, want its stale report's %v", got, stale.CheckStart)
	}
	if c := b.Data[0].IssueCounts; c == nil || c.Critical != stale.Critical || c.Prompt != stale.Suggestion {
		t.Errorf("legacy-monolith's counts %+v, want its stale report's", c)
	}
	for _, id := range DemoTaskIDs() {
		if id == DemoDeletedTaskID {
			if r := e.recordsRaw(token, DemoProjectID, id, ""); !strings.Contains(string(r.body), "CC.00050014") {
				t.Errorf("the deleted demo task's history: %d %s, want CC.00050014", r.status, r.body)
			}
			continue
		}
		if n := names[id]; n != "data-pipeline" && len(e.records(token, DemoProjectID, id, "").Data) == 0 {
			t.Errorf("demo task %s has no check record", n)
		}
	}
}
