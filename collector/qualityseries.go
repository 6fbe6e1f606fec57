package collector

import (
	dto "github.com/prometheus/client_model/go"

	"github.com/codearts-check-exporter/codearts_check_exporter/internal/codearts"
)

// The series of a task's report (quality.go), served from the last good
// read like progress values, each absent while unknown.
var (
	maxQualitySeries    = len(codearts.Severities) + len(codearts.DefectStatuses) + int(famQualitySuccess-famDefects) - 1
	maxQualityLabelSets = len(codearts.Severities) + len(codearts.DefectStatuses)
)

const (
	defectsHelp         = "Open defects of the task's latest report, by severity (critical, major, minor, suggestion). Absent for a level the API did not give. Read when a check finishes, not on every scrape; see codearts_check_task_quality_last_success_timestamp_seconds."
	defectsByStatusHelp = "Defects of the task's latest report, by status (unresolved, resolved, dismissed); resolved is fixed + solved when the API gives only those."
	checkStartHelp      = "Unix time the task's latest check started, from its report; absent when the API gives none."
	checkEndHelp        = "Unix time the task's latest check ended, from its report; absent when the API gives none."
	codeLinesHelp       = "Valid lines of code (code_line) of the task's latest report."
	duplicationHelp     = "Duplicated code of the task's latest report as 0..1 (\"3.25%\" is 0.0325); absent unless the API gives a percentage."
	commentHelp         = "Comment lines of the task's latest report as 0..1; absent unless the API gives a percentage."
	qualityGateHelp     = "1 if the task's latest report passed its quality gate, 0 if it failed (is_access: 1, true, pass... / 0, false, fail...); absent when unknown."
	qualitySuccessHelp  = "Unix time the task's report was last read successfully; how old the served report series are."
)

// Label pairs of the report series' second label, shared by every task.
var (
	severityLabel = "severity"
	statusLabel   = "status"
	severityPairs = labelPairs(&severityLabel, codearts.Severities[:])
	statusPairs   = labelPairs(&statusLabel, codearts.DefectStatuses[:])
)

func labelPairs(name *string, values []string) []dto.LabelPair {
	pairs := make([]dto.LabelPair, len(values))
	for i := range values {
		pairs[i].Name, pairs[i].Value = name, &values[i]
	}
	return pairs
}

// reportSeries sends the series of report r of the task labelled id (its
// task_id pair alone).
func (b *seriesBuilder) reportSeries(emit func(familyID, float64, []*dto.LabelPair), r *reportValues, id []*dto.LabelPair) {
	var taskID *dto.LabelPair
	if id != nil {
		taskID = id[0]
	}
	for i := range r.severity {
		if r.has&(hasSeverity0<<i) != 0 {
			// Sorted by name: severity before task_id.
			emit(famDefects, r.severity[i], b.pair(&severityPairs[i], taskID))
		}
	}
	for i := range r.status {
		if r.has&(hasStatus0<<i) != 0 {
			emit(famDefectsByStatus, r.status[i], b.pair(&statusPairs[i], taskID))
		}
	}
	for _, s := range []struct {
		bit uint16
		f   familyID
		v   float64
	}{
		{hasCheckStart, famCheckStart, r.checkStart},
		{hasCheckEnd, famCheckEnd, r.checkEnd},
		{hasCodeLines, famCodeLines, r.codeLines},
		{hasDuplication, famDuplication, r.duplication},
		{hasComment, famComment, r.comment},
		{hasGate, famQualityGate, r.gate},
	} {
		if r.has&s.bit != 0 {
			emit(s.f, s.v, id)
		}
	}
	emit(famQualitySuccess, unixSeconds(r.at), id)
}

// pair returns the label set {first, taskID}.
func (b *seriesBuilder) pair(first, taskID *dto.LabelPair) []*dto.LabelPair {
	if b == nil {
		return nil
	}
	m := len(b.labelSets)
	b.labelSets = append(b.labelSets, first, taskID)
	return b.labelSets[m : m+2 : m+2]
}
