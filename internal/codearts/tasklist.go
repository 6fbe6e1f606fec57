package codearts

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
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
	// across the task and its branch tasks; zero when never checked.
	// LastCheckValid is false when the value could not be read
	// (parseLastCheckTime), and LastCheckRaw then says, bounded, what it was.
	LastCheckTime  time.Time
	LastCheckValid bool
	LastCheckRaw   string
}

// TaskPage is one decoded ShowTaskListByProjectIdV2 answer.
type TaskPage struct {
	Tasks []ListedTask
	Total int // tasks in the project, across all pages
}

// Listing is the outcome of listing every page of one project's tasks, as
// package discovery lists them for itself and on a collection's behalf.
type Listing struct {
	Tasks []ListedTask // every task, with a usable ID; nil when Err is set
	Err   error
	At    time.Time // when the listing ended
}

// TaskList asks for one page of a CodeArts project's tasks
// (ShowTaskListByProjectIdV2). projectID is the CodeArts project, not the
// IAM project. What offset counts is left open by the API reference; the
// caller (package discovery) copes with every reading. "Try again"
// failures other than a throttle are retried here (retry.go).
func (c *Client) TaskList(ctx context.Context, projectID string, offset, limit int) (TaskPage, error) {
	u := c.projectURL(projectID, "/tasks", offset, limit, url.Values{})
	var page TaskPage
	err := withRetries(ctx, func() error {
		var err error
		page, err = get(ctx, c, u, "task_list", projectAttr(projectID), DecodeTaskList)
		return err
	})
	return page, err
}

// DecodeTaskList decodes a 200 body of the task list call. A body without
// an integer total, or without tasks while total is not 0, is an error
// rather than an empty project: an empty project makes every discovered
// task's series go.
func DecodeTaskList(body []byte) (TaskPage, error) {
	var b struct {
		Tasks *[]struct {
			TaskID        string          `json:"task_id"`
			TaskName      string          `json:"task_name"`
			GitBranch     string          `json:"git_branch"`
			LastCheckTime json.RawMessage `json:"last_check_time"`
		} `json:"tasks"`
		Total json.RawMessage `json:"total"`
	}
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
		lt := ListedTask{ID: t.TaskID, Name: t.TaskName, GitBranch: t.GitBranch}
		lt.LastCheckTime, lt.LastCheckValid = parseLastCheckTime(t.LastCheckTime)
		if !lt.LastCheckValid {
			lt.LastCheckRaw = truncate(t.LastCheckTime)
		}
		page.Tasks = append(page.Tasks, lt)
	}
	return page, nil
}

// The years a check can have run in.
const minCheckYear, maxCheckYear = 2000, 2999

// parseLastCheckTime reads a task's last_check_time. Absent, null or "" is
// a task never checked: the zero time, valid. A time as parseTime reads it,
// within the years above, is that time. Anything else is not valid, which
// spoils neither the page nor the other tasks: the collector only falls
// back to that task's progress.
func parseLastCheckTime(raw json.RawMessage) (time.Time, bool) {
	if len(raw) == 0 || bytes.Equal(raw, jsonNull) || bytes.Equal(raw, []byte(`""`)) {
		return time.Time{}, true
	}
	at, ok := parseTime(raw)
	if !ok || at.Year() < minCheckYear || at.Year() > maxCheckYear {
		return time.Time{}, false
	}
	return at, true
}
