package codearts

import (
	"bytes"
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

type progressBody struct {
	TaskStatus json.RawMessage `json:"task_status"`
	Progress   *struct {
		Ratio json.RawMessage `json:"ratio"`
		Info  json.RawMessage `json:"info"`
	} `json:"progress"`
}

var jsonNull = []byte("null")

// DecodeProgress decodes a 200 body of the progress call. Error bodies, in
// every shape, must have been ruled out before (api.Caller.Do does
// it). A missing task_status means the same as null, never checked: the
// service's model marks every field omitempty, so {} is its answer for a
// task that was never checked. The body must still be a JSON object.
func DecodeProgress(body []byte) (Progress, error) {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return Progress{}, fmt.Errorf("progress answer is not a JSON object: %s", truncate(trimmed))
	}
	var b progressBody
	if err := json.Unmarshal(trimmed, &b); err != nil {
		return Progress{}, fmt.Errorf("progress answer: %w", err)
	}
	p := Progress{Status: StatusNeverChecked}
	if b.TaskStatus != nil && !bytes.Equal(b.TaskStatus, jsonNull) {
		var status int
		if err := json.Unmarshal(b.TaskStatus, &status); err != nil || status < 0 {
			return Progress{}, fmt.Errorf("progress answer: task_status %s is not a status", truncate(b.TaskStatus))
		}
		p.Status = status
	}
	if b.Progress == nil {
		return p, nil
	}
	// A ratio or info of the wrong type is dropped, not fatal: the status is
	// what alerts depend on, and the API reference already shows these
	// fields changing between deployments.
	if ratio, ok := jsonString(b.Progress.Ratio); ok {
		p.Ratio, p.HasRatio = ParseRatio(ratio)
	}
	if info, ok := jsonString(b.Progress.Info); ok {
		p.Info = info
	}
	return p, nil
}

// jsonString decodes raw as json.Unmarshal into a string does (null is "");
// false when raw is absent or not a string.
func jsonString(raw json.RawMessage) (string, bool) {
	var s string
	return s, json.Unmarshal(raw, &s) == nil
}

// ParseRatio turns a progress ratio such as "50%", "33.3%" or " 7 % " into
// 0..1. Anything else (no %, not a number, outside 0..100) is not a ratio.
func ParseRatio(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	number, ok := strings.CutSuffix(s, "%")
	if !ok {
		return 0, false
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(number), 64)
	if err != nil || math.IsNaN(v) || v < 0 || v > 100 {
		return 0, false
	}
	return v / 100, true
}

func truncate(b []byte) string {
	const max = 40
	if len(b) > max {
		return string(b[:max]) + "..."
	}
	return string(b)
}
