package codearts

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/codearts-check-exporter/codearts_check_exporter/internal/api"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/simulator"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit"
)

const historyTask = "history-task"

// newHistoryClient is newListClient with a task of listProject that has
// run n checks, an hour apart, the first ending an hour after base (which
// it returns), and a clock the test can move. The checks lie in the past:
// the clock ends at the real time, which AK/SK signatures are checked
// against.
func newHistoryClient(t *testing.T, n int) (*Client, *simulator.Server, *api.Metrics, time.Time, *time.Time) {
	t.Helper()
	base := time.Now().UTC().Truncate(time.Hour).Add(-time.Duration(n+1) * time.Hour)
	now := base
	sim := simulator.New(simulator.Options{Now: func() time.Time { return now }})
	client, metrics := newSignedClient(t, sim)
	sim.AddProject(listProject)
	sim.SetTask(simulator.Task{ID: historyTask, ProjectID: listProject})
	for range n {
		now = now.Add(time.Hour)
		sim.FinishCheck(historyTask, true)
	}
	now = time.Now().UTC().Truncate(time.Second)
	return client, sim, metrics, base, &now
}

// wantStarts checks that h holds one record per check of the n checks of
// newHistoryClient from the first-th on, in order, each ended and with
// the simulator's check length, and the running check when running.
func wantStarts(t *testing.T, h CheckHistory, base time.Time, first, n int, running time.Time) {
	t.Helper()
	want := n - first
	if !running.IsZero() {
		want++
	}
	if len(h.Records) != want {
		t.Fatalf("%d records, want %d", len(h.Records), want)
	}
	for i, r := range h.Records {
		if i == n-first {
			if !r.Start.Equal(running) || r.Ended() {
				t.Errorf("last record %+v, want the running check from %v, no end", r, running)
			}
			continue
		}
		end := base.Add(time.Duration(first+i+1) * time.Hour)
		if d, ok := r.Duration(); !r.End.Equal(end) || !ok || d != 65*time.Second || r.Issues[0] < 0 {
			t.Fatalf("record %d = %+v, want an end at %v, 65s long, with counts", i, r, end)
		}
	}
}

