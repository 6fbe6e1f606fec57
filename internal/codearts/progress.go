package codearts

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
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
	// Values the reference does not list yet are passed on as they are.
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
// every shape, must have been ruled out before (api.CheckResponse does
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
	switch {
	case b.TaskStatus == nil, bytes.Equal(b.TaskStatus, jsonNull):
	default:
		// Unmarshal has checked that the value is valid JSON, and of valid
		// JSON Atoi accepts exactly what json.Unmarshal into an int does:
		// integers. Strings, fractions, exponents and booleans fail both.
		// (A second Unmarshal per field was a visible share of the CPU
		// time per task query, BENCHMARKS.md.)
		status, err := strconv.Atoi(string(b.TaskStatus))
		if err != nil || status < 0 {
			return Progress{}, fmt.Errorf("progress answer: task_status %s is not a status", truncate(b.TaskStatus))
		}
		p.Status = status
	}
	if b.Progress == nil {
		return p, nil
	}
	// A ratio or info of the wrong type is dropped, not fatal: the status is
	// what alerts depend on, and the reference already shows these fields
	// changing between deployments.
	if ratio, ok := jsonString(b.Progress.Ratio); ok {
		p.Ratio, p.HasRatio = ParseRatio(ratio)
	}
	if info, ok := jsonString(b.Progress.Info); ok {
		p.Info = info
	}
	return p, nil
}

// jsonString decodes raw, a value json.Unmarshal has checked, as a JSON
// string, as json.Unmarshal into a string would (null is ""). Most values
// ("50%", "running") have no escape and are valid UTF-8: their content is
// the bytes between the quotes, taken as they are without a second decoder.
func jsonString(raw json.RawMessage) (string, bool) {
	if len(raw) >= 2 && raw[0] == '"' && bytes.IndexByte(raw, '\\') < 0 && utf8.Valid(raw) {
		return string(raw[1 : len(raw)-1]), true
	}
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
