package codearts

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/codearts-check-exporter/codearts_check_exporter/internal/api"
)

// Endpoint names of the report calls in codearts_check_api_requests_total.
const (
	EndpointDefectsStatistic = "defects_statistic"
	EndpointDefectsSummary   = "defects_summary"
)

// ReportPermission is the IAM permission both report calls need. Without
// it the API answers CC.00050010 (HTTP 200), or the gateway 403: see
// ReportRefused.
const ReportPermission = "codeartscheck:task:getReport"

// ReportRefused reports whether err is the API refusing a report call for
// lack of ReportPermission: CC.00050010 "current user does not have
// permission", or HTTP 403 whatever its code. Asking again will not help
// until the permission is granted, so a caller should say so once (naming
// ReportPermission) rather than on every attempt.
func ReportRefused(err error) bool {
	var apiErr *api.Error
	return errors.As(err, &apiErr) && (apiErr.Code == "CC.00050010" || apiErr.HTTPStatus == http.StatusForbidden)
}

// Report is a check's report: the defects found (ShowTaskDefectsStatisticV2)
// and the code's size and quality (ShowTaskDetailV2). It only changes when
// a check finishes, so its calls are meant to be made rarely; like
// Progress, they make one attempt.
type Report struct {
	Statistic DefectsStatistic
	Summary   DefectsSummary
}

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
	// count to the number of open defects; Status maps DefectStatuses the
	// same way (newer answers split resolved into fixed and solved: when
	// resolved itself is missing it is their sum).
	Severity, Status map[string]int64
	// LastCheckStart and LastCheckEnd are the start and end of the latest
	// check (last_check_time, last_check_finish_time) in UTC, or zero.
	LastCheckStart, LastCheckEnd time.Time
}

// DefectsStatistic asks for a task's open defects by severity and status
// and the times of its latest check (ShowTaskDefectsStatisticV2 with
// time_info_switch=true, without which the times are left out).
func (c *Client) DefectsStatistic(ctx context.Context, taskID string) (DefectsStatistic, error) {
	u := c.taskURL(taskID, "defects-statistic") + "?time_info_switch=true"
	return get(ctx, c, u, EndpointDefectsStatistic, taskAttr(taskID), DecodeDefectsStatistic)
}

// DefectsSummary asks for a task's code size and quality (ShowTaskDetailV2).
func (c *Client) DefectsSummary(ctx context.Context, taskID string) (DefectsSummary, error) {
	u := c.taskURL(taskID, "defects-summary")
	return get(ctx, c, u, EndpointDefectsSummary, taskAttr(taskID), DecodeDefectsSummary)
}

// DecodeDefectsStatistic decodes a 200 body of the defects-statistic call.
// Counts may come as JSON numbers or as strings of digits.
func DecodeDefectsStatistic(body []byte) (DefectsStatistic, error) {
	var b struct {
		Severity map[string]json.RawMessage `json:"severity"`
		Status   map[string]json.RawMessage `json:"status"`
		Start    json.RawMessage            `json:"last_check_time"`
		Finish   json.RawMessage            `json:"last_check_finish_time"`
	}
	var top map[string]json.RawMessage
	if err := decodeObject(body, "defects statistic", &b); err != nil {
		return DefectsStatistic{}, err
	}
	_ = json.Unmarshal(body, &top) // an object: decodeObject checked it
	if len(top) > 0 && !hasAny(top, []string{"severity", "status", "last_check_time", "last_check_finish_time"}) {
		return DefectsStatistic{}, errors.New("defects statistic answer has none of the statistic's fields")
	}
	st := DefectsStatistic{Severity: readCounts(b.Severity, Severities[:])}
	st.Status = readCounts(b.Status, DefectStatuses[:])
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

func readCounts(fields map[string]json.RawMessage, keys []string) map[string]int64 {
	m := map[string]int64{}
	for _, k := range keys {
		if n, ok := parseCount(fields[k]); ok {
			m[k] = n
		}
	}
	return m
}
