package codearts

import (
	"encoding/json"
	"math"
	"reflect"
	"strconv"
	"testing"
	"time"
	"unicode/utf8"
)

// The report answers are outside input: whatever comes, decoding must not
// panic, must only produce values the metrics can carry, and must read back
// what it produced when that is written out again in either documented
// shape. Seed corpora are in testdata/fuzz/.

func FuzzDecodeDefectsStatistic(f *testing.F) {
	f.Add([]byte(`{"severity":{"critical":1,"major":2,"minor":3,"suggestion":4},"status":{"unresolved":10,"resolved":5,"dismissed":1},"last_check_time":"2020-09-25T12:05:00Z","last_check_finish_time":"2020-09-25T12:15:00Z"}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"severity":null,"status":null,"last_check_time":null}`))
	f.Add([]byte(`{"severity":{},"last_check_time":"9999-12-31T23:59:59Z","last_check_finish_time":"1969-12-31T23:59:59Z"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		st, err := DecodeDefectsStatistic(body)
		if err != nil {
			if !reflect.DeepEqual(st, DefectsStatistic{}) {
				t.Fatalf("DecodeDefectsStatistic(%q) = %+v with error %v, want the zero value", body, st, err)
			}
			return
		}
		checkCounts(t, body, st.Severity, Severities[:])
		checkCounts(t, body, st.Status, DefectStatuses[:])
		checkTime(t, body, st.LastCheckStart)
		checkTime(t, body, st.LastCheckEnd)

		again, err := DecodeDefectsStatistic(encodeStatistic(t, st))
		if err != nil || !reflect.DeepEqual(again, st) {
			t.Fatalf("DecodeDefectsStatistic(%q) = %+v; written out and read again: %+v, %v", body, st, again, err)
		}
	})
}

func FuzzDecodeDefectsSummary(f *testing.F) {
	f.Add([]byte(`{"task_name":"web","git_branch":"main","code_line":55777,"duplication_ratio":"3.25%","comment_ratio":"20%","is_access":"1"}`))
	f.Add([]byte(`{"result":{"info":{"codeLine":"55777","lastCheckTime":"2019-09-24 15:00:41","branch":"master"}}}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"result":{"info":null}}`))
	f.Add([]byte(`{"task_name":null,"code_line":null,"is_access":null,"last_check_time":null}`))
	f.Add([]byte(`{"is_access":"error","last_check_time":"9999-12-31T23:59:59Z"}`))
	f.Add([]byte(`{"is_access":"1                                                               x"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		s, err := DecodeDefectsSummary(body)
		if err != nil {
			if s != (DefectsSummary{}) {
				t.Fatalf("DecodeDefectsSummary(%q) = %+v with error %v, want the zero value", body, s, err)
			}
			return
		}
		if s.HasCodeLines && (s.CodeLines < 0 || s.CodeLines > maxCount) || !s.HasCodeLines && s.CodeLines != 0 {
			t.Fatalf("DecodeDefectsSummary(%q): code lines %d, %v", body, s.CodeLines, s.HasCodeLines)
		}
		checkRatio(t, body, s.DuplicationRatio, s.HasDuplicationRatio)
		checkRatio(t, body, s.CommentRatio, s.HasCommentRatio)
		if !s.HasQualityGate && s.QualityGatePassed {
			t.Fatalf("DecodeDefectsSummary(%q): gate passed without a verdict", body)
		}
		if u := s.UnknownQualityGate; len(u) > maxUnknownGateLen || !utf8.ValidString(u) || u != "" && s.HasQualityGate {
			t.Fatalf("DecodeDefectsSummary(%q): unknown gate %q (known %v)", body, u, s.HasQualityGate)
		}
		checkTime(t, body, s.LastCheckTime)

		// An unknown value cut to its bound may read as a known one
		// ("1" and spaces): it is not written out then.
		want := s
		if _, known := ParseQualityGate(s.UnknownQualityGate); known {
			want.UnknownQualityGate = ""
		}
		for _, example := range []bool{false, true} {
			again, err := DecodeDefectsSummary(encodeSummary(t, want, example))
			if err != nil || !sameSummary(again, want) {
				t.Fatalf("DecodeDefectsSummary(%q) = %+v; written out (example shape %v) and read again: %+v, %v", body, s, example, again, err)
			}
		}
	})
}

