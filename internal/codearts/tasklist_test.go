package codearts

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/codearts-check-exporter/codearts_check_exporter/config"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/api"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/auth"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/simulator"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit"
)

const (
	listProject = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	listAK      = "AKLIST00000000000001"
	listSK      = "sk-list-secret"
)

// newListClient is a Client for a simulator with project listProject
// holding n tasks, signing its requests with an access key.
func newListClient(t *testing.T, n int) (*Client, *simulator.Server, *api.Metrics) {
	t.Helper()
	sim := simulator.New(simulator.Options{})
	client, metrics := newSignedClient(t, sim)
	sim.AddProject(listProject)
	for i := range n {
		sim.SetTask(simulator.Task{ID: fmt.Sprintf("t%03d", i), Name: fmt.Sprintf("name-%d", i), ProjectID: listProject, GitBranch: "main"})
	}
	return client, sim, metrics
}

// newSignedClient is a Client for sim, served over loopback, signing its
// requests with an access key.
func newSignedClient(t *testing.T, sim *simulator.Server) (*Client, *api.Metrics) {
	t.Helper()
	ts := testkit.Simulator(t, sim)
	sim.AddAccessKey(simulator.AccessKey{ID: listAK, Secret: listSK, ProjectID: simulator.DefaultProjectID})
	signer, err := auth.NewAKSK(config.AKSK{AccessKey: listAK, SecretKey: listSK, ProjectID: simulator.DefaultProjectID},
		nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	metrics := api.NewMetrics()
	client, err := NewClient(ts.URL, &api.Caller{Client: ts.Client(), Metrics: metrics}, signer)
	if err != nil {
		t.Fatal(err)
	}
	return client, metrics
}

// The signed query (offset, limit) passes the gateway's check: the SDK
// signer was handed the query values in the form it reads.
func TestTaskListSignedPage(t *testing.T) {
	client, sim, metrics := newListClient(t, 12)
	page, err := client.TaskList(context.Background(), listProject, 1, 5)
	if err != nil {
		t.Fatal(err)
	}
	if page.Total != 12 || len(page.Tasks) != 5 || page.Tasks[0] != (ListedTask{ID: "t005", Name: "name-5", GitBranch: "main", LastCheckValid: true}) {
		t.Errorf("page = %+v", page)
	}
	if sim.SignedRequests() != 1 || sim.SignatureFailures() != 0 {
		t.Errorf("signed %d, refused %d; want 1, 0", sim.SignedRequests(), sim.SignatureFailures())
	}
	if got := testkit.Counter(t, metrics, "codearts_check_api_requests_total", "endpoint", "task_list", "status_class", "2xx"); got != 1 {
		t.Errorf("task_list 2xx requests = %v, want 1", got)
	}
}

// An unknown project is an error with HTTP 200, counted under its code.
func TestTaskListUnknownProject(t *testing.T) {
	client, sim, metrics := newListClient(t, 1)
	sim.RemoveProject(listProject)
	_, err := client.TaskList(context.Background(), listProject, 0, 100)
	if got := api.Code(err); got != "CC.00050013" {
		t.Fatalf("err = %v (code %q), want CC.00050013", err, got)
	}
	if got := testkit.ErrorCount(t, metrics, "CC.00050013"); got != 1 {
		t.Errorf("CC.00050013 counted %v times, want 1", got)
	}
}

func TestTaskListURLEscapesProject(t *testing.T) {
	client, _, _ := newListClient(t, 0)
	got := client.projectURL("a/b?c", "/tasks", 2, 100, url.Values{})
	if want := client.base + "/v2/a%2Fb%3Fc/tasks?limit=100&offset=2"; got != want {
		t.Errorf("url = %s, want %s", got, want)
	}
}

func TestDecodeTaskList(t *testing.T) {
	cases := []struct {
		name     string
		body     string
		want     TaskPage
		wantFail bool
	}{
		{"page", `{"tasks":[{"task_id":"a","task_name":"web","git_branch":"main","creator_id":"c","git_url":"u","created_at":"2026-01-01T00:00:00Z","last_check_time":"2026-01-01T00:00:00Z"}],"total":3}`,
			TaskPage{Tasks: []ListedTask{{ID: "a", Name: "web", GitBranch: "main", LastCheckTime: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), LastCheckValid: true}}, Total: 3}, false},
		{"empty page", `{"tasks":[],"total":3}`, TaskPage{Tasks: []ListedTask{}, Total: 3}, false},
		{"empty project, tasks null", `{"tasks":null,"total":0}`, TaskPage{}, false},
		{"null names", `{"tasks":[{"task_id":"a","task_name":null,"git_branch":null}],"total":1}`, TaskPage{Tasks: []ListedTask{{ID: "a", LastCheckValid: true}}, Total: 1}, false},
		{"no total", `{"tasks":[]}`, TaskPage{}, true},
		{"null total", `{"tasks":[],"total":null}`, TaskPage{}, true},
		{"total as string", `{"tasks":[],"total":"3"}`, TaskPage{}, true},
		{"negative total", `{"tasks":[],"total":-1}`, TaskPage{}, true},
		{"fractional total", `{"tasks":[],"total":1.5}`, TaskPage{}, true},
		{"no tasks but a total", `{"total":4}`, TaskPage{}, true},
		{"tasks not a list", `{"tasks":{},"total":0}`, TaskPage{}, true},
		{"task_id not a string", `{"tasks":[{"task_id":7}],"total":1}`, TaskPage{}, true},
		{"not json", `<html>`, TaskPage{}, true},
		{"empty object", `{}`, TaskPage{}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := DecodeTaskList([]byte(c.body))
			if c.wantFail {
				if err == nil {
					t.Fatalf("accepted %s as %+v", c.body, got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Total != c.want.Total || len(got.Tasks) != len(c.want.Tasks) {
				t.Fatalf("got %+v, want %+v", got, c.want)
			}
			for i := range got.Tasks {
				if got.Tasks[i] != c.want.Tasks[i] {
					t.Errorf("task %d = %+v, want %+v", i, got.Tasks[i], c.want.Tasks[i])
				}
			}
		})
	}
}

// FuzzDecodeTaskList: any body decodes to a page or an error, never a
// panic, and a page always has a count that is not negative.
func FuzzDecodeTaskList(f *testing.F) {
	for _, seed := range []string{
		`{"tasks":[{"task_id":"a","task_name":"web","git_branch":"main"}],"total":1}`,
		`{"tasks":[],"total":0}`, `{"tasks":null,"total":0}`, `{"total":-1}`, `[]`, `null`, ``,
		`{"tasks":[{"task_id":"a","last_check_time":"2026-01-01T00:00:00Z"}],"total":1}`,
		`{"tasks":[{"task_id":"a","last_check_time":"2026-01-01T08:00:00+08:00"}],"total":1}`,
		`{"tasks":[{"task_id":"a","last_check_time":"2026-01-01 08:00:00"}],"total":1}`,
		`{"tasks":[{"task_id":"a","last_check_time":"0001-01-01T00:00:00Z"}],"total":1}`,
		`{"tasks":[{"task_id":"a","last_check_time":1767225600}],"total":1}`,
		`{"tasks":[{"task_id":"a","last_check_time":null}],"total":1}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		page, err := DecodeTaskList(body)
		if err == nil && page.Total < 0 {
			t.Fatalf("negative total %d from %q", page.Total, body)
		}
		for _, lt := range page.Tasks {
			at := lt.LastCheckTime
			switch {
			case !lt.LastCheckValid && !at.IsZero():
				t.Fatalf("invalid last_check_time kept a time %v from %q", at, body)
			case !at.IsZero() && (at.Location() != time.UTC || at.Year() < minCheckYear || at.Year() > maxCheckYear):
				t.Fatalf("last_check_time %v out of bounds or not UTC from %q", at, body)
			}
		}
	})
}

// last_check_time is outside input: only an RFC 3339 time within bounds is
// believed, in UTC; absent, null or "" is "never checked"; anything else
// is marked invalid without failing the page.
func TestDecodeTaskListLastCheckTime(t *testing.T) {
	utc := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		raw   string // the JSON value; "" leaves the key out
		at    time.Time
		valid bool
	}{
		{"", time.Time{}, true},
		{`null`, time.Time{}, true},
		{`""`, time.Time{}, true},
		{`"2026-01-01T00:00:00Z"`, utc, true},
		{`"2026-01-01T08:00:00+08:00"`, utc, true},
		{`"2026-01-01T00:00:00.5Z"`, utc.Add(500 * time.Millisecond), true},
		// The summary example's form, in Beijing time, as report times are read.
		{`"2026-01-01 08:00:00"`, utc, true},
		{`"2026-13-01 08:00:00"`, time.Time{}, false},
		{`"1999-12-31T23:59:59Z"`, time.Time{}, false},
		{`"3000-01-01T00:00:00Z"`, time.Time{}, false},
		{`1767225600`, time.Time{}, false},
		{`{"t":1}`, time.Time{}, false},
		{`"2026-01-01T00:00:00Z` + strings.Repeat(" ", 100) + `"`, time.Time{}, false},
	}
	for _, c := range cases {
		field := ""
		if c.raw != "" {
			field = `,"last_check_time":` + c.raw
		}
		page, err := DecodeTaskList([]byte(`{"tasks":[{"task_id":"a"` + field + `},{"task_id":"b","last_check_time":"2026-01-01T00:00:00Z"}],"total":2}`))
		if err != nil {
			t.Fatalf("%s: %v", c.raw, err)
		}
		got := page.Tasks[0]
		if !c.valid && got.LastCheckRaw != c.raw && c.raw != "" && len(c.raw) < 40 {
			t.Errorf("%s: LastCheckRaw %q, want what the answer said", c.raw, got.LastCheckRaw)
		}
		if !got.LastCheckTime.Equal(c.at) || got.LastCheckValid != c.valid || (!c.at.IsZero() && got.LastCheckTime.Location() != time.UTC) {
			t.Errorf("%s: got %v valid %v, want %v valid %v", c.raw, got.LastCheckTime, got.LastCheckValid, c.at, c.valid)
		}
		if b := page.Tasks[1]; !b.LastCheckValid || !b.LastCheckTime.Equal(utc) {
			t.Errorf("%s: spoiled the next task: %+v", c.raw, b)
		}
	}
}
