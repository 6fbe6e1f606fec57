package codearts

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"time"
)

// EndpointCheckRecord names the call in codearts_check_api_requests_total.
const EndpointCheckRecord = "check_record"

// CheckRecordPermissions are the IAM permissions the API reference names
// for CheckRecord, in English and in Chinese: without the one the service
// checks, it answers as ReportRefused tells.
var CheckRecordPermissions = [...]string{ReportPermission, "codeartscheck:task:get"}

// MaxCheckRecordPages bounds the pages one history read asks for: from the
// last check the caller counted, more than three days of a check every
// minute, while a history that never ends costs at most 5 calls and 5 MiB.
// What a read leaves out, the next one reads.
const MaxCheckRecordPages = 5

// MaxCheckRecordLimit is the largest page CheckRecord serves (reference
// §7); of a page holding more entries only the first MaxCheckRecordLimit
// are read.
const MaxCheckRecordLimit = 1000

// CheckRecord is one check of a task as its history (CheckRecord, reference
// §7) lists it, with no result.
type CheckRecord struct {
	// Start is check_time in UTC, in either form (parseTime): the check's
	// identity. A record without a readable start is not kept.
	Start time.Time
	// End is check_end_time in UTC; zero when the answer gave none (a
	// check still running leaves it out or sends ""), or gave one that is
	// not a time or is before Start.
	End time.Time
	// Issues counts the check's issues by severity, in the order of
	// Severities (critical, major = serious, minor = normal, suggestion =
	// prompt); -1 where the answer gave no count.
	Issues [len(Severities)]int64
}

// Ended reports whether the record says when the check ended.
func (r CheckRecord) Ended() bool { return !r.End.IsZero() }

// Duration is End - Start, and false while the check has no end.
func (r CheckRecord) Duration() (time.Duration, bool) {
	if !r.Ended() {
		return 0, false
	}
	return r.End.Sub(r.Start), true
}

// CheckHistory is what one history read found.
type CheckHistory struct {
	Records []CheckRecord // as MergeCheckRecords leaves them
	Total   int           // the last total a page gave; -1 when none did
	// Complete is false when the read stopped at MaxCheckRecordPages
	// before the history ran out: Records may lack some checks, and a
	// caller should read again from the latest record it counts.
	Complete bool
	Pages    int // calls made
}

// CheckRecordPage is one decoded CheckRecord answer.
type CheckRecordPage struct {
	Records []CheckRecord // the readable ones, as MergeCheckRecords leaves them
	// Entries is how many entries data held, readable or not (at most
	// MaxCheckRecordLimit): a page that held none ends the history
	// whatever total says.
	Entries int
	Total   int // records in the whole history the query selects; -1: not given
}

// CheckRecords reads the checks of a task (of CodeArts project projectID)
// that started from since to until (whole seconds; zero: the service's
// default, 2000-01-01 and now), page after page, until the pages hold total
// records, a page holds none (a short one may not be the last), or
// MaxCheckRecordPages are read. From offset 0 every page is seen whether
// the service counts from 0 or 1. Each page makes one attempt, and a failed
// page fails the read: a partial history could skip checks in the middle.
func (c *Client) CheckRecords(ctx context.Context, projectID, taskID string, since, until time.Time) (CheckHistory, error) {
	h := CheckHistory{Total: -1}
	for offset := 0; offset < MaxCheckRecordPages && !h.Complete; offset++ {
		u := c.checkRecordURL(projectID, taskID, offset, MaxCheckRecordLimit, since, until)
		page, err := get(ctx, c, u, EndpointCheckRecord, taskAttr(taskID), DecodeCheckRecord)
		if err != nil {
			return CheckHistory{}, err
		}
		h.Pages++
		h.Records = MergeCheckRecords(h.Records, page.Records)
		if page.Total >= 0 {
			h.Total = page.Total
		}
		h.Complete = page.Entries == 0 || h.Total >= 0 && len(h.Records) >= h.Total
	}
	return h, nil
}

