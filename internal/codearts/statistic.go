package codearts

import (
	"encoding/json"
	"errors"
	"time"
)

// The defects statistic of a task (ShowTaskDefectsStatisticV2), decoded
// as reportdecode.go says.

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
