package simulator

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// listWithin lists project A with a deadline and returns the client's
// error (nil when the page was answered).
func listWithin(t *testing.T, e *env, token string, d time.Duration) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), d)
	defer cancel()
	req := e.newRequest(ctx, http.MethodGet, "/v2/"+projectA+"/tasks?offset=0&limit=10", "")
	req.Header.Set("X-Auth-Token", token)
	resp, err := e.client.Do(req)
	if err == nil {
		resp.Body.Close()
	}
	return err
}

// A delayed page is held (a client with a short deadline gets nothing),
// then answered normally; Close cuts the delay short.
func TestListingDelay(t *testing.T) {
	e, token := listEnv(t, 3)
	e.sim.SetListing(Listing{Delay: time.Hour})
	if err := listWithin(t, e, token, 100*time.Millisecond); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("delayed page within 100ms: err %v, want the deadline", err)
	}
	e.sim.Close()
	if got := ids(decodeList(t, e.list(token, projectA, ""))); len(got) != 3 {
		t.Errorf("page after the delay: %v, want 3 tasks", got)
	}
	if n := e.sim.TaskListRequests(projectA); n != 2 {
		t.Errorf("TaskListRequests = %d, want 2", n)
	}
}

// A hung page is never answered, and Close drops it.
func TestListingHang(t *testing.T) {
	e, token := listEnv(t, 3)
	e.sim.SetListing(Listing{Hang: true})
	if err := listWithin(t, e, token, 100*time.Millisecond); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("hung page: err %v, want the deadline", err)
	}
	e.sim.Close()
	req := e.newRequest(t.Context(), http.MethodGet, "/v2/"+projectA+"/tasks", "")
	req.Header.Set("X-Auth-Token", token)
	if resp, err := freshClient(t).Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("hung page after Close answered %d, want a dropped connection", resp.StatusCode)
	}
	e.sim.SetListing(Listing{})
	if got := ids(decodeList(t, e.list(token, projectA, ""))); len(got) != 3 {
		t.Errorf("page after the hang is cleared: %v, want 3 tasks", got)
	}
}

// Chosen pages are throttled every time; the others are served.
func TestListingThrottlePages(t *testing.T) {
	e, token := listEnv(t, 25)
	e.sim.SetListing(Listing{ThrottlePages: []int{1}})
	for range 2 {
		if got := ids(decodeList(t, e.list(token, projectA, "?offset=0&limit=10"))); len(got) != 10 {
			t.Errorf("page 0: %d tasks, want 10", len(got))
		}
		wantErr(t, e.list(token, projectA, "?offset=1&limit=10"), http.StatusTooManyRequests, "APIGW.0308", true)
		if got := ids(decodeList(t, e.list(token, projectA, "?offset=2&limit=10"))); len(got) != 5 {
			t.Errorf("page 2: %d tasks, want 5", len(got))
		}
	}
	// Under an item offset the page is still counted from the start.
	e.sim.SetOffsetMode(OffsetItems)
	wantErr(t, e.list(token, projectA, "?offset=10&limit=10"), http.StatusTooManyRequests, "APIGW.0308", true)
}

// ThrottleEvery throttles a fraction of the listing requests, whichever
// page they ask for.
func TestListingThrottleEvery(t *testing.T) {
	e, token := listEnv(t, 5)
	e.sim.SetListing(Listing{ThrottleEvery: 3})
	var throttled []int
	for i := range 9 {
		if r := e.list(token, projectA, ""); r.status == http.StatusTooManyRequests {
			wantErr(t, r, http.StatusTooManyRequests, "APIGW.0308", true)
			throttled = append(throttled, i)
		} else {
			decodeList(t, r)
		}
	}
	if want := []int{2, 5, 8}; !slices.Equal(throttled, want) {
		t.Errorf("throttled requests %v, want %v", throttled, want)
	}
}

// A lying page has no tasks but claims some.
func TestListingLieTotal(t *testing.T) {
	e, token := listEnv(t, 20)
	e.sim.SetListing(Listing{LieTotal: 5})
	r := e.list(token, projectA, "?offset=0&limit=10")
	if r.status != http.StatusOK || string(r.body) != `{"tasks":[],"total":5}` {
		t.Errorf("lying page: %d %s", r.status, r.body)
	}
}

