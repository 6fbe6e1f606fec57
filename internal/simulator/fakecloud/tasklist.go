package fakecloud

import (
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"time"
)

// CodeArts Check's ShowTaskListByProjectIdV2,
// GET /v2/{project_id}/tasks?offset=&limit=, for discovery.
//
// The API reference leaves the meaning of offset open (a page index, 0- or
// 1-based, or an item offset), so the simulator serves each reading
// (SetOffsetMode) and the exporter is tested against all of them. A
// request goes through: authentication, project lookup (unknown: HTTP
// 200 + CC.00050013), parameter check (HTTP 200 + CC.00050000),
// Hooks.Intercept, then the page (which Hooks.Page may change). Tasks are
// listed in ID order.

// OffsetMode is what the task list's offset parameter counts.
type OffsetMode int

const (
	OffsetPage0 OffsetMode = iota // page index from 0: offset=1 is the second page (the default)
	OffsetPage1                   // page index from 1: offset=0 and offset=1 are both the first page
	OffsetItems                   // item offset: offset=100 starts at the 101st task
)

// Limits of the task list's query parameters, from the API reference.
const (
	defaultListLimit = 10
	maxListLimit     = 100
	maxListOffset    = 999999
)

// taskListState is the task list's side of the server, guarded by Server.mu.
type taskListState struct {
	projects map[string]bool
	mode     OffsetMode
}

// AddProject makes a CodeArts project exist. Its tasks are the tasks (set
// with SetTask, or the demo's) whose ProjectID is id.
func (s *Server) AddProject(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lists.projects == nil {
		s.lists.projects = map[string]bool{}
	}
	s.lists.projects[id] = true
}

// RemoveProject makes the project unknown: listing it answers HTTP 200 +
// CC.00050013. Its tasks stay (their progress can still be asked for).
func (s *Server) RemoveProject(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.lists.projects, id)
}

// SetOffsetMode selects what offset counts in task list requests.
func (s *Server) SetOffsetMode(m OffsetMode) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lists.mode = m
}

// parseTaskListPath extracts the project ID from an escaped
// /v2/{project_id}/tasks path.
func parseTaskListPath(escaped string) (string, bool) {
	return pathSegment(escaped, "/v2/", "/tasks")
}

// TaskPage is the 200 answer.
type TaskPage struct {
	Tasks []TaskListItem `json:"tasks"`
	Total int            `json:"total"`
}

// TaskListItem is one task of a TaskPage.
type TaskListItem struct {
	TaskID        string `json:"task_id"`
	TaskName      string `json:"task_name"`
	CreatorID     string `json:"creator_id"`
	GitURL        string `json:"git_url"`
	GitBranch     string `json:"git_branch"`
	CreatedAt     string `json:"created_at"`
	LastCheckTime string `json:"last_check_time,omitempty"`
}

func (s *Server) serveTaskList(w http.ResponseWriter, r *http.Request, projectID string) {
	if e := s.authorize(r); e != nil {
		s.writeError(w, e)
		return
	}
	s.mu.Lock()
	known := s.lists.projects[projectID]
	s.mu.Unlock()
	if !known {
		s.writeError(w, ServiceError(http.StatusOK, "CC.00050013", "project does not exist"))
		return
	}
	offset, limit, ok := listParams(r.URL.Query())
	if !ok {
		s.writeError(w, ServiceError(http.StatusOK, "CC.00050000", "parameters not valid"))
		return
	}
	if s.intercept(w, r, CallTaskList, projectID) {
		return
	}
	page := s.taskPage(projectID, offset, limit)
	if s.hooks.Page != nil {
		s.hooks.Page(projectID, &page)
	}
	WriteJSON(w, http.StatusOK, page)
}

// listParams reads offset and limit, applying the documented defaults.
func listParams(q url.Values) (offset, limit int, ok bool) {
	offset, limit = 0, defaultListLimit
	var err error
	if v := q.Get("offset"); v != "" {
		if offset, err = strconv.Atoi(v); err != nil || offset < 0 || offset > maxListOffset {
			return 0, 0, false
		}
	}
	if v := q.Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > maxListLimit {
			return 0, 0, false
		}
	}
	return offset, limit, true
}

// taskPage renders one page of the project's tasks.
func (s *Server) taskPage(projectID string, offset, limit int) TaskPage {
	s.mu.Lock()
	defer s.mu.Unlock()
	var tasks []Task
	for id := range s.tasks {
		if t, _ := s.lookupTask(id); t.ProjectID == projectID {
			tasks = append(tasks, t)
		}
	}
	for id := range s.demo {
		if t, _ := s.lookupTask(id); t.ProjectID == projectID {
			tasks = append(tasks, t)
		}
	}
	sort.Slice(tasks, func(i, j int) bool { return tasks[i].ID < tasks[j].ID })

	start := s.pageStart(offset, limit)
	body := TaskPage{Tasks: []TaskListItem{}, Total: len(tasks)}
	created := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Format(time.RFC3339)
	for i := start; i < len(tasks) && i < start+limit; i++ {
		t := tasks[i]
		lastCheck := ""
		if at, ok := s.lastCheckTime(t); ok {
			lastCheck = at.UTC().Format(time.RFC3339)
		}
		body.Tasks = append(body.Tasks, TaskListItem{
			TaskID:        t.ID,
			TaskName:      t.Name,
			CreatorID:     "0123456789abcdef0123456789abcdef",
			GitURL:        "https://codehub.example/" + projectID + "/" + t.Name + ".git",
			GitBranch:     t.GitBranch,
			CreatedAt:     created,
			LastCheckTime: lastCheck,
		})
	}
	return body
}

// pageStart is the index of the first task of the page offset and limit
// ask for. s.mu is held.
func (s *Server) pageStart(offset, limit int) int {
	switch s.lists.mode {
	case OffsetItems:
		return offset
	case OffsetPage1:
		return (max(offset, 1) - 1) * limit
	default:
		return offset * limit
	}
}

// PageIndex is the index of the page a valid task list request asks for
// (0 = the first page), whatever the OffsetMode, and its limit.
func (s *Server) PageIndex(r *http.Request) (index, limit int) {
	offset, limit, ok := listParams(r.URL.Query())
	if !ok {
		return 0, defaultListLimit
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pageStart(offset, limit) / limit, limit
}
