package fakecloud

import (
	"hash/fnv"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// CodeArts Check's CheckRecord, GET
// /v2/{project_id}/tasks/{task_id}/checkrecord?offset=&limit=&start_time=&end_time=
// (reference §7): one record per check of the task, with its start, its
// end and its issue counts, but no result.
//
// The records are the checks the simulator runs (checks.go):
//
//   - a demo task's checks start every demoPeriod on its cycle, from
//     demoHistoryCycles cycles before the demo started, and end
//     demoChecking later; a never-checked demo task has none, and
//     legacy-monolith has the one check of its fixed report;
//   - another task's checks are those StartCheck and FinishCheck ran,
//     after the made-up check every task with a status has
//     (staticCheck).
//
// A check still running has no end and no issue counts. An ended check's
// counts are its report's (madeUpReport, or a fixed report for the latest
// check); critical, serious, normal and prompt are the report's critical,
// major, minor and suggestion.
//
// A request goes through, in order: Hooks.Intercept, authentication, the project (unknown: HTTP 200 + CC.00050013), the task
// (unknown, or not of that project: HTTP 200 + CC.00050014), the
// parameters (HTTP 200 + CC.00050000), the dialect's error, then the page.
// start_time and end_time filter on the check's start (the SDK's reading),
// both ends included, defaulting to 2000-01-01T00:00:00Z and now.
//
// Where the reference leaves room, SetCheckRecordDialect chooses.

// CheckRecordDialect is how CheckRecord answers: every reading of
// reference §7 the exporter must cope with. The zero value is the
// documented one: UTC times with a zone, no end while running, data
// oldest first, offset a page index from 0.
type CheckRecordDialect struct {
	// Beijing writes check_time and check_end_time as
	// "2006-01-02 15:04:05" in Beijing time (UTC+8), the form of the
	// defects-summary example, instead of "2006-01-02T15:04:05Z".
	Beijing bool
	// EmptyEnd sends a running check's check_end_time as "" instead of
	// leaving it out.
	EmptyEnd bool
	// Unsorted sends data in no order (a fixed scramble of the start
	// times, across the pages) instead of oldest first.
	Unsorted bool
	// Offset is what offset counts, as for the task list.
	Offset OffsetMode
	// Error, when set, answers every CheckRecord request that got past the
	// task with this CodeArts code in an HTTP 200 body (CC.00050004 query
	// task history error, CC.00050010 no permission, CC.00050012 retry
	// later, ...), in the server's error shape (SetErrorShape).
	Error string
}

// Limits of CheckRecord's query parameters, from the reference.
const (
	defaultRecordLimit = 10
	maxRecordLimit     = 1000
	maxRecordOffset    = 999999
)

// recordTimeLayout is the form of start_time and end_time.
const recordTimeLayout = "2006-01-02T15:04:05Z"

// recordsDefaultStart is start_time's default.
var recordsDefaultStart = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// demoHistoryCycles is how many checks a cycling demo task ran before the
// demo started, so that its history is not empty at the first scrape.
const demoHistoryCycles = 10

// checkRecordState is CheckRecord's side of the server, guarded by Server.mu.
type checkRecordState struct {
	dialect CheckRecordDialect
}

// checkRun is one check of a task that is not a demo task (checks.go
// keeps them): its start, its end (zero while running), and n, the number
// of checks FinishCheck had finished when it ended (its report's).
type checkRun struct {
	start, end time.Time
	n          int
}

// SetCheckRecordDialect selects how CheckRecord answers.
func (s *Server) SetCheckRecordDialect(d CheckRecordDialect) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.records.dialect = d
}

// checkRecordBody is the 200 answer.
type checkRecordBody struct {
	Data  []checkRecordItem `json:"data"`
	Total int               `json:"total"`
}

type checkRecordItem struct {
	CheckTime    string       `json:"check_time"`
	CheckEndTime *string      `json:"check_end_time,omitempty"`
	IssueCounts  *issueCounts `json:"issue_counts,omitempty"`
}

type issueCounts struct {
	Critical int `json:"critical"`
	Serious  int `json:"serious"`
	Normal   int `json:"normal"`
	Prompt   int `json:"prompt"`
}

