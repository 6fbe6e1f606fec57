package codearts

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
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

// DefectsStatistic is a decoded ShowTaskDefectsStatisticV2 answer.
type DefectsStatistic struct {
	// Severity maps each level of Severities that the answer gave as a
	// count to the number of open defects; a level left out, null or not a
	// count is absent from the map.
	Severity map[string]int64
	// Status maps the statuses of DefectStatuses the same way. Newer
	// answers split resolved into fixed and solved; when resolved itself is
	// missing it is their sum.
	Status map[string]int64
	// LastCheckStart and LastCheckEnd are the start and end of the latest
	// check (last_check_time, last_check_finish_time), in UTC; zero when
	// the answer gave none or not a time (see parseTime).
	LastCheckStart, LastCheckEnd time.Time
}

// Empty reports whether the answer gave none of the statistic's values:
// no count and no time, as in {} or an answer of nulls.
func (st DefectsStatistic) Empty() bool {
	return len(st.Severity) == 0 && len(st.Status) == 0 && st.LastCheckStart.IsZero() && st.LastCheckEnd.IsZero()
}

// DefectsSummary is a decoded ShowTaskDetailV2 answer, in either of the
// shapes the API reference documents (see DecodeDefectsSummary).
type DefectsSummary struct {
	// TaskName and GitBranch are "" when the answer has none.
	TaskName, GitBranch string
	// CodeLines is code_line, the valid (non-blank, non-comment) lines.
	CodeLines    int64
	HasCodeLines bool
	// DuplicationRatio and CommentRatio are 0..1 ("3.25%" is 0.0325).
	DuplicationRatio    float64
	HasDuplicationRatio bool
	CommentRatio        float64
	HasCommentRatio     bool
	// QualityGatePassed is the quality gate's verdict (is_access, see
	// ParseQualityGate); HasQualityGate is false when it is unknown.
	QualityGatePassed bool
	HasQualityGate    bool
	// UnknownQualityGate is is_access as sent when it was present but not
	// understood (not null, not a value ParseQualityGate knows), so that
	// the value can be logged: at most maxUnknownGateLen bytes, valid UTF-8,
	// JSON strings unquoted and other JSON values as sent. "" otherwise.
	UnknownQualityGate string
	// LastCheckTime is when the latest check ran, in UTC; zero if not given.
	LastCheckTime time.Time
}

// Empty reports whether the answer gave none of the summary's values (code
// lines, ratios, quality gate, check time), as in {} or an answer of
// nulls. The task's name and branch are labels, not values, and do not
// count.
func (s DefectsSummary) Empty() bool {
	return !s.HasCodeLines && !s.HasDuplicationRatio && !s.HasCommentRatio && !s.HasQualityGate && s.LastCheckTime.IsZero()
}

// DecodeDefectsStatistic decodes a 200 body of the defects-statistic call
// (error_code already ruled out by api.Caller.Do). Counts may come as
// JSON numbers or as strings of digits.
func DecodeDefectsStatistic(body []byte) (DefectsStatistic, error) {
	var b struct {
		Severity map[string]json.RawMessage `json:"severity"`
		Status   map[string]json.RawMessage `json:"status"`
		Start    json.RawMessage            `json:"last_check_time"`
		Finish   json.RawMessage            `json:"last_check_finish_time"`
	}
	if err := decodeObject(body, "defects statistic", &b); err != nil {
		return DefectsStatistic{}, err
	}
	var top map[string]json.RawMessage
	_ = json.Unmarshal(body, &top) // an object: decodeObject checked it
	if len(top) > 0 && !hasAny(top, statisticKnownKeys) {
		return DefectsStatistic{}, errors.New("defects statistic answer has none of the statistic's fields")
	}
	st := DefectsStatistic{Severity: map[string]int64{}, Status: map[string]int64{}}
	for _, level := range Severities {
		if n, ok := parseCount(b.Severity[level]); ok {
			st.Severity[level] = n
		}
	}
	for _, status := range DefectStatuses {
		if n, ok := parseCount(b.Status[status]); ok {
			st.Status[status] = n
		}
	}
	if _, ok := st.Status["resolved"]; !ok {
		fixed, okFixed := parseCount(b.Status["fixed"])
		solved, okSolved := parseCount(b.Status["solved"])
		if okFixed && okSolved && fixed <= maxCount-solved {
			st.Status["resolved"] = fixed + solved
		}
	}
	st.LastCheckStart, _ = parseTime(b.Start)
	st.LastCheckEnd, _ = parseTime(b.Finish)
	return st, nil
}

