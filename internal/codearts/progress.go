package codearts

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Task states as the API reports them in task_status.
const (
	StatusNeverChecked = -1 // task_status null: the task was never checked
	StatusChecking     = 0
	StatusFailed       = 1
	StatusSucceeded    = 2
	StatusStopped      = 3
)

// Progress is a decoded ShowProgressDetailV2 answer.
type Progress struct {
	// Status is task_status, or StatusNeverChecked when it is null.
	// Values the API reference does not list are passed on as they are.
	Status int
	// Ratio is progress.ratio as 0..1; HasRatio is false when the ratio is
	// null, absent or not a percentage.
	Ratio    float64
	HasRatio bool
	// Info is progress.info: "running", "success" or free text.
	Info string
}

// Progress asks for a task's progress (ShowProgressDetailV2). jobID may be
// empty. It makes one attempt: whether and when to try again is the
// caller's choice (Retryable, RetryDelay; retry.go says why).
func (c *Client) Progress(ctx context.Context, taskID, jobID string) (Progress, error) {
	return get(ctx, c, c.progressURL(taskID, jobID), "progress", taskAttr(taskID), DecodeProgress)
}

// DecodeProgress decodes a 200 body of the progress call. A missing
// task_status means the same as null, never checked: the service's model
// marks every field omitempty, so {} is its answer for a task never
// checked. The body must still be a JSON object.
func DecodeProgress(body []byte) (Progress, error) {
	// The service's own answers skip reflection, once the largest part of
	// the exporter's CPU per query (BENCHMARKS.md); FuzzDecodeProgress
	// holds both ways to one result.
	if p, ok := scanProgress(body); ok {
		return p, nil
	}
	return decodeProgressFields(body)
}

// scanProgress reads an object of task_status (digits or null) and
// progress (null, or an object of ratio and info, each a string without
// escapes or null), each member at most once; false for anything else.
func scanProgress(body []byte) (Progress, bool) {
	s, p := scanner(body), Progress{Status: StatusNeverChecked}
	var seen uint8
	once := func(bit uint8) bool { first := seen&bit == 0; seen |= bit; return first }
	ok := s.object(func(key []byte) bool {
		switch {
		case string(key) == "task_status" && once(1):
			return s.word("null") || s.status(&p.Status)
		case string(key) == "progress" && once(2):
			return s.word("null") || s.object(func(key []byte) bool {
				var v []byte
				ok := false
				switch {
				case string(key) == "ratio" && once(4):
					v, ok = s.str()
					p.Ratio, p.HasRatio = ParseRatio(string(v))
				case string(key) == "info" && once(8):
					v, ok = s.str()
					p.Info = string(v)
				default:
					return false
				}
				return ok || s.word("null")
			})
		}
		return false
	})
	return p, ok && len(trimSpace(s)) == 0
}

// decodeProgressFields decodes a progress answer field by field: a bad
// status is an error, a ratio or info of the wrong type is dropped (the
// status is what alerts depend on, and the API reference already shows
// these fields changing between deployments).
func decodeProgressFields(body []byte) (Progress, error) {
	var b struct {
		TaskStatus json.RawMessage `json:"task_status"`
		Progress   *struct {
			Ratio json.RawMessage `json:"ratio"`
			Info  json.RawMessage `json:"info"`
		} `json:"progress"`
	}
	if err := decodeObject(body, "progress", &b); err != nil {
		return Progress{}, err
	}
	p := Progress{Status: StatusNeverChecked}
	if b.TaskStatus != nil && !bytes.Equal(b.TaskStatus, jsonNull) {
		var err error
		if p.Status, err = strconv.Atoi(string(b.TaskStatus)); err != nil || p.Status < 0 {
			return Progress{}, fmt.Errorf("progress answer: task_status %s is not a status", truncate(b.TaskStatus))
		}
	}
	if b.Progress != nil {
		ratio, _ := jsonString(b.Progress.Ratio)
		p.Ratio, p.HasRatio = ParseRatio(ratio)
		p.Info, _ = jsonString(b.Progress.Info)
	}
	return p, nil
}

// ParseRatio turns a progress ratio such as "50%", "33.3%" or " 7 % " into
// 0..1. Anything else (no %, not a number, outside 0..100) is not a ratio.
func ParseRatio(s string) (float64, bool) {
	number, ok := strings.CutSuffix(strings.TrimSpace(s), "%")
	if !ok {
		return 0, false
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(number), 64)
	if err != nil || math.IsNaN(v) || v < 0 || v > 100 {
		return 0, false
	}
	return v / 100, true
}