// checkRecord is one check as CheckRecord lists it: end is zero while it
// runs, and report is its report, made only for the records a page sends.
type checkRecord struct {
	start, end time.Time
	report     func() Report
}

// serveCheckRecord serves CheckRecord for the task taskID of the project
// projectID (Route's key is the task ID; the path names both).
func (s *Server) serveCheckRecord(w http.ResponseWriter, r *http.Request, taskID string) {
	if s.intercept(w, r, CallCheckRecord, taskID) {
		return
	}
	projectID, _, _ := parseCheckRecordPath(r.URL.EscapedPath())
	if e := s.authorize(r); e != nil {
		s.writeError(w, e)
		return
	}
	s.mu.Lock()
	known := s.lists.projects[projectID]
	t, found := s.lookupTask(taskID)
	d := s.records.dialect
	s.mu.Unlock()
	q, valid := recordParams(r.URL.Query(), s.now())
	switch {
	case !known:
		s.writeError(w, ServiceError(http.StatusOK, "CC.00050013", "project does not exist"))
	case !found || t.ProjectID != projectID:
		s.writeError(w, unknownTask())
	case !valid:
		s.writeError(w, ServiceError(http.StatusOK, "CC.00050000", "parameters not valid"))
	case d.Error != "":
		s.writeError(w, ServiceError(http.StatusOK, d.Error, recordErrorMessages[d.Error]))
	default:
		WriteJSON(w, http.StatusOK, s.recordPage(taskID, q, d))
	}
}

// recordErrorMessages are the texts of the codes a test is likely to ask
// for; another code is sent with an empty message.
var recordErrorMessages = map[string]string{
	"CC.00050004": "query task history error",
	"CC.00050006": "service inner error",
	"CC.00050010": "current user does not have permission",
	"CC.00050012": "retry later",
}

// parseCheckRecordPath extracts the project and task IDs from an escaped
// /v2/{project_id}/tasks/{task_id}/checkrecord path.
func parseCheckRecordPath(escaped string) (projectID, taskID string, ok bool) {
	rest, ok := strings.CutPrefix(escaped, "/v2/")
	if !ok {
		return "", "", false
	}
	projectID, rest, ok = nextSegment(rest)
	if !ok {
		return "", "", false
	}
	taskID, ok = pathSegment(rest, "/tasks/", "/checkrecord")
	return projectID, taskID, ok
}

// nextSegment splits the unescaped first segment of an escaped path from
// the rest, which starts with "/".
func nextSegment(escaped string) (seg, rest string, ok bool) {
	for i := 0; i < len(escaped); i++ {
		if escaped[i] == '/' {
			seg, err := url.PathUnescape(escaped[:i])
			if err != nil || seg == "" {
				return "", "", false
			}
			return seg, escaped[i:], true
		}
	}
	return "", "", false
}

// recordQuery is a request's parameters, defaulted.
type recordQuery struct {
	offset, limit int
	from, to      time.Time
}

// recordParams reads a request's parameters; false when one is not valid.
func recordParams(q url.Values, now time.Time) (recordQuery, bool) {
	p := recordQuery{limit: defaultRecordLimit, from: recordsDefaultStart, to: now}
	var err error
	if v := q.Get("offset"); v != "" {
		if p.offset, err = strconv.Atoi(v); err != nil || p.offset < 0 || p.offset > maxRecordOffset {
			return recordQuery{}, false
		}
	}
	if v := q.Get("limit"); v != "" {
		if p.limit, err = strconv.Atoi(v); err != nil || p.limit < 1 || p.limit > maxRecordLimit {
			return recordQuery{}, false
		}
	}
	for _, f := range []struct {
		key string
		t   *time.Time
	}{{"start_time", &p.from}, {"end_time", &p.to}} {
		if v := q.Get(f.key); v != "" {
			if *f.t, err = time.Parse(recordTimeLayout, v); err != nil {
				return recordQuery{}, false
			}
		}
	}
	return p, true
}