// statisticKnownKeys are the documented fields of the statistic answer.
var statisticKnownKeys = []string{"severity", "status", "last_check_time", "last_check_finish_time"}

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

// summaryFields are the names of each DefectsSummary field in the schema
// shape (snake_case, first) and in the example shape (camelCase). The API
// reference's example shows codeLine, lastCheckTime and branch; the other
// camelCase names follow the same rule.
var summaryFields = struct {
	taskName, branch, codeLine, duplication, comment, gate, lastCheck []string
}{
	taskName:    []string{"task_name", "taskName"},
	branch:      []string{"git_branch", "gitBranch", "branch"},
	codeLine:    []string{"code_line", "codeLine"},
	duplication: []string{"duplication_ratio", "duplicationRatio"},
	comment:     []string{"comment_ratio", "commentRatio"},
	gate:        []string{"is_access", "isAccess"},
	lastCheck:   []string{"last_check_time", "lastCheckTime"},
}

// summaryKnownKeys are all the documented fields of the answer, in both
// shapes: an object with none of them is not a summary.
var summaryKnownKeys = strings.Fields(`task_id task_name creator_id git_url git_branch
	last_check_time last_exec_time check_type created_at trigger_type code_line_total code_line
	issue_count complexity_count duplicated_lines comment_lines duplicated_blocks code_quality
	risk_coefficient duplication_ratio comment_ratio file_duplication_ratio
	cyclomatic_complexity_per_method cyclomatic_complexity_per_file critical_count major_count
	minor_count suggestion_count is_access
	taskId taskName gitBranch branch codeLineTotal codeLine lastCheckTime codeQuality
	riskCoefficient duplicationRatio commentRatio isAccess defectInfo defectStatusInfo`)

