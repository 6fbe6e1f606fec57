package codearts

import (
	"context"
	"net/url"
	"testing"
)

// hostileIDs are task and job IDs that would change the request's path or
// query if they were pasted into the URL. Config validation rejects them all
// (config/ids_test.go); the client must escape them anyway.
var hostileIDs = []string{
	"../admin",
	"..",
	".",
	"a/b",
	"a%2Fb",
	"a?job_id=other",
	"a#fragment",
	"a b",
	"a&b=c",
	"tâche-ü-任务",
	"a;b",
	"%",
}

// TestProgressURLCannotBeRedirected sends each hostile ID to the simulator
// over real HTTP and checks that the request reached exactly that task, with
// exactly the job_id given and nothing else in the query.
func TestProgressURLCannotBeRedirected(t *testing.T) {
	e := newRetryEnv(t)
	for _, id := range hostileIDs {
		task := okTask()
		task.ID = id
		e.sim.SetTask(task)
		jobID := id + "&task_id=x#y"
		p, err := e.client.Progress(context.Background(), id, jobID)
		if err != nil {
			t.Errorf("task %q: %v", id, err)
			continue
		}
		if p.Status != StatusSucceeded {
			t.Errorf("task %q: status %d, want the task's own 2", id, p.Status)
		}
		if got := e.sim.TaskRequests(id); got != 1 {
			t.Errorf("task %q: simulator saw %d requests for it, want 1", id, got)
		}
		if got := e.sim.LastQuery(id); len(got) != 1 || len(got["job_id"]) != 1 || got.Get("job_id") != jobID {
			t.Errorf("task %q: query %v, want only job_id=%q", id, got, jobID)
		}
	}
}

// FuzzProgressURL checks, for any IDs, that the URL keeps the endpoint's
// host and the shape /v2/tasks/{one segment}/progress, that the segment
// decodes back to the task ID, that it is never a dot segment a proxy would
// resolve, and that the query holds job_id and nothing else.
func FuzzProgressURL(f *testing.F) {
	for _, id := range hostileIDs {
		f.Add(id, id)
	}
	f.Add("3f9a1c7e5b2d4f608a1e3c5b7d9f1a2b", "")
	c, err := NewClient("https://codearts-check.cn-north-4.myhuaweicloud.com/base", nil, nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, taskID, jobID string) {
		raw := c.progressURL(taskID, jobID)
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatalf("progressURL(%q, %q) = %q does not parse: %v", taskID, jobID, raw, err)
		}
		if u.Scheme != "https" || u.Host != "codearts-check.cn-north-4.myhuaweicloud.com" || u.Fragment != "" || u.User != nil {
			t.Fatalf("progressURL(%q, %q) = %q leaves the endpoint", taskID, jobID, raw)
		}
		const prefix, suffix = "/base/v2/tasks/", "/progress"
		path := u.EscapedPath()
		if len(path) < len(prefix)+len(suffix) || path[:len(prefix)] != prefix || path[len(path)-len(suffix):] != suffix {
			t.Fatalf("progressURL(%q, %q) path %q is not %s{id}%s", taskID, jobID, path, prefix, suffix)
		}
		segment := path[len(prefix) : len(path)-len(suffix)]
		for _, r := range segment {
			if r == '/' || r == '?' || r == '#' {
				t.Fatalf("progressURL(%q, %q): segment %q holds %q", taskID, jobID, segment, r)
			}
		}
		if segment == "." || segment == ".." {
			t.Fatalf("progressURL(%q, %q): dot segment %q", taskID, jobID, segment)
		}
		if id, err := url.PathUnescape(segment); err != nil || id != taskID {
			t.Fatalf("progressURL(%q, %q): segment %q decodes to %q (%v)", taskID, jobID, segment, id, err)
		}
		q, err := url.ParseQuery(u.RawQuery)
		if err != nil {
			t.Fatalf("progressURL(%q, %q): query %q: %v", taskID, jobID, u.RawQuery, err)
		}
		switch {
		case jobID == "" && len(q) != 0:
			t.Fatalf("progressURL(%q, \"\"): query %q, want none", taskID, u.RawQuery)
		case jobID != "" && (len(q) != 1 || len(q["job_id"]) != 1 || q.Get("job_id") != jobID):
			t.Fatalf("progressURL(%q, %q): query %q, want only job_id", taskID, jobID, u.RawQuery)
		}
	})
}