// checkRecordURL builds /v2/{project_id}/tasks/{task_id}/checkrecord with
// its query; times are UTC, yyyy-MM-ddTHH:mm:ssZ.
func (c *Client) checkRecordURL(projectID, taskID string, offset, limit int, since, until time.Time) string {
	q := url.Values{}
	for key, t := range map[string]time.Time{"start_time": since, "end_time": until} {
		if !t.IsZero() {
			q.Set(key, t.UTC().Format("2006-01-02T15:04:05Z"))
		}
	}
	return c.projectURL(projectID, "/tasks/"+escapeSegment(taskID)+"/checkrecord", offset, limit, q)
}

// issueKeys are the answer's names of Severities, in their order.
var issueKeys = [len(Severities)]string{"critical", "serious", "normal", "prompt"}

// DecodeCheckRecord decodes a 200 body of the CheckRecord call: {} is an
// empty page; data that is not a list, or a total that is not a count, is
// an error.
func DecodeCheckRecord(body []byte) (CheckRecordPage, error) {
	var top map[string]json.RawMessage
	if err := decodeObject(body, "check record", &top); err != nil {
		return CheckRecordPage{}, err
	}
	if len(top) > 0 && !hasAny(top, []string{"data", "total"}) {
		return CheckRecordPage{}, errors.New("check record answer has none of its fields")
	}
	page := CheckRecordPage{Total: -1}
	if raw, ok := top["total"]; ok && !bytes.Equal(raw, jsonNull) {
		n, ok := parseCount(raw)
		if !ok {
			return CheckRecordPage{}, fmt.Errorf("check record answer: total %s is not a count", truncate(raw))
		}
		page.Total = int(n)
	}
	var entries []json.RawMessage
	if raw, ok := top["data"]; ok && json.Unmarshal(raw, &entries) != nil {
		return CheckRecordPage{}, fmt.Errorf("check record answer: data is not a list: %s", truncate(raw))
	}
	entries = entries[:min(len(entries), MaxCheckRecordLimit)]
	page.Entries = len(entries)
	page.Records = make([]CheckRecord, 0, len(entries))
	for _, raw := range entries {
		var e struct {
			Start  json.RawMessage            `json:"check_time"`
			End    json.RawMessage            `json:"check_end_time"`
			Issues map[string]json.RawMessage `json:"issue_counts"`
		}
		if json.Unmarshal(raw, &e) != nil {
			continue
		}
		start, ok := parseTime(e.Start)
		if !ok {
			continue
		}
		r := CheckRecord{Start: start}
		if end, ok := parseTime(e.End); ok && !end.Before(start) {
			r.End = end
		}
		for i, key := range issueKeys {
			r.Issues[i] = -1
			if n, ok := parseCount(e.Issues[key]); ok {
				r.Issues[i] = n
			}
		}
		page.Records = append(page.Records, r)
	}
	page.Records = MergeCheckRecords(nil, page.Records)
	return page, nil
}

// MergeCheckRecords adds more to have and returns every record sorted by
// Start, one per Start: where both hold a check, the one with an end wins
// (the check ended between the two reads), else the one read last. The
// pages of one read, and reads that overlap, can list one check twice (an
// offset counted from 1, a check starting between two pages).
func MergeCheckRecords(have, more []CheckRecord) []CheckRecord {
	all := slices.Concat(have, more)
	// Stable, so that among records of one Start the last read stays last.
	slices.SortStableFunc(all, func(a, b CheckRecord) int { return a.Start.Compare(b.Start) })
	out := all[:0]
	for _, r := range all {
		if n := len(out); n > 0 && out[n-1].Start.Equal(r.Start) {
			if r.Ended() || !out[n-1].Ended() {
				out[n-1] = r
			}
			continue
		}
		out = append(out, r)
	}
	return out
}
