package codearts

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Decoding of a check's report: ShowTaskDefectsStatisticV2 and
// ShowTaskDetailV2 (CodeArts Check API reference). Both answers are read
// field by field and nothing is taken on trust: a field that is absent,
// null, or not what the API reference says is unknown, never 0, so that the
// exporter leaves the series out instead of reporting a clean task.
//
// Every field of both SDK models is optional, so {} (or an object whose
// fields are all null) is a valid answer with no values: Empty reports it,
// and the collector reads it as "no report yet". Only an answer that is not
// a JSON object, a field of the wrong JSON type where an object is needed,
// or an object with members of which none is the call's (what an unrelated
// page looks like) is an error.

// Severities are the defect levels of codearts_check_task_defects, in the
// API's order; DefectStatuses the statuses of
// codearts_check_task_defects_by_status.
var (
	Severities     = [...]string{"critical", "major", "minor", "suggestion"}
	DefectStatuses = [...]string{"unresolved", "resolved", "dismissed"}
)

// decodeObject unmarshals body, which must be a JSON object, into v; what
// names the answer in the error.
func decodeObject(body []byte, what string, v any) error {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return fmt.Errorf("%s answer is not a JSON object: %s", what, truncate(trimmed))
	}
	if err := json.Unmarshal(trimmed, v); err != nil {
		return fmt.Errorf("%s answer: %w", what, err)
	}
	return nil
}

// hasAny reports whether fields has a member named in keys.
func hasAny(fields map[string]json.RawMessage, keys []string) bool {
	for _, k := range keys {
		if _, ok := fields[k]; ok {
			return true
		}
	}
	return false
}

// first calls read with the value of each of names present in fields, in
// order, until read reports that it found a usable value.
func first(fields map[string]json.RawMessage, names []string, read func(json.RawMessage) bool) {
	for _, name := range names {
		if raw, ok := fields[name]; ok && read(raw) {
			return
		}
	}
}

// maxCount is the largest count kept: every integer up to it is exact in
// the float64 a metric carries.
const maxCount = 1 << 53

// parseCount reads a count: a JSON number or a string of one, an integer
// from 0 to maxCount ("12", 12, 12.0 and " 12 " are 12). Anything else,
// null included, is not a count.
func parseCount(raw json.RawMessage) (int64, bool) {
	s, ok := numberText(raw)
	if !ok {
		return 0, false
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n < 0 || n > maxCount {
			return 0, false
		}
		return n, true
	}
	// 12.0 or 1.2e1: above 2^53 the float may already be rounded, so the
	// bound is strict here.
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v < 0 || v >= maxCount || v != math.Trunc(v) {
		return 0, false
	}
	return int64(v), true
}

// numberText returns the text of a JSON number, or the trimmed content of
// a JSON string that holds a plain decimal (digits and at most one point;
// no sign, exponent, hex or Inf, which ParseFloat would also take).
func numberText(raw json.RawMessage) (string, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "", false
	}
	if raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9' {
		return string(raw), true
	}
	var s string
	if raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	s = strings.TrimSpace(s)
	points := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '.':
			points++
		case c < '0' || c > '9':
			return "", false
		}
	}
	if s == "" || points > 1 || s == "." {
		return "", false
	}
	return s, true
}

// parsePercent reads a ratio given as a percentage string, "3.25%", into
// 0..1 (as ParseRatio).
func parsePercent(raw json.RawMessage) (float64, bool) {
	s, ok := jsonString(raw)
	if !ok {
		return 0, false
	}
	return ParseRatio(s) // null reads as "", which is no ratio
}

// beijing is the zone of the times the API writes without one (China
// Standard Time, UTC+8, no daylight saving), fixed so as not to depend on
// the tz database being installed.
var beijing = time.FixedZone("UTC+8", 8*60*60)

// timeLayouts are the forms a report time comes in: RFC 3339 with its
// zone ("2020-09-25T12:05:00Z"), and without a zone, in Beijing time, as in
// the summary's example ("2019-09-24 15:00:41"). Fractional seconds are
// accepted after the seconds of any of them.
var timeLayouts = []struct {
	layout string
	loc    *time.Location
}{
	{time.RFC3339, time.UTC},
	{"2006-01-02 15:04:05", beijing},
	{"2006-01-02T15:04:05", beijing},
}

// latestTime is the last instant RFC 3339 can write (a four-digit year):
// a later time could not be shown or compared with what the service wrote.
var latestTime = time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC)

// parseTime reads a report time from a JSON string, in UTC. A time not
// after 1970-01-01 (a placeholder such as "0001-01-01T00:00:00Z", or any
// negative Unix time) is not a time: no check ran then. Nor is one after
// latestTime, which only a zone offset past 9999-12-31 can give. Any time
// in between is kept exactly, 9999-12-31T23:59:59Z included.
func parseTime(raw json.RawMessage) (time.Time, bool) {
	s, ok := jsonString(raw)
	if !ok {
		return time.Time{}, false
	}
	s = strings.TrimSpace(s)
	for _, l := range timeLayouts {
		t, err := time.ParseInLocation(l.layout, s, l.loc)
		if err == nil {
			if t.Unix() <= 0 || t.After(latestTime) {
				return time.Time{}, false
			}
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}
