package codearts

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

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
	// UnknownQualityGate is is_access when it was present but not understood
	// (not null, not a value ParseQualityGate knows), bounded so that it can
	// be logged (unknownGate); "" otherwise.
	UnknownQualityGate string
	// LastCheckTime is when the latest check ran, in UTC; zero if not given.
	LastCheckTime time.Time
}

// summaryKnownKeys are all the documented fields of the answer, in both
// shapes: an object with none of them is not a summary.
var summaryKnownKeys = strings.Fields(`task_id task_name creator_id git_url git_branch last_check_time last_exec_time
	check_type created_at trigger_type code_line_total code_line issue_count complexity_count duplicated_lines
	comment_lines duplicated_blocks code_quality risk_coefficient duplication_ratio comment_ratio
	file_duplication_ratio cyclomatic_complexity_per_method cyclomatic_complexity_per_file critical_count
	major_count minor_count suggestion_count is_access taskId taskName gitBranch branch codeLineTotal codeLine
	lastCheckTime codeQuality riskCoefficient duplicationRatio commentRatio isAccess defectInfo defectStatusInfo`)

// DecodeDefectsSummary decodes a 200 body of the defects-summary call, in
// both shapes of the API reference: the schema's flat snake_case object,
// and the example's {"result":{"info":{...}}} with camelCase names and
// every number a string; a usable snake_case value wins. Counts may be
// numbers or strings; ratios must be percentages ("3.25%"): a bare number
// could be a percentage or a fraction.
func DecodeDefectsSummary(body []byte) (DefectsSummary, error) {
	var fields map[string]json.RawMessage
	if err := decodeObject(body, "defects summary", &fields); err != nil {
		return DefectsSummary{}, err
	}
	if raw, ok := fields["result"]; ok {
		// {"result":null}, {"result":{}} and {"result":{"info":null}} are
		// the example shape's {}: no report yet.
		var result struct {
			Info map[string]json.RawMessage `json:"info"`
		}
		if json.Unmarshal(raw, &result) != nil {
			return DefectsSummary{}, fmt.Errorf("defects summary answer: result %s is not an object with an info object",
				truncate(raw))
		}
		fields = result.Info
	}
	if len(fields) > 0 && !hasAny(fields, summaryKnownKeys) {
		return DefectsSummary{}, errors.New("defects summary answer has none of the summary's fields")
	}
	var s DefectsSummary
	s.TaskName, _ = pick(fields, nonEmptyString, "task_name", "taskName")
	s.GitBranch, _ = pick(fields, nonEmptyString, "git_branch", "gitBranch", "branch")
	s.CodeLines, s.HasCodeLines = pick(fields, parseCount, "code_line", "codeLine")
	s.DuplicationRatio, s.HasDuplicationRatio = pick(fields, parsePercent, "duplication_ratio", "duplicationRatio")
	s.CommentRatio, s.HasCommentRatio = pick(fields, parsePercent, "comment_ratio", "commentRatio")
	s.QualityGatePassed, s.HasQualityGate = pick(fields, parseGate, "is_access", "isAccess")
	s.LastCheckTime, _ = pick(fields, parseTime, "last_check_time", "lastCheckTime")
	if !s.HasQualityGate {
		s.UnknownQualityGate, _ = pick(fields, unknownGate, "is_access", "isAccess")
	}
	return s, nil
}

func nonEmptyString(raw json.RawMessage) (string, bool) {
	s, _ := jsonString(raw)
	return s, s != ""
}

// parseGate reads is_access from raw: a JSON string, boolean or number.
func parseGate(raw json.RawMessage) (passed, known bool) {
	if s, ok := jsonString(raw); ok {
		return ParseQualityGate(s)
	}
	if v, err := strconv.ParseFloat(string(raw), 64); err == nil {
		return v == 1, v == 1 || v == 0
	}
	return ParseQualityGate(string(raw)) // true, false; null and the rest are unknown
}

// ParseQualityGate reads the quality gate's verdict, is_access ("门禁质量是否
// 通过"), whose values neither the API reference nor the SDK lists: the
// usual words for yes and no, ignoring case and surrounding space, and the
// service's own words for gate results elsewhere (success, error). Anything
// else ("", "2", "unknown", a gate not configured) is unknown, so that a
// value nobody has seen yet never pages anyone as a failed gate, nor hides
// one as a passed gate.
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
// cut at a character boundary to maxUnknownGateLen bytes; false when that
// leaves nothing, or raw is null.
func unknownGate(raw json.RawMessage) (string, bool) {
	text := string(raw)
	if s, ok := jsonString(raw); ok {
		text = s
	}
	text = strings.ToValidUTF8(text, "\uFFFD")
	cut := min(len(text), maxUnknownGateLen)
	for cut < len(text) && cut > 0 && !utf8.RuneStart(text[cut]) {
		cut--
	}
	return strings.Clone(text[:cut]), cut > 0 && !bytes.Equal(raw, jsonNull)
}
