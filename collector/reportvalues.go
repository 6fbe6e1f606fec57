package collector

import (
	"time"
	"unicode/utf8"

	"github.com/codearts-check-exporter/codearts_check_exporter/config"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/codearts"
)

// Bits of reportValues.has: one per codearts.Severities and
// codearts.DefectStatuses, in order, then one per value.
const (
	hasSeverity0   = 1
	hasStatus0     = hasSeverity0 << len(codearts.Severities)
	hasCheckStart  = hasStatus0 << len(codearts.DefectStatuses)
	hasCheckEnd    = hasCheckStart << 1
	hasCodeLines   = hasCheckStart << 2
	hasDuplication = hasCheckStart << 3
	hasComment     = hasCheckStart << 4
	hasGate        = hasCheckStart << 5
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
	set := func(ok bool, bit uint16, dst *float64, value float64) {
		if ok {
			*dst, v.has = value, v.has|bit
		}
	}
	for i, s := range codearts.Severities {
		n, ok := r.Statistic.Severity[s]
		set(ok, hasSeverity0<<i, &v.severity[i], float64(n))
	}
	for i, s := range codearts.DefectStatuses {
		n, ok := r.Statistic.Status[s]
		set(ok, hasStatus0<<i, &v.status[i], float64(n))
	}
	start := r.Statistic.LastCheckStart
	if start.IsZero() {
		start = r.Summary.LastCheckTime // the start of the same check
	}
	// No check has a time before 1970 (the zero time too): such is unknown.
	set(start.Unix() >= 0, hasCheckStart, &v.checkStart, unixSeconds(start))
	end := r.Statistic.LastCheckEnd
	set(end.Unix() >= 0, hasCheckEnd, &v.checkEnd, unixSeconds(end))
	s := r.Summary
	set(s.HasCodeLines, hasCodeLines, &v.codeLines, float64(s.CodeLines))
	set(s.HasDuplicationRatio, hasDuplication, &v.duplication, s.DuplicationRatio)
	set(s.HasCommentRatio, hasComment, &v.comment, s.CommentRatio)
	set(s.HasQualityGate, hasGate, &v.gate, boolValue(s.QualityGatePassed))
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
	return string([]rune(s)[:config.MaxTaskNameLength])
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