func checkCounts(t *testing.T, body []byte, m map[string]int64, keys []string) {
	t.Helper()
	if m == nil {
		t.Fatalf("decoding %q: nil map", body)
	}
	for k, v := range m {
		known := false
		for _, want := range keys {
			known = known || k == want
		}
		if !known || v < 0 || v > maxCount {
			t.Fatalf("decoding %q: %s = %d", body, k, v)
		}
	}
}

func checkTime(t *testing.T, body []byte, tm time.Time) {
	t.Helper()
	if !tm.IsZero() && (tm.Location() != time.UTC || tm.Unix() <= 0 || tm.After(latestTime)) {
		t.Fatalf("decoding %q: time %v", body, tm)
	}
}

func checkRatio(t *testing.T, body []byte, v float64, ok bool) {
	t.Helper()
	if ok && (math.IsNaN(v) || v < 0 || v > 1) || !ok && v != 0 {
		t.Fatalf("decoding %q: ratio %v, %v", body, v, ok)
	}
}

// encodeStatistic writes st as the API does: counts as numbers, times in
// UTC with their fractions.
func encodeStatistic(t *testing.T, st DefectsStatistic) []byte {
	b := map[string]any{"severity": st.Severity, "status": st.Status}
	if !st.LastCheckStart.IsZero() {
		b["last_check_time"] = st.LastCheckStart.Format(time.RFC3339Nano)
	}
	if !st.LastCheckEnd.IsZero() {
		b["last_check_finish_time"] = st.LastCheckEnd.Format(time.RFC3339Nano)
	}
	return mustJSON(t, b)
}

// encodeSummary writes s in the schema shape, or in the example shape:
// wrapped, camelCase, numbers as strings, time in Beijing without a zone.
func encodeSummary(t *testing.T, s DefectsSummary, example bool) []byte {
	names := map[bool][]string{
		false: {"task_name", "git_branch", "code_line", "duplication_ratio", "comment_ratio", "is_access", "last_check_time"},
		true:  {"taskName", "branch", "codeLine", "duplicationRatio", "commentRatio", "isAccess", "lastCheckTime"},
	}[example]
	m := map[string]any{names[0]: s.TaskName, names[1]: s.GitBranch}
	if s.HasCodeLines {
		m[names[2]] = any(s.CodeLines)
		if example {
			m[names[2]] = strconv.FormatInt(s.CodeLines, 10)
		}
	}
	percent := func(v float64) string { return strconv.FormatFloat(v*100, 'g', -1, 64) + "%" }
	if s.HasDuplicationRatio {
		m[names[3]] = percent(s.DuplicationRatio)
	}
	if s.HasCommentRatio {
		m[names[4]] = percent(s.CommentRatio)
	}
	if s.HasQualityGate {
		m[names[5]] = map[bool]string{true: "1", false: "0"}[s.QualityGatePassed]
	} else if s.UnknownQualityGate != "" {
		m[names[5]] = s.UnknownQualityGate
	}
	if !s.LastCheckTime.IsZero() {
		m[names[6]] = s.LastCheckTime.Format(time.RFC3339Nano)
		if bj := s.LastCheckTime.In(beijing); example && bj.Year() <= 9999 {
			// Past 9999-12-31 in Beijing the zoneless form has no year
			// to write; RFC 3339 in UTC, which the decoder also reads.
			m[names[6]] = bj.Format("2006-01-02 15:04:05.999999999")
		}
	}
	if example {
		return mustJSON(t, map[string]any{"result": map[string]any{"info": m}})
	}
	return mustJSON(t, m)
}

// sameSummary compares summaries, ratios to within rounding (a percentage
// written out and read back is divided by 100 again).
func sameSummary(a, b DefectsSummary) bool {
	close := func(x, y float64) bool { return math.Abs(x-y) <= 1e-12 }
	if !close(a.DuplicationRatio, b.DuplicationRatio) || !close(a.CommentRatio, b.CommentRatio) || !a.LastCheckTime.Equal(b.LastCheckTime) {
		return false
	}
	a.DuplicationRatio, a.CommentRatio, a.LastCheckTime = b.DuplicationRatio, b.CommentRatio, b.LastCheckTime
	return a == b
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