// recordPage renders one page of the task's records that started from
// q.from to q.to.
func (s *Server) recordPage(taskID string, q recordQuery, d CheckRecordDialect) checkRecordBody {
	s.mu.Lock()
	all := s.checkRecords(taskID, q.from, q.to)
	s.mu.Unlock()
	if d.Unsorted {
		slices.SortFunc(all, func(a, b checkRecord) int {
			if c := int(scramble(a.start)) - int(scramble(b.start)); c != 0 {
				return c
			}
			return a.start.Compare(b.start)
		})
	}
	var start int
	switch d.Offset {
	case OffsetItems:
		start = q.offset
	case OffsetPage1:
		start = (max(q.offset, 1) - 1) * q.limit
	default:
		start = q.offset * q.limit
	}
	body := checkRecordBody{Data: []checkRecordItem{}, Total: len(all)}
	for i := start; i < len(all) && i < start+q.limit; i++ {
		body.Data = append(body.Data, renderRecord(all[i], d))
	}
	return body
}

// scramble is a fixed position of a check in unsorted data.
func scramble(t time.Time) uint16 {
	h := fnv.New32a()
	_, _ = h.Write([]byte(t.UTC().Format(time.RFC3339Nano)))
	return uint16(h.Sum32())
}

func renderRecord(r checkRecord, d CheckRecordDialect) checkRecordItem {
	format := func(t time.Time) string {
		if d.Beijing {
			return t.In(beijing).Format("2006-01-02 15:04:05")
		}
		return t.UTC().Format(recordTimeLayout)
	}
	item := checkRecordItem{CheckTime: format(r.start)}
	switch {
	case !r.end.IsZero():
		end := format(r.end)
		rep := r.report()
		item.CheckEndTime = &end
		item.IssueCounts = &issueCounts{rep.Critical, rep.Major, rep.Minor, rep.Suggestion}
	case d.EmptyEnd:
		item.CheckEndTime = StrPtr("")
	}
	return item
}

// checkRecords lists the task's checks that started from from to to,
// oldest first. s.mu is held.
func (s *Server) checkRecords(taskID string, from, to time.Time) []checkRecord {
	now := s.now()
	var out []checkRecord
	add := func(start, end time.Time, report func() Report) {
		if start.Before(from) || start.After(to) {
			return
		}
		r := checkRecord{start: start, report: report}
		if !end.After(now) {
			r.end = end
		}
		out = append(out, r)
	}
	if d, ok := s.demo[taskID]; ok {
		// Cycle k's check starts at demoStart + k×demoPeriod - offset: only
		// the cycles whose start is within from..to are made.
		first := max(-demoHistoryCycles, ceilDiv(from.Sub(s.demoStart)+d.offset, demoPeriod))
		last := min(floorDiv(now.Sub(s.demoStart)+d.offset, demoPeriod), floorDiv(to.Sub(s.demoStart)+d.offset, demoPeriod))
		for k := first; k <= last; k++ {
			start := s.demoStart.Add(time.Duration(k)*demoPeriod - d.offset)
			end := start.Add(demoChecking)
			add(start, end, func() Report { return madeUpReport(taskID, int(k), start, end) })
		}
		return out
	}
	runs := s.checks.history[taskID]
	if runs == nil {
		if t, ok := s.tasks[taskID]; ok && t.Status != nil {
			start, end := s.staticCheck(taskID)
			runs = []checkRun{{start: start, end: end}}
		}
	}
	latestEnded := -1
	for i, run := range runs {
		if !run.end.IsZero() {
			latestEnded = i
		}
	}
	fixed, isFixed := s.reports.fixed[taskID]
	for i, run := range runs {
		add(run.start, run.end, func() Report {
			if isFixed && i == latestEnded {
				return fixed
			}
			return madeUpReport(taskID, run.n, run.start, run.end)
		})
	}
	return out
}

// ceilDiv is a / b rounded towards positive infinity (b > 0).
func ceilDiv(a, b time.Duration) time.Duration {
	return -floorDiv(-a, b)
}

// seedCheckHistory starts the recorded history of a task that is not a
// demo task, before its first StartCheck or FinishCheck changes it, with
// the made-up check a task with a status has. t is the task before the
// change. s.mu is held.
func (s *Server) seedCheckHistory(t Task) {
	if _, ok := s.checks.history[t.ID]; ok {
		return
	}
	runs := []checkRun{}
	if t.Status != nil {
		start, end := s.staticCheck(t.ID)
		runs = append(runs, checkRun{start: start, end: end})
	}
	initMap(&s.checks.history)[t.ID] = runs
}
