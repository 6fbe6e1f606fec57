package codearts

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Decoding of one CheckRecord page (reference §7), as reportdecode.go
// decodes reports: nothing is taken on trust. A record is kept only with a
// readable start (check_time): the start is what identifies a check. Every
// other field that is absent, null or unreadable is unknown, never 0.

// CheckRecord is one check of a task as the history lists it.
type CheckRecord struct {
	// Start is check_time in UTC, whichever form the answer wrote it in
	// (parseTime): the check's identity.
	Start time.Time
	// End is check_end_time in UTC; zero when the answer gave none (a
	// check still running leaves it out or sends ""), or gave one that is
	// not a time or is before Start. Never before Start.
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

// CheckRecordPage is one decoded CheckRecord answer.
type CheckRecordPage struct {
	// Records are the page's readable records, sorted by Start, one per
	// Start (a later duplicate with an end wins over one without).
	Records []CheckRecord
	// Entries is how many entries data held, readable or not (at most
	// MaxCheckRecordLimit are looked at): a page that held none is the end
	// of the history whatever total says.
	Entries int
	// Total is total, the number of records in the whole history that the
	// query selects; -1 when the answer gave none.
	Total int
}

// MaxCheckRecordLimit is the largest page CheckRecord serves (reference
// §7). A page holding more entries is not what was asked for: only the
// first MaxCheckRecordLimit are read.
const MaxCheckRecordLimit = 1000

// checkRecordKnownKeys are the documented fields of the answer.
var checkRecordKnownKeys = []string{"data", "total"}

// issueKeys are the answer's names of Severities, in their order.
var issueKeys = [len(Severities)]string{"critical", "serious", "normal", "prompt"}

// DecodeCheckRecord decodes a 200 body of the CheckRecord call (error
// bodies, in every shape, are ruled out before by api.Caller.Do). Every
// field of the SDK's model is optional: {} is an empty page. An answer
// that is not a JSON object, whose data is not a list, or whose members
// are none of the call's (what an unrelated page or an error body looks
// like) is an error; so is a total that is not a count.
func DecodeCheckRecord(body []byte) (CheckRecordPage, error) {
	var top map[string]json.RawMessage
	if err := decodeObject(body, "check record", &top); err != nil {
		return CheckRecordPage{}, err
	}
	if len(top) > 0 && !hasAny(top, checkRecordKnownKeys) {
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
	if raw, ok := top["data"]; ok && !bytes.Equal(raw, jsonNull) {
		if err := json.Unmarshal(raw, &entries); err != nil {
			return CheckRecordPage{}, fmt.Errorf("check record answer: data is not a list: %s", truncate(raw))
		}
	}
	if len(entries) > MaxCheckRecordLimit {
		entries = entries[:MaxCheckRecordLimit]
	}
	page.Entries = len(entries)
	page.Records = make([]CheckRecord, 0, len(entries))
	for _, e := range entries {
		if r, ok := decodeCheckRecordEntry(e); ok {
			page.Records = append(page.Records, r)
		}
	}
	page.Records = MergeCheckRecords(nil, page.Records)
	return page, nil
}

// decodeCheckRecordEntry reads one entry of data; false when it has no
// readable start.
func decodeCheckRecordEntry(raw json.RawMessage) (CheckRecord, bool) {
	var e struct {
		Start  json.RawMessage            `json:"check_time"`
		End    json.RawMessage            `json:"check_end_time"`
		Issues map[string]json.RawMessage `json:"issue_counts"`
	}
	if json.Unmarshal(raw, &e) != nil {
		return CheckRecord{}, false
	}
	start, ok := parseCheckRecordTime(e.Start)
	if !ok {
		return CheckRecord{}, false
	}
	r := CheckRecord{Start: start}
	if end, ok := parseCheckRecordTime(e.End); ok && !end.Before(start) {
		r.End = end
	}
	for i, key := range issueKeys {
		r.Issues[i] = -1
		if n, ok := parseCount(e.Issues[key]); ok {
			r.Issues[i] = n
		}
	}
	return r, true
}

// parseCheckRecordTime reads check_time or check_end_time with parseTime
// (both forms of reference §7: UTC with a zone, or Beijing time without
// one; nothing before 1970 or after 9999), refusing unread any value
// longer than a time can be: such a value is damage or hostility, and
// trimming or parsing it would only cost time.
func parseCheckRecordTime(raw json.RawMessage) (time.Time, bool) {
	if len(raw) == 0 || len(raw) > maxCheckTimeLength+2 {
		return time.Time{}, false
	}
	return parseTime(raw)
}

// MergeCheckRecords adds more to have and returns every record sorted by
// Start, one per Start: where both hold a check, the one with an end wins
// (the check ended between the two reads), else the one read last. The
// history pages of one read, and reads that overlap, can list one check
// twice (an offset counted from 1, a check starting between two pages).
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