// DecodeDefectsSummary decodes a 200 body of the defects-summary call
// (error_code already ruled out). It reads both shapes of the API
// reference: the schema's flat snake_case object with typed fields, and the
// example's {"result":{"info":{...}}} with camelCase names and every number
// a string. Counts may be numbers or strings either way; ratios must be
// percentages ("3.25%"): a bare number could be a percentage or a
// fraction, so it is unknown. Times are read as parseTime says.
func DecodeDefectsSummary(body []byte) (DefectsSummary, error) {
	var top map[string]json.RawMessage
	if err := decodeObject(body, "defects summary", &top); err != nil {
		return DefectsSummary{}, err
	}
	fields := top
	if raw, ok := top["result"]; ok {
		// {"result":null}, {"result":{}} and {"result":{"info":null}} are
		// the example shape's {}: no report yet.
		var result struct {
			Info map[string]json.RawMessage `json:"info"`
		}
		if err := decodeObject(raw, "defects summary result", &result); err != nil && !bytes.Equal(bytes.TrimSpace(raw), jsonNull) {
			return DefectsSummary{}, fmt.Errorf("defects summary answer: result %s is not an object with an info object", truncate(raw))
		}
		fields = result.Info
	}
	if len(fields) > 0 && !hasAny(fields, summaryKnownKeys) {
		return DefectsSummary{}, errors.New("defects summary answer has none of the summary's fields")
	}

	var s DefectsSummary
	first(fields, summaryFields.taskName, func(raw json.RawMessage) bool {
		return json.Unmarshal(raw, &s.TaskName) == nil && s.TaskName != ""
	})
	first(fields, summaryFields.branch, func(raw json.RawMessage) bool {
		return json.Unmarshal(raw, &s.GitBranch) == nil && s.GitBranch != ""
	})
	first(fields, summaryFields.codeLine, func(raw json.RawMessage) bool {
		s.CodeLines, s.HasCodeLines = parseCount(raw)
		return s.HasCodeLines
	})
	first(fields, summaryFields.duplication, func(raw json.RawMessage) bool {
		s.DuplicationRatio, s.HasDuplicationRatio = parsePercent(raw)
		return s.HasDuplicationRatio
	})
	first(fields, summaryFields.comment, func(raw json.RawMessage) bool {
		s.CommentRatio, s.HasCommentRatio = parsePercent(raw)
		return s.HasCommentRatio
	})
	first(fields, summaryFields.gate, func(raw json.RawMessage) bool {
		s.QualityGatePassed, s.HasQualityGate = parseGate(raw)
		if !s.HasQualityGate && s.UnknownQualityGate == "" && !bytes.Equal(bytes.TrimSpace(raw), jsonNull) {
			s.UnknownQualityGate = unknownGate(raw)
		}
		return s.HasQualityGate
	})
	if s.HasQualityGate {
		s.UnknownQualityGate = ""
	}
	first(fields, summaryFields.lastCheck, func(raw json.RawMessage) bool {
		var ok bool
		s.LastCheckTime, ok = parseTime(raw)
		return ok
	})
	return s, nil
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

// parseGate reads is_access from raw: a JSON string, boolean or number.
func parseGate(raw json.RawMessage) (passed, known bool) {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return false, false
	}
	switch v := v.(type) {
	case string:
		return ParseQualityGate(v)
	case bool:
		return v, true
	case float64:
		switch v {
		case 1:
			return true, true
		case 0:
			return false, true
		}
	}
	return false, false
}

// ParseQualityGate reads the quality gate's verdict, is_access ("门禁质量是否
// 通过", whether the quality gate passed; a string in the API reference and
// the SDK model, whose values neither lists). Ignoring case and surrounding
// space:
//
//	passed: "1", "true", "yes", "y", "pass", "passed", "success", "通过"
//	failed: "0", "false", "no", "n", "fail", "failed", "failure", "error", "未通过", "不通过"
//
// success and error are the service's own words for gate results on the
// task-list call (review_result_types=success|error).
//
// Anything else ("", "-1", "2", "unknown", "null", a gate not configured)
// is unknown, so that a value nobody has seen yet never pages anyone as a
// failed gate, nor hides one as a passed gate.
func ParseQualityGate(s string) (passed, known bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "1", "true", "yes", "y", "pass", "passed", "success", "通过":
		return true, true
	case "0", "false", "no", "n", "fail", "failed", "failure", "error", "未通过", "不通过":
		return false, true
	}
	return false, false
}

// maxUnknownGateLen bounds DefectsSummary.UnknownQualityGate: enough to
// recognise a wording, too little for an answer to fill a log line.
const maxUnknownGateLen = 64

// unknownGate is raw, an is_access value not understood, as it can be
// logged: a string unquoted, anything else as sent, made valid UTF-8 and
// cut at a character boundary to maxUnknownGateLen bytes.
func unknownGate(raw json.RawMessage) string {
	text := string(bytes.TrimSpace(raw))
	if s, ok := jsonString(raw); ok {
		text = s
	}
	text = strings.ToValidUTF8(text, "\uFFFD")
	if len(text) <= maxUnknownGateLen {
		return strings.Clone(text)
	}
	cut := maxUnknownGateLen
	for cut > 0 && !utf8.RuneStart(text[cut]) {
		cut--
	}
	return strings.Clone(text[:cut])
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
