package codearts

import (
	"context"
	"net/url"
	"strconv"
	"time"
)

// A task's check history: CheckRecord, GET
// /v2/{project_id}/tasks/{task_id}/checkrecord (reference §7), one record
// per check with its start, end and issue counts, but no result. It needs
// the task's CodeArts project. Its pages go through the same get as every
// other call (credentials, rate limit, counting, error bodies in any shape and
// with any status) and, like Progress and the report calls, each page
// makes one attempt: a failed read waits for the caller's back-off.

// EndpointCheckRecord names the call in codearts_check_api_requests_total.
const EndpointCheckRecord = "check_record"

// CheckRecordPermissions are the IAM permissions the API reference names
// for CheckRecord: the English page says codeartscheck:task:getReport, the
// Chinese page codeartscheck:task:get. Either may be the one the service
// checks; without it the API answers CC.00050010 (HTTP 200) or the gateway
// 403, which ReportRefused tells.
var CheckRecordPermissions = [...]string{ReportPermission, "codeartscheck:task:get"}

// MaxCheckRecordPages bounds the pages one history read asks for: 5 pages
// of MaxCheckRecordLimit records. A read starts at the last check the
// caller counted, so it only lists the checks since then: 5,000 is more
// than three days of a check every minute, even after the page a 1-based
// offset wastes (offsets 0 and 1 both being the first page), while a
// history that never ends (a total that keeps growing, pages that repeat)
// costs at most 5 calls and 5 MiB of answers. What a read leaves out is
// read by the next one, from the last check it returned.
const MaxCheckRecordPages = 5

// checkRecordTimeLayout is the form of start_time and end_time in a
// request: UTC, yyyy-MM-ddTHH:mm:ssZ.
const checkRecordTimeLayout = "2006-01-02T15:04:05Z"

// CheckHistory is what one history read found.
type CheckHistory struct {
	// Records are the checks read, sorted by Start, one per Start
	// (MergeCheckRecords): at most MaxCheckRecordPages ×
	// MaxCheckRecordLimit.
	Records []CheckRecord
	// Total is the last total a page gave; -1 when none gave one.
	Total int
	// Complete is false when the read stopped at MaxCheckRecordPages
	// before the history ran out: Records may lack some checks (which
	// ones depends on the service's order), and a caller should read again
	// from the latest record it counts.
	Complete bool
	// Pages is how many pages were read (calls made).
	Pages int
}

// Latest is the record with the latest Start, and false when there is
// none.
func (h CheckHistory) Latest() (CheckRecord, bool) {
	if len(h.Records) == 0 {
		return CheckRecord{}, false
	}
	return h.Records[len(h.Records)-1], true
}

// CheckRecords reads the checks of a task (of CodeArts project projectID)
// that started from since to until (both whole seconds, UTC; a zero one
// is left out and the service's default applies: 2000-01-01 and now), page
// after page of MaxCheckRecordLimit, until the pages hold total records, a
// page holds none, or MaxCheckRecordPages are read. A short page is not
// taken as the last: a service that serves fewer records than asked for
// would end every read after its first page. The reference
// leaves open whether offset counts pages from 0 or from 1; read from 0,
// either way every page is seen, and a check listed twice is kept once.
// Any failed page fails the read: a partial history could skip checks in
// the middle when the service lists them newest first.
func (c *Client) CheckRecords(ctx context.Context, projectID, taskID string, since, until time.Time) (CheckHistory, error) {
	h := CheckHistory{Total: -1}
	for offset := 0; offset < MaxCheckRecordPages; offset++ {
		page, err := c.CheckRecordPage(ctx, projectID, taskID, offset, MaxCheckRecordLimit, since, until)
		if err != nil {
			return CheckHistory{}, err
		}
		h.Pages++
		h.Records = MergeCheckRecords(h.Records, page.Records)
		if page.Total >= 0 {
			h.Total = page.Total
		}
		if page.Entries == 0 || h.Total >= 0 && len(h.Records) >= h.Total {
			h.Complete = true
			break
		}
	}
	return h, nil
}

// CheckRecordPage asks for one page of a task's history (CheckRecord):
// offset as the API counts it, limit records (1..MaxCheckRecordLimit),
// since and until as CheckRecords takes them. Refused credentials are
// handled as for Progress; it makes one attempt.
func (c *Client) CheckRecordPage(ctx context.Context, projectID, taskID string, offset, limit int, since, until time.Time) (CheckRecordPage, error) {
	u := c.checkRecordURL(projectID, taskID, offset, limit, since, until)
	return get(ctx, c, u, EndpointCheckRecord, taskAttr(taskID), DecodeCheckRecord)
}

// checkRecordURL builds /v2/{project_id}/tasks/{task_id}/checkrecord with
// its query, each ID escaped as one path segment (taskURL says why).
func (c *Client) checkRecordURL(projectID, taskID string, offset, limit int, since, until time.Time) string {
	u := *c.endpoint
	u.Path = c.endpoint.Path + "/v2/" + projectID + "/tasks/" + taskID + "/checkrecord"
	u.RawPath = c.endpoint.EscapedPath() + "/v2/" + escapeSegment(projectID) + "/tasks/" + escapeSegment(taskID) + "/checkrecord"
	q := url.Values{"offset": {strconv.Itoa(offset)}, "limit": {strconv.Itoa(limit)}}
	if !since.IsZero() {
		q.Set("start_time", since.UTC().Format(checkRecordTimeLayout))
	}
	if !until.IsZero() {
		q.Set("end_time", until.UTC().Format(checkRecordTimeLayout))
	}
	u.RawQuery = q.Encode()
	return u.String()
}
