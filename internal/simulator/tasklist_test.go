package simulator

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
)

const (
	projectA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	projectB = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
)

// listEnv has project A with n tasks (a-000, a-001, ...) and project B with
// one task.
func listEnv(t *testing.T, n int) (*env, string) {
	t.Helper()
	e := newEnv(t, Options{})
	e.sim.AddProject(projectA)
	e.sim.AddProject(projectB)
	for i := range n {
		e.sim.SetTask(Task{ID: fmt.Sprintf("a-%03d", i), Name: fmt.Sprintf("name-%d", i), ProjectID: projectA, GitBranch: "main"})
	}
	e.sim.SetTask(Task{ID: "b-000", Name: "other", ProjectID: projectB})
	return e, e.token()
}

func (e *env) list(token, project, query string) response {
	e.t.Helper()
	req := e.newRequest(e.t.Context(), http.MethodGet, "/v2/"+project+"/tasks"+query, "")
	req.Header.Set("X-Auth-Token", token)
	return e.do(req)
}

func decodeList(t *testing.T, r response) taskListBody {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("status %d, body %s", r.status, r.body)
	}
	var b taskListBody
	if err := json.Unmarshal(r.body, &b); err != nil {
		t.Fatalf("body %s: %v", r.body, err)
	}
	return b
}

func ids(b taskListBody) []string {
	var out []string
	for _, t := range b.Tasks {
		out = append(out, t.TaskID)
	}
	return out
}

func TestTaskListOffsetModes(t *testing.T) {
	cases := []struct {
		mode  OffsetMode
		query string
		first string // ID of the first task on the page; "" = empty page
	}{
		{OffsetPage0, "?offset=0&limit=10", "a-000"},
		{OffsetPage0, "?offset=1&limit=10", "a-010"},
		{OffsetPage0, "?offset=2&limit=10", "a-020"},
		{OffsetPage0, "?offset=3&limit=10", ""},
		{OffsetPage1, "?offset=0&limit=10", "a-000"},
		{OffsetPage1, "?offset=1&limit=10", "a-000"},
		{OffsetPage1, "?offset=2&limit=10", "a-010"},
		{OffsetItems, "?offset=1&limit=10", "a-001"},
		{OffsetItems, "?offset=20&limit=10", "a-020"},
		{OffsetItems, "?offset=25&limit=10", ""},
		{OffsetPage0, "", "a-000"}, // defaults: offset 0, limit 10
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("mode%d%s", c.mode, c.query), func(t *testing.T) {
			e, token := listEnv(t, 25)
			e.sim.SetOffsetMode(c.mode)
			b := decodeList(t, e.list(token, projectA, c.query))
			if b.Total != 25 {
				t.Errorf("total = %d, want 25", b.Total)
			}
			got := ids(b)
			if c.first == "" {
				if len(got) != 0 {
					t.Errorf("page = %v, want empty", got)
				}
				if b.Tasks == nil {
					t.Error("an empty page must be [], not null")
				}
				return
			}
			if len(got) == 0 || got[0] != c.first || len(got) > 10 {
				t.Errorf("page = %v, want up to 10 starting at %s", got, c.first)
			}
		})
	}
}

func TestTaskListFields(t *testing.T) {
	e, token := listEnv(t, 1)
	b := decodeList(t, e.list(token, projectA, "?offset=0&limit=100"))
	if len(b.Tasks) != 1 || b.Total != 1 {
		t.Fatalf("body %+v", b)
	}
	got := b.Tasks[0]
	if got.TaskID != "a-000" || got.TaskName != "name-0" || got.GitBranch != "main" || got.CreatedAt == "" {
		t.Errorf("task %+v", got)
	}
	if b := decodeList(t, e.list(token, projectB, "?limit=100")); len(b.Tasks) != 1 || b.Tasks[0].TaskID != "b-000" {
		t.Errorf("project B lists %+v, want its one task only", b)
	}
}

func TestTaskListErrors(t *testing.T) {
	e, token := listEnv(t, 3)
	wantErr(t, e.list(token, "cccccccccccccccccccccccccccccccc", ""), http.StatusOK, "CC.00050013", false)
	for _, q := range []string{"?limit=0", "?limit=101", "?offset=-1", "?offset=1000000", "?limit=x"} {
		wantErr(t, e.list(token, projectA, q), http.StatusOK, "CC.00050000", false)
	}
	wantErr(t, e.list("", projectA, ""), http.StatusUnauthorized, "APIGW.0301", true)

	e.sim.RemoveProject(projectA)
	wantErr(t, e.list(token, projectA, ""), http.StatusOK, "CC.00050013", false)

	e.sim.AddProject(projectA)
	e.sim.SetTaskListFault(projectA, Fault{Kind: FaultRetryLater, Times: 1})
	wantErr(t, e.list(token, projectA, ""), http.StatusOK, "CC.00050012", false)
	decodeList(t, e.list(token, projectA, "")) // the fault is used up
	if got := e.sim.TaskListRequests(projectA); got != 9 {
		t.Errorf("TaskListRequests = %d, want 9", got)
	}
}

// A task removed from the simulator leaves the list and the total.
func TestTaskListFollowsRemovals(t *testing.T) {
	e, token := listEnv(t, 3)
	e.sim.RemoveTask("a-001")
	b := decodeList(t, e.list(token, projectA, "?limit=100"))
	if got := ids(b); b.Total != 2 || len(got) != 2 || got[0] != "a-000" || got[1] != "a-002" {
		t.Errorf("after removal: total %d, ids %v", b.Total, got)
	}
}
