package collector

import (
	"time"
	"unicode/utf8"

	"github.com/codearts-check-exporter/codearts_check_exporter/config"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/codearts"
)

// What the exporter keeps of a report, and serves (metrics.go).

// Bits of reportValues.has.
const (
	hasSeverity0 = 1 << iota // one bit per codearts.Severities, in order
	_
	_
	_
	hasStatus0 // one bit per codearts.DefectStatuses, in order
	_
	_
	hasCheckStart
	hasCheckEnd
	hasCodeLines
	hasDuplication
	hasComment
	hasGate
)

// reportValues is what the exporter serves of a task's report: the values
// of its series and nothing else (~120 bytes).
type reportValues struct {
	at                   time.Time // when it was read
	has                  uint16    // which values are known
	severity             [len(codearts.Severities)]float64
	status               [len(codearts.DefectStatuses)]float64
	checkStart, checkEnd float64 // Unix seconds
	codeLines            float64
	duplication, comment float64
	gate                 float64
	taskName, gitBranch  string // "" when the summary gives none
}

// newReportValues returns what the exporter serves of r, nil when r
// carries none of it (no report yet).
func newReportValues(r codearts.Report, at time.Time) *reportValues {
	v := &reportValues{at: at}
	for i, s := range codearts.Severities {
		if n, ok := r.Statistic.Severity[s]; ok {
			v.severity[i], v.has = float64(n), v.has|hasSeverity0<<i
		}
	}
	for i, s := range codearts.DefectStatuses {
		if n, ok := r.Statistic.Status[s]; ok {
			v.status[i], v.has = float64(n), v.has|hasStatus0<<i
		}
	}
	start := r.Statistic.LastCheckStart
	if start.IsZero() {
		// The summary's last_check_time is the start of the same check.
		start = r.Summary.LastCheckTime
	}
	if secs, ok := checkSeconds(start); ok {
		v.checkStart, v.has = secs, v.has|hasCheckStart
	}
	if secs, ok := checkSeconds(r.Statistic.LastCheckEnd); ok {
		v.checkEnd, v.has = secs, v.has|hasCheckEnd
	}
	s := r.Summary
	if s.HasCodeLines {
		v.codeLines, v.has = float64(s.CodeLines), v.has|hasCodeLines
	}
	if s.HasDuplicationRatio {
		v.duplication, v.has = s.DuplicationRatio, v.has|hasDuplication
	}
	if s.HasCommentRatio {
		v.comment, v.has = s.CommentRatio, v.has|hasComment
	}
	if s.HasQualityGate {
		v.gate, v.has = boolValue(s.QualityGatePassed), v.has|hasGate
	}
	v.taskName, v.gitBranch = labelText(s.TaskName), labelText(s.GitBranch)
	if v.has == 0 && v.taskName == "" && v.gitBranch == "" {
		return nil
	}
	return v
}

// labelText bounds a name from the API that becomes a label value as
// tasks[].name is bounded in the configuration.
func labelText(s string) string {
	if utf8.RuneCountInString(s) <= config.MaxTaskNameLength {
		return s
	}
	runes := []rune(s)
	return string(runes[:config.MaxTaskNameLength])
}

// checkSeconds is t in Unix seconds (unixSeconds), false for the zero time
// and for any time before 1970, which no check has: such a time is not
// exported.
func checkSeconds(t time.Time) (float64, bool) {
	if t.IsZero() || t.Unix() < 0 {
		return 0, false
	}
	return unixSeconds(t), true
}

// unixSeconds is t in Unix seconds, exactly: whole seconds plus the
// fraction, not through UnixNano, which wraps past the year 2262. Never
// negative: a time before 1970 is 0.
func unixSeconds(t time.Time) float64 {
	if t.Unix() < 0 {
		return 0
	}
	return float64(t.Unix()) + float64(t.Nanosecond())/1e9
}
