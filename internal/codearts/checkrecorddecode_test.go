package codearts

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// rec is a CheckRecord with the given start and end (zero: none) and
// issue counts (none given: all unknown).
func rec(start, end time.Time, issues ...int64) CheckRecord {
	r := CheckRecord{Start: start, End: end, Issues: [4]int64{-1, -1, -1, -1}}
	copy(r.Issues[:], issues)
	return r
}

func TestDecodeCheckRecord(t *testing.T) {
	t0 := time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)
	t1 := t0.Add(400 * time.Second)
	t2 := t0.Add(time.Hour)
	cases := []struct {
		name    string
		body    string
		want    []CheckRecord
		entries int
		total   int
	}{
		{"reference", `{"data":[{"check_time":"2025-03-01T08:00:00Z","check_end_time":"2025-03-01T08:06:40Z",
			"issue_counts":{"critical":0,"serious":3,"normal":12,"prompt":40}}],"total":1}`,
			[]CheckRecord{rec(t0, t1, 0, 3, 12, 40)}, 1, 1},
		{"beijing time", `{"data":[{"check_time":"2025-03-01 16:00:00","check_end_time":"2025-03-01 16:06:40"}],"total":1}`,
			[]CheckRecord{rec(t0, t1)}, 1, 1},
		{"forms mixed", `{"data":[{"check_time":"2025-03-01 16:00:00","check_end_time":"2025-03-01T08:06:40Z"}]}`,
			[]CheckRecord{rec(t0, t1)}, 1, -1},
		{"no end", `{"data":[{"check_time":"2025-03-01T08:00:00Z"}],"total":1}`, []CheckRecord{rec(t0, time.Time{})}, 1, 1},
		{"empty end", `{"data":[{"check_time":"2025-03-01T08:00:00Z","check_end_time":""}],"total":1}`, []CheckRecord{rec(t0, time.Time{})}, 1, 1},
		{"null end and counts", `{"data":[{"check_time":"2025-03-01T08:00:00Z","check_end_time":null,"issue_counts":null}],"total":null}`,
			[]CheckRecord{rec(t0, time.Time{})}, 1, -1},
		{"end before start", `{"data":[{"check_time":"2025-03-01T08:06:40Z","check_end_time":"2025-03-01T08:00:00Z"}]}`,
			[]CheckRecord{rec(t1, time.Time{})}, 1, -1},
		{"unsorted", `{"data":[{"check_time":"2025-03-01T09:00:00Z"},{"check_time":"2025-03-01T08:00:00Z"},{"check_time":"2025-03-01T08:06:40Z"}],"total":3}`,
			[]CheckRecord{rec(t0, time.Time{}), rec(t1, time.Time{}), rec(t2, time.Time{})}, 3, 3},
		{"one check twice: the ended one wins", `{"data":[{"check_time":"2025-03-01T08:00:00Z","check_end_time":"2025-03-01T08:06:40Z"},{"check_time":"2025-03-01 16:00:00"}]}`,
			[]CheckRecord{rec(t0, t1)}, 2, -1},
		{"counts as strings, some missing or bad", `{"data":[{"check_time":"2025-03-01T08:00:00Z","issue_counts":{"critical":"2","serious":null,"normal":-1,"prompt":1.5}}]}`,
			[]CheckRecord{rec(t0, time.Time{}, 2, -1, -1, -1)}, 1, -1},
		{"unreadable records dropped", `{"data":[{"check_time":"0001-01-01T00:00:00Z"},{"check_time":"1969-12-31T23:59:59Z"},{"check_time":"10000-01-01T00:00:00Z"},
			{"check_time":1740816000},{"check_end_time":"2025-03-01T08:06:40Z"},null,7,"x",{"check_time":"2025-03-01T08:00:00Z` + strings.Repeat(" ", 50) + `"},
			{"check_time":"2025-03-01T08:00:00Z"}],"total":10}`,
			[]CheckRecord{rec(t0, time.Time{})}, 10, 10},
		{"empty object", `{}`, nil, 0, -1},
		{"null data", `{"data":null,"total":0}`, nil, 0, 0},
		{"total as a string", `{"data":[],"total":"3"}`, nil, 0, 3},
		{"unknown fields beside", `{"data":[],"total":0,"extra":1}`, nil, 0, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			page, err := DecodeCheckRecord([]byte(c.body))
			if err != nil {
				t.Fatal(err)
			}
			if page.Entries != c.entries || page.Total != c.total || len(page.Records) != len(c.want) {
				t.Fatalf("got %+v, want records %+v, %d entries, total %d", page, c.want, c.entries, c.total)
			}
			for i, r := range page.Records {
				w := c.want[i]
				if !r.Start.Equal(w.Start) || !r.End.Equal(w.End) || r.Issues != w.Issues || r.Start.Location() != time.UTC {
					t.Errorf("record %d = %+v, want %+v", i, r, w)
				}
			}
		})
	}
}

