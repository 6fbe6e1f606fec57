package codearts

import (
	"context"
	"errors"
	"net/http"

	"github.com/codearts-check-exporter/codearts_check_exporter/internal/api"
)

// A check's report: the defects found (ShowTaskDefectsStatisticV2) and the
// code's size and quality (ShowTaskDetailV2). A report only changes when a
// check finishes, so its calls are meant to be made rarely (when a task is
// first seen, after progress shows a check finished, or after a long
// refresh interval), never on every scrape. They go through the same
// api.Caller as progress calls (rate limit, counting) and, like Progress, make
// one attempt: a failed read waits for the caller's back-off.

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
	if !errors.As(err, &apiErr) {
		return false
	}
	return apiErr.Code == "CC.00050010" || apiErr.HTTPStatus == http.StatusForbidden
}

// Report is a task's report: both calls' answers. The collector makes the
// two calls itself (DefectsStatistic, DefectsSummary), each in its turn.
type Report struct {
	Statistic DefectsStatistic
	Summary   DefectsSummary
}

// DefectsStatistic asks for a task's open defects by severity and status
// and the times of its latest check (ShowTaskDefectsStatisticV2 with
// time_info_switch=true, without which the times are left out). Refused
// credentials are handled as for Progress; it makes one attempt.
func (c *Client) DefectsStatistic(ctx context.Context, taskID string) (DefectsStatistic, error) {
	u := c.taskURL(taskID, "defects-statistic") + "?time_info_switch=true"
	return get(ctx, c, u, EndpointDefectsStatistic, taskAttr(taskID), DecodeDefectsStatistic)
}

// DefectsSummary asks for a task's code size and quality
// (ShowTaskDetailV2). Refused credentials are handled as for Progress; it
// makes one attempt.
func (c *Client) DefectsSummary(ctx context.Context, taskID string) (DefectsSummary, error) {
	return get(ctx, c, c.taskURL(taskID, "defects-summary"), EndpointDefectsSummary, taskAttr(taskID), DecodeDefectsSummary)
}