// One page: the query names the page, the largest limit and the start as
// the reference writes it, and the call is signed and counted as every
// other call.
func TestCheckRecordsOnePage(t *testing.T) {
	client, sim, metrics, base, _ := newHistoryClient(t, 5)
	// The second check started 65s before base+2h: from it on, whatever
	// the zone and the fraction of a second.
	secondStart := base.Add(2*time.Hour - 65*time.Second)
	since := secondStart.Add(500 * time.Nanosecond).In(time.FixedZone("", 3600))
	h, err := client.CheckRecords(context.Background(), listProject, historyTask, since, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	wantStarts(t, h, base, 1, 5, time.Time{})
	if !h.Complete || h.Pages != 1 || h.Total != 4 {
		t.Errorf("complete %v, %d pages, total %d; want true, 1, 4", h.Complete, h.Pages, h.Total)
	}
	q := sim.LastCheckRecordQuery(historyTask)
	if q.Get("offset") != "0" || q.Get("limit") != "1000" || q.Get("start_time") != secondStart.Format("2006-01-02T15:04:05Z") || q.Has("end_time") {
		t.Errorf("query %v", q)
	}
	until := base.Add(3 * time.Hour)
	h, err = client.CheckRecords(context.Background(), listProject, historyTask, time.Time{}, until)
	if err != nil {
		t.Fatal(err)
	}
	if q := sim.LastCheckRecordQuery(historyTask); q.Has("start_time") || q.Get("end_time") != until.Format("2006-01-02T15:04:05Z") {
		t.Errorf("query %v, want only end_time %v", q, until)
	}
	wantStarts(t, h, base, 0, 3, time.Time{})
	if sim.SignedRequests() != 2 || sim.SignatureFailures() != 0 {
		t.Errorf("signed %d, refused %d; want 2, 0", sim.SignedRequests(), sim.SignatureFailures())
	}
	if got := testkit.Counter(t, metrics, "codearts_check_api_requests_total", "endpoint", EndpointCheckRecord, "status_class", "2xx"); got != 2 {
		t.Errorf("%s 2xx requests = %v, want 2", EndpointCheckRecord, got)
	}
}

// Every dialect of reference §7, over more than one page: both time
// forms, a running check's end left out or "", data in no order, and
// offset counted from 0 or from 1. The read is the same in each.
func TestCheckRecordsDialects(t *testing.T) {
	const n = MaxCheckRecordLimit + 300
	for _, d := range []simulator.CheckRecordDialect{
		{},
		{Beijing: true},
		{EmptyEnd: true},
		{Unsorted: true},
		{Offset: simulator.OffsetPage1},
		{Beijing: true, EmptyEnd: true, Unsorted: true, Offset: simulator.OffsetPage1},
	} {
		t.Run(fmt.Sprintf("%+v", d), func(t *testing.T) {
			client, sim, _, base, now := newHistoryClient(t, n)
			sim.StartCheck(historyTask)
			sim.SetCheckRecordDialect(d)
			h, err := client.CheckRecords(context.Background(), listProject, historyTask, time.Time{}, time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			wantStarts(t, h, base, 0, n, *now)
			pages := 2 // total is reached with the second page
			if d.Offset == simulator.OffsetPage1 {
				pages = 3 // offsets 0 and 1 are both the first page
			}
			if !h.Complete || h.Pages != pages || h.Total != n+1 || sim.CheckRecordRequests(historyTask) != pages {
				t.Errorf("complete %v, %d pages (%d requests), total %d; want true, %d, %d",
					h.Complete, h.Pages, sim.CheckRecordRequests(historyTask), h.Total, pages, n+1)
			}
		})
	}
}

// A history longer than MaxCheckRecordPages pages is read that far and no
// further, and the read says it is not complete.
func TestCheckRecordsBoundedPages(t *testing.T) {
	const n = MaxCheckRecordPages*MaxCheckRecordLimit + 10
	for _, d := range []simulator.CheckRecordDialect{{}, {Offset: simulator.OffsetPage1}} {
		t.Run(fmt.Sprintf("%+v", d), func(t *testing.T) {
			client, sim, _, base, _ := newHistoryClient(t, n)
			sim.SetCheckRecordDialect(d)
			h, err := client.CheckRecords(context.Background(), listProject, historyTask, time.Time{}, time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			pagesRead := MaxCheckRecordPages
			if d.Offset == simulator.OffsetPage1 {
				pagesRead-- // one page read twice
			}
			wantStarts(t, h, base, 0, pagesRead*MaxCheckRecordLimit, time.Time{})
			if h.Complete || h.Pages != MaxCheckRecordPages || h.Total != n || sim.CheckRecordRequests(historyTask) != MaxCheckRecordPages {
				t.Errorf("complete %v, %d pages (%d requests), total %d; want false, %d, %d",
					h.Complete, h.Pages, sim.CheckRecordRequests(historyTask), h.Total, MaxCheckRecordPages, n)
			}
		})
	}
}

// A task never checked has an empty history: one call, complete.
func TestCheckRecordsEmpty(t *testing.T) {
	client, sim, _, _, _ := newHistoryClient(t, 0)
	h, err := client.CheckRecords(context.Background(), listProject, historyTask, time.Time{}, time.Time{})
	if err != nil || len(h.Records) != 0 || !h.Complete || h.Pages != 1 || h.Total != 0 {
		t.Fatalf("history %+v, %v; want an empty complete read of one page", h, err)
	}
	if sim.CheckRecordRequests(historyTask) != 1 {
		t.Errorf("%d requests, want 1", sim.CheckRecordRequests(historyTask))
	}
}

// Errors as for every other call: in an HTTP 200 body, in every error
// shape, failing the read with their code, counted once, and a missing
// permission told by ReportRefused.
func TestCheckRecordsErrors(t *testing.T) {
	shapes := []simulator.ErrorShape{simulator.ErrorShapeErrorCode, simulator.ErrorShapeCode, simulator.ErrorShapeNested}
	for _, shape := range shapes {
		for _, code := range []string{"CC.00050004", "CC.00050010", "CC.00050012"} {
			t.Run(shape.String()+"/"+code, func(t *testing.T) {
				client, sim, metrics, _, _ := newHistoryClient(t, 2)
				sim.SetErrorShape(shape)
				sim.SetCheckRecordDialect(simulator.CheckRecordDialect{Error: code})
				h, err := client.CheckRecords(context.Background(), listProject, historyTask, time.Time{}, time.Time{})
				if got := api.Code(err); got != code || h.Records != nil {
					t.Fatalf("history %+v, err %v (code %q); want none and %s", h, err, got, code)
				}
				if got := testkit.ErrorCount(t, metrics, code); got != 1 {
					t.Errorf("%s counted %v times, want 1", code, got)
				}
				if refused := ReportRefused(err); refused != (code == "CC.00050010") {
					t.Errorf("ReportRefused = %v for %s", refused, code)
				}
			})
		}
	}
	client, sim, metrics, _, _ := newHistoryClient(t, 2)
	sim.RemoveProject(listProject)
	if _, err := client.CheckRecords(context.Background(), listProject, historyTask, time.Time{}, time.Time{}); api.Code(err) != "CC.00050013" {
		t.Errorf("unknown project: err %v, want CC.00050013", err)
	}
	sim.AddProject(listProject)
	if _, err := client.CheckRecords(context.Background(), listProject, "no-such-task", time.Time{}, time.Time{}); api.Code(err) != "CC.00050014" {
		t.Errorf("unknown task: err %v, want CC.00050014", err)
	}
	if got := testkit.ErrorCount(t, metrics, "CC.00050013") + testkit.ErrorCount(t, metrics, "CC.00050014"); got != 2 {
		t.Errorf("errors counted %v times, want 2", got)
	}
}

func TestCheckRecordURLEscapesIDs(t *testing.T) {
	client, _, _, _, _ := newHistoryClient(t, 0)
	got := client.checkRecordURL("a/b?c", "..", 2, 1000, time.Time{}, time.Time{})
	if want := client.base + "/v2/a%2Fb%3Fc/tasks/%2E%2E/checkrecord?limit=1000&offset=2"; got != want {
		t.Errorf("url = %s, want %s", got, want)
	}
}
