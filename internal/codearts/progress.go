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
	if p, ok := decodeProgressTyped(trimmed); ok {
		return p, nil
	}
	return decodeProgressFields(trimmed)
}

// progressTyped is a progress answer as the service sends it, read by one
// json.Unmarshal.
type progressTyped struct {
	TaskStatus *int `json:"task_status"`
	Progress   *struct {
		Ratio *string `json:"ratio"`
		Info  *string `json:"info"`
	} `json:"progress"`
}

// decodeProgressTyped reads an answer whose fields all have their
// documented types in one pass, where decodeProgressFields takes one per
// field: on the progress path, that was the largest part of the
// exporter's own CPU per query (BENCHMARKS.md, "CPU against a bare
// client"). It gives the same Progress as decodeProgressFields, which
// FuzzDecodeProgress holds it to; false leaves anything else (a field of
// another type, a negative status, invalid JSON) to decodeProgressFields,
// which tells a bad status (an error) from a bad ratio or info (dropped).
func decodeProgressTyped(body []byte) (Progress, bool) {
	var b progressTyped
	if json.Unmarshal(body, &b) != nil {
		return Progress{}, false
	}
	p := Progress{Status: StatusNeverChecked}
	if b.TaskStatus != nil {
		if *b.TaskStatus < 0 {
			return Progress{}, false
		}
		p.Status = *b.TaskStatus
	}
	if b.Progress == nil {
		return p, true
	}
	if b.Progress.Ratio != nil {
		p.Ratio, p.HasRatio = ParseRatio(*b.Progress.Ratio)
	}
	if b.Progress.Info != nil {
		p.Info = *b.Progress.Info
	}
	return p, true
}

// decodeProgressFields decodes a progress answer (a JSON object) field by
// field.
func decodeProgressFields(trimmed []byte) (Progress, error) {
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