func TestDecodeCheckRecordRefuses(t *testing.T) {
	for _, body := range []string{
		``, `null`, `[]`, `"data"`, `<html>`, `{"data":[`,
		`{"data":{},"total":1}`, `{"data":"x"}`,
		`{"total":-1}`, `{"total":1.5}`, `{"total":"many"}`, `{"total":{}}`,
		`{"error_code":"CC.00050004","error_msg":"query task history error"}`,
		`{"code":"CC.00050004","message":"query task history error"}`,
		`{"error":{"code":"CC.00050010","message":"no permission"}}`,
	} {
		if page, err := DecodeCheckRecord([]byte(body)); err == nil {
			t.Errorf("accepted %s as %+v", body, page)
		}
	}
}

// A page holding more entries than a page can is read up to the limit.
func TestDecodeCheckRecordBoundsEntries(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"data":[`)
	t0 := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	for i := range MaxCheckRecordLimit + 500 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"check_time":%q}`, t0.Add(time.Duration(i)*time.Minute).Format(time.RFC3339))
	}
	b.WriteString(`],"total":1500}`)
	page, err := DecodeCheckRecord([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if page.Entries != MaxCheckRecordLimit || len(page.Records) != MaxCheckRecordLimit {
		t.Errorf("kept %d records of %d entries, want %d", len(page.Records), page.Entries, MaxCheckRecordLimit)
	}
}

func TestMergeCheckRecords(t *testing.T) {
	t0 := time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)
	have := []CheckRecord{rec(t0, t0.Add(time.Minute), 1), rec(t0.Add(time.Hour), time.Time{})}
	more := []CheckRecord{rec(t0.Add(time.Hour), t0.Add(61*time.Minute), 2), rec(t0, time.Time{}), rec(t0.Add(-time.Hour), time.Time{})}
	got := MergeCheckRecords(have, more)
	want := []CheckRecord{rec(t0.Add(-time.Hour), time.Time{}), rec(t0, t0.Add(time.Minute), 1), rec(t0.Add(time.Hour), t0.Add(61*time.Minute), 2)}
	if len(got) != len(want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("record %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if !have[1].End.IsZero() || have[0].Issues[0] != 1 {
		t.Errorf("merging changed its input: %+v", have)
	}
	if d, ok := got[2].Duration(); !ok || d != time.Minute {
		t.Errorf("Duration = %v, %v; want 1m", d, ok)
	}
	if _, ok := got[0].Duration(); ok {
		t.Error("a check without an end has a duration")
	}
}

// FuzzDecodeCheckRecord: whatever the body, decoding never panics, and a
// page only ever holds what the collector can count on: records sorted by
// start, one per start, every time in UTC between 1970 and 9999, an end
// never before its start, counts not below -1, and at most a page of them.
func FuzzDecodeCheckRecord(f *testing.F) {
	f.Add([]byte(`{"data":[{"check_time":"2025-03-01T08:00:00Z","check_end_time":"2025-03-01T08:06:40Z","issue_counts":{"critical":0,"serious":3,"normal":12,"prompt":40}}],"total":1}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		page, err := DecodeCheckRecord(body)
		if err != nil {
			if page.Records != nil || page.Entries != 0 || page.Total != 0 {
				t.Fatalf("DecodeCheckRecord(%q) = %+v with error %v, want the zero page", body, page, err)
			}
			return
		}
		if page.Total < -1 || page.Entries < len(page.Records) || page.Entries > MaxCheckRecordLimit {
			t.Fatalf("DecodeCheckRecord(%q): total %d, %d records of %d entries", body, page.Total, len(page.Records), page.Entries)
		}
		for i, r := range page.Records {
			if i > 0 && !page.Records[i-1].Start.Before(r.Start) {
				t.Fatalf("DecodeCheckRecord(%q): records not sorted by start, or one start twice: %+v", body, page.Records)
			}
			times := []time.Time{r.Start}
			if r.Ended() {
				times = append(times, r.End)
			}
			for _, at := range times {
				if at.Location() != time.UTC || at.Unix() <= 0 || at.After(latestTime) {
					t.Fatalf("DecodeCheckRecord(%q): time %v out of bounds or not UTC", body, at)
				}
			}
			if r.Ended() && r.End.Before(r.Start) {
				t.Fatalf("DecodeCheckRecord(%q): end %v before start %v", body, r.End, r.Start)
			}
			for _, n := range r.Issues {
				if n < -1 || n > maxCount {
					t.Fatalf("DecodeCheckRecord(%q): count %d", body, n)
				}
			}
		}
	})
}

// BenchmarkDecodeCheckRecord decodes a full page (MaxCheckRecordLimit
// ended records with counts), the largest a history read decodes at a
// time.
func BenchmarkDecodeCheckRecord(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`{"data":[`)
	t0 := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	for i := range MaxCheckRecordLimit {
		if i > 0 {
			sb.WriteByte(',')
		}
		start := t0.Add(time.Duration(i) * time.Hour)
		fmt.Fprintf(&sb, `{"check_time":%q,"check_end_time":%q,"issue_counts":{"critical":1,"serious":3,"normal":12,"prompt":40}}`,
			start.Format(time.RFC3339), start.Add(400*time.Second).Format(time.RFC3339))
	}
	fmt.Fprintf(&sb, `],"total":%d}`, MaxCheckRecordLimit)
	body := []byte(sb.String())
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if page, err := DecodeCheckRecord(body); err != nil || len(page.Records) != MaxCheckRecordLimit {
			b.Fatal(len(page.Records), err)
		}
	}
}
