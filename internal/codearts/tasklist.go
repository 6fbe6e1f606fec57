package codearts

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"
)

// MaxTaskListLimit is the largest page ShowTaskListByProjectIdV2 serves.
const MaxTaskListLimit = 100

// ListedTask is one entry of a task list page. Only what the exporter
// uses is kept; the IDs are as the API sent them, unchecked.
type ListedTask struct {
	ID        string
	Name      string
	GitBranch string
	// LastCheckTime is the task's last_check_time in UTC: the latest check
	// across the task and its branch tasks; zero when the answer has none
	// (never checked). LastCheckValid is false when the answer's value is
	// not a time within bounds (see parseLastCheckTime): then nothing can
	// be told from it.
	LastCheckTime  time.Time
	LastCheckValid bool
	// LastCheckRaw is what the answer said when it is not valid, bounded,
	// so that a log can say what it was.
	LastCheckRaw string
}

// TaskPage is one decoded ShowTaskListByProjectIdV2 answer.
type TaskPage struct {
	Tasks []ListedTask
	// Total is the number of tasks in the project, across all pages.
	Total int
}

// TaskList asks for one page of a CodeArts project's tasks
// (ShowTaskListByProjectIdV2). projectID is the CodeArts project, not the
// IAM project. What offset counts is left open by the API reference; the
// caller (package discovery) copes with every reading. Credentials refused
// are handled as for Progress; "try again" failures other than a throttle
// are retried here (retry.go).
func (c *Client) TaskList(ctx context.Context, projectID string, offset, limit int) (TaskPage, error) {
	u := c.taskListURL(projectID, offset, limit)
	var page TaskPage
	err := withRetries(ctx, func() error {
		var err error
		page, err = get(ctx, c, u, "task_list", projectAttr(projectID), DecodeTaskList)
		return err
	})
	return page, err
}

// taskListURL builds /v2/{project_id}/tasks?offset=&limit=, the project ID
// escaped as one path segment.
func (c *Client) taskListURL(projectID string, offset, limit int) string {
	u := *c.endpoint
	u.Path = c.endpoint.Path + "/v2/" + projectID + "/tasks"
	u.RawPath = c.endpoint.EscapedPath() + "/v2/" + url.PathEscape(projectID) + "/tasks"
	u.RawQuery = url.Values{"offset": {strconv.Itoa(offset)}, "limit": {strconv.Itoa(limit)}}.Encode()
	return u.String()
}

type taskListBody struct {
	Tasks *[]struct {
		TaskID        string          `json:"task_id"`
		TaskName      string          `json:"task_name"`
		GitBranch     string          `json:"git_branch"`
		LastCheckTime json.RawMessage `json:"last_check_time"`
	} `json:"tasks"`
	Total json.RawMessage `json:"total"`
}

// DecodeTaskList decodes a 200 body of the task list call (error_code
// already ruled out by api.Caller.Do). A body without an integer total,
// or without tasks while total is not 0, is an error rather than an empty
// project: an empty project makes every discovered task's series go.
func DecodeTaskList(body []byte) (TaskPage, error) {
	var b taskListBody
	if err := json.Unmarshal(body, &b); err != nil {
		return TaskPage{}, fmt.Errorf("task list answer: %w", err)
	}
	if b.Total == nil || bytes.Equal(b.Total, jsonNull) {
		return TaskPage{}, errors.New("task list answer has no total")
	}
	var page TaskPage
	if err := json.Unmarshal(b.Total, &page.Total); err != nil || page.Total < 0 {
		return TaskPage{}, fmt.Errorf("task list answer: total %s is not a count", truncate(b.Total))
	}
	if b.Tasks == nil {
		// A null or absent list is believable for an empty project only.
		if page.Total == 0 {
			return page, nil
		}
		return TaskPage{}, fmt.Errorf("task list answer has no tasks but a total of %d", page.Total)
	}
	page.Tasks = make([]ListedTask, 0, len(*b.Tasks))
	for _, t := range *b.Tasks {
		at, valid := parseLastCheckTime(t.LastCheckTime)
		lt := ListedTask{ID: t.TaskID, Name: t.TaskName, GitBranch: t.GitBranch, LastCheckTime: at, LastCheckValid: valid}
		if !valid {
			lt.LastCheckRaw = truncate(t.LastCheckTime)
		}
		page.Tasks = append(page.Tasks, lt)
	}
	return page, nil
}

// Bounds of a last_check_time the exporter believes: the service writes
// yyyy-MM-ddTHH:mm:ssZ (20 bytes); anything much longer, or a year no
// check can have run in, is not a time but damage or hostility.
const (
	maxCheckTimeLength = 40
	minCheckYear       = 2000
	maxCheckYear       = 2999
)

// parseLastCheckTime reads a task's last_check_time. Absent, null or ""
// is a task never checked: the zero time, valid. A string in one of the
// forms report times come in (RFC 3339, or the summary example's
// "2006-01-02 15:04:05" in Beijing time; parseTime) within the bounds above
// is that time in UTC. Anything else (another type, another format, out of
// bounds) is not valid. One task's bad value spoils neither the page nor
// the other tasks: the collector only falls back to that task's progress.
func parseLastCheckTime(raw json.RawMessage) (time.Time, bool) {
	if len(raw) == 0 || bytes.Equal(raw, jsonNull) || bytes.Equal(raw, []byte(`""`)) {
		return time.Time{}, true
	}
	if len(raw) > maxCheckTimeLength+2 {
		return time.Time{}, false
	}
	at, ok := parseTime(raw)
	if !ok || at.Year() < minCheckYear || at.Year() > maxCheckYear {
		return time.Time{}, false
	}
	return at, true
}