// An endless listing answers every page full of new tasks and a total
// no client can reach.
func TestListingEndless(t *testing.T) {
	e, token := listEnv(t, 3)
	e.sim.SetListing(Listing{Endless: true})
	seen := map[string]bool{}
	for _, q := range []string{"?offset=0&limit=10", "?offset=1&limit=10", "?offset=1&limit=10", "?offset=999&limit=100"} {
		b := decodeList(t, e.list(token, projectA, q))
		if b.Total != EndlessTotal {
			t.Errorf("%s: total %d, want %d", q, b.Total, EndlessTotal)
		}
		want := 10
		if strings.HasSuffix(q, "100") {
			want = 100
		}
		if len(b.Tasks) != want {
			t.Errorf("%s: %d tasks, want a full page of %d", q, len(b.Tasks), want)
		}
		for _, id := range ids(b) {
			if seen[id] {
				t.Errorf("%s: task %s listed before", q, id)
			}
			seen[id] = true
		}
	}
}

// progressStatus reads task id's task_status over HTTP (-1 for null).
func progressStatus(t *testing.T, e *env, token, id string) int {
	t.Helper()
	r := e.progress(id, token)
	var b progressBody
	if err := json.Unmarshal(r.body, &b); err != nil || r.status != http.StatusOK {
		t.Fatalf("progress %s: %d %s (%v)", id, r.status, r.body, err)
	}
	if b.TaskStatus == nil {
		return -1
	}
	return *b.TaskStatus
}

// A queued check moves last_check_time at the trigger while progress
// still shows the previous result until the queue time has passed.
func TestQueuedCheck(t *testing.T) {
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	e := newEnv(t, Options{Now: func() time.Time { return now }})
	e.sim.AddProject(projectA)
	e.sim.SetTask(Task{ID: "done", ProjectID: projectA, Status: IntPtr(2), Ratio: StrPtr("100%"), Info: StrPtr("success")})
	e.sim.SetCheckQueue(5 * time.Second)
	token := e.token()

	e.sim.StartCheck("done")
	trigger := now
	now = now.Add(4 * time.Second)
	if got := listedCheckTime(t, e, token, "done"); got != trigger.Format(time.RFC3339) {
		t.Errorf("queued: last_check_time %q, want the trigger %v", got, trigger)
	}
	if got := progressStatus(t, e, token, "done"); got != 2 {
		t.Errorf("queued 4s: task_status %d, want the previous 2", got)
	}
	now = now.Add(time.Second)
	if got := progressStatus(t, e, token, "done"); got != 0 {
		t.Errorf("queued 5s: task_status %d, want 0 (checking)", got)
	}
	e.sim.FinishCheck("done", false)
	if got := progressStatus(t, e, token, "done"); got != 1 {
		t.Errorf("finished: task_status %d, want 1", got)
	}
}

// A flapping task's last_check_time alternates between two values, one
// listing after the other, and stops when cleared.
func TestLastCheckFlap(t *testing.T) {
	e, token := listEnv(t, 2)
	a := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	b := a.Add(-time.Hour)
	e.sim.SetLastCheckFlap("a-001", a, b)
	var got []string
	for range 3 {
		got = append(got, listedCheckTime(t, e, token, "a-001"))
	}
	want := []string{a.Format(time.RFC3339), b.Format(time.RFC3339), a.Format(time.RFC3339)}
	if !slices.Equal(got, want) {
		t.Errorf("flapping last_check_time %v, want %v", got, want)
	}
	e.sim.SetLastCheckFlap("a-001", time.Time{}, time.Time{})
	if x, y := listedCheckTime(t, e, token, "a-001"), listedCheckTime(t, e, token, "a-001"); x != y {
		t.Errorf("after clearing the flap: %q then %q", x, y)
	}
}

// The summary example's form of time, without T or zone.
func TestLastCheckLayout(t *testing.T) {
	now := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
	e := newEnv(t, Options{Now: func() time.Time { return now }})
	e.sim.AddProject(projectA)
	e.sim.SetTask(Task{ID: "done", ProjectID: projectA, Status: IntPtr(2)})
	e.sim.SetLastCheckLayout(LastCheckLayoutSummary)
	token := e.token()
	e.sim.StartCheck("done")
	if got := listedCheckTime(t, e, token, "done"); got != "2026-11-01 08:00:00" {
		t.Errorf("last_check_time %q, want 2026-11-01 08:00:00", got)
	}
}
