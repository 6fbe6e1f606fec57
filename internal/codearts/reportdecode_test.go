package codearts

import (
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

func counts(kv ...any) map[string]int64 {
	m := map[string]int64{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i].(string)] = int64(kv[i+1].(int))
	}
	return m
}

func TestDecodeDefectsStatistic(t *testing.T) {
	start := time.Date(2020, 9, 25, 12, 5, 0, 0, time.UTC)
	end := time.Date(2020, 9, 25, 12, 15, 0, 0, time.UTC)
	all := counts("critical", 1, "major", 2, "minor", 3, "suggestion", 4)
	cases := []struct {
		name     string
		body     string
		want     DefectsStatistic
		wantFail bool
	}{
		{"reference example",
			`{"severity":{"critical":1,"major":2,"minor":3,"suggestion":4},"status":{"unresolved":10,"resolved":5,"dismissed":1,"fixed":2,"solved":3},"last_check_time":"2020-09-25T12:05:00Z","last_check_finish_time":"2020-09-25T12:15:00Z"}`,
			DefectsStatistic{Severity: all, Status: counts("unresolved", 10, "resolved", 5, "dismissed", 1), LastCheckStart: start, LastCheckEnd: end}, false},
		{"no times without time_info_switch",
			`{"severity":{"critical":1,"major":2,"minor":3,"suggestion":4},"status":{"unresolved":10,"resolved":5,"dismissed":1}}`,
			DefectsStatistic{Severity: all, Status: counts("unresolved", 10, "resolved", 5, "dismissed", 1)}, false},
		{"counts as strings, spaces, 7.0",
			`{"severity":{"critical":"1","major":" 2 ","minor":3.0,"suggestion":"4"},"status":{}}`,
			DefectsStatistic{Severity: all, Status: counts()}, false},
		{"missing and bad levels are unknown, not 0",
			`{"severity":{"critical":null,"major":-1,"minor":"x","suggestion":1.5},"status":{"unresolved":"1e3","resolved":"0x10","dismissed":true}}`,
			DefectsStatistic{Severity: counts(), Status: counts()}, false},
		{"only severity", `{"severity":{"critical":0}}`, DefectsStatistic{Severity: counts("critical", 0), Status: counts()}, false},
		{"resolved from fixed and solved", `{"status":{"unresolved":1,"fixed":2,"solved":"3"}}`,
			DefectsStatistic{Severity: counts(), Status: counts("unresolved", 1, "resolved", 5)}, false},
		{"resolved wins over fixed and solved", `{"status":{"resolved":4,"fixed":2,"solved":3}}`,
			DefectsStatistic{Severity: counts(), Status: counts("resolved", 4)}, false},
		{"fixed alone is not resolved", `{"status":{"fixed":2}}`, DefectsStatistic{Severity: counts(), Status: counts()}, false},
		{"count too large", `{"severity":{"critical":9007199254740993}}`, DefectsStatistic{Severity: counts(), Status: counts()}, false},
		{"Beijing time without zone, bad finish",
			`{"severity":{},"last_check_time":"2020-09-25 20:05:00","last_check_finish_time":"yesterday"}`,
			DefectsStatistic{Severity: counts(), Status: counts(), LastCheckStart: start}, false},
		{"placeholder times", `{"severity":{},"last_check_time":"0001-01-01T00:00:00Z","last_check_finish_time":"1970-01-01 08:00:00"}`,
			DefectsStatistic{Severity: counts(), Status: counts()}, false},
		// Every field of the SDK's model is optional: {} and nulls are a
		// valid answer with no values (no report yet), not an error.
		{"empty object", `{}`, DefectsStatistic{Severity: counts(), Status: counts()}, false},
		{"null severity and status", `{"severity":null,"status":null}`, DefectsStatistic{Severity: counts(), Status: counts()}, false},
		{"all null", `{"severity":null,"status":null,"last_check_time":null,"last_check_finish_time":null}`,
			DefectsStatistic{Severity: counts(), Status: counts()}, false},
		{"null counts", `{"severity":{"critical":null},"status":{"unresolved":null}}`, DefectsStatistic{Severity: counts(), Status: counts()}, false},
		{"far-future times kept exactly", `{"severity":{},"last_check_time":"9999-12-31T23:59:59Z","last_check_finish_time":"9999-12-31T23:59:59.999999999Z"}`,
			DefectsStatistic{Severity: counts(), Status: counts(), LastCheckStart: time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC),
				LastCheckEnd: time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC)}, false},
		{"times before 1970 dropped", `{"severity":{},"last_check_time":"1969-12-31T23:59:59Z","last_check_finish_time":"0001-01-01 08:00:00"}`,
			DefectsStatistic{Severity: counts(), Status: counts()}, false},
		{"no statistic field", `{"foo":1}`, DefectsStatistic{}, true},
		{"severity not an object", `{"severity":5}`, DefectsStatistic{}, true},
		{"error-like body", `{"error_code":"CC.00050010","error_msg":"no"}`, DefectsStatistic{}, true},
		{"null", `null`, DefectsStatistic{}, true},
		{"array", `[]`, DefectsStatistic{}, true},
		{"not json", `<html>`, DefectsStatistic{}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := DecodeDefectsStatistic([]byte(c.body))
			if c.wantFail {
				if err == nil {
					t.Fatalf("accepted %s as %+v", c.body, got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("got  %+v\nwant %+v", got, c.want)
			}
		})
	}
}

func TestDecodeDefectsSummary(t *testing.T) {
	checked := time.Date(2019, 9, 24, 7, 0, 41, 0, time.UTC) // 15:00:41 in Beijing
	cases := []struct {
		name     string
		body     string
		want     DefectsSummary
		wantFail bool
	}{
		{"schema shape",
			`{"task_id":"t","task_name":"web","git_branch":"main","last_check_time":"2019-09-24T07:00:41Z","code_line_total":63371,"code_line":55777,"code_quality":141.7,"duplication_ratio":"3.25%","comment_ratio":"20%","critical_count":"0","is_access":"1"}`,
			DefectsSummary{TaskName: "web", GitBranch: "main", CodeLines: 55777, HasCodeLines: true,
				DuplicationRatio: 0.0325, HasDuplicationRatio: true, CommentRatio: 0.2, HasCommentRatio: true,
				QualityGatePassed: true, HasQualityGate: true, LastCheckTime: checked}, false},
		{"example shape",
			`{"result":{"info":{"codeLineTotal":"63371","codeLine":"55777","lastCheckTime":"2019-09-24 15:00:41","codeQuality":"141.7","riskCoefficient":"790","branch":"master","defectInfo":{"criticalCount":"0","seriousCount":"0","normalCount":"0","promptCount":"0"},"defectStatusInfo":{"newCount":"2952"}}}}`,
			DefectsSummary{GitBranch: "master", CodeLines: 55777, HasCodeLines: true, LastCheckTime: checked}, false},
		{"example shape, camelCase guesses",
			`{"result":{"info":{"taskName":"web","gitBranch":"dev","codeLine":55777,"duplicationRatio":"0%","commentRatio":" 7.5 % ","isAccess":"false"}}}`,
			DefectsSummary{TaskName: "web", GitBranch: "dev", CodeLines: 55777, HasCodeLines: true,
				HasDuplicationRatio: true, CommentRatio: 0.075, HasCommentRatio: true, HasQualityGate: true}, false},
		{"code_line as string in the schema shape", `{"code_line":"12"}`, DefectsSummary{CodeLines: 12, HasCodeLines: true}, false},
		{"bad values are unknown",
			`{"task_name":7,"git_branch":null,"code_line":-3,"duplication_ratio":"3.25","comment_ratio":0.2,"is_access":"maybe","last_check_time":"soon"}`,
			DefectsSummary{UnknownQualityGate: "maybe"}, false},
		{"ratio over 100%", `{"duplication_ratio":"250%"}`, DefectsSummary{}, false},
		{"snake_case wins, camelCase fills in", `{"code_line":"x","codeLine":"5","task_name":"","taskName":"n"}`,
			DefectsSummary{TaskName: "n", CodeLines: 5, HasCodeLines: true}, false},
		{"gate as JSON bool", `{"is_access":false}`, DefectsSummary{HasQualityGate: true}, false},
		{"gate as number", `{"is_access":1}`, DefectsSummary{QualityGatePassed: true, HasQualityGate: true}, false},
		{"gate number 2", `{"is_access":2}`, DefectsSummary{UnknownQualityGate: "2"}, false},
		{"never checked: names only", `{"task_id":"t","task_name":"web"}`, DefectsSummary{TaskName: "web"}, false},
		{"result without info", `{"result":{}}`, DefectsSummary{}, false},
		{"result null", `{"result":null}`, DefectsSummary{}, false},
		{"info null", `{"result":{"info":null}}`, DefectsSummary{}, false},
		{"info empty", `{"result":{"info":{}}}`, DefectsSummary{}, false},
		{"result not an object", `{"result":"none"}`, DefectsSummary{}, true},
		{"all null, schema shape", `{"task_name":null,"code_line":null,"duplication_ratio":null,"comment_ratio":null,"is_access":null,"last_check_time":null}`, DefectsSummary{}, false},
		{"all null, example shape", `{"result":{"info":{"codeLine":null,"isAccess":null,"lastCheckTime":null}}}`, DefectsSummary{}, false},
		{"gate error", `{"is_access":"error"}`, DefectsSummary{HasQualityGate: true}, false},
		{"gate success", `{"isAccess":"success"}`, DefectsSummary{QualityGatePassed: true, HasQualityGate: true}, false},
		{"unknown gate as sent", `{"is_access":"  maybe "}`, DefectsSummary{UnknownQualityGate: "  maybe "}, false},
		{"unknown gate bounded", `{"is_access":"` + strings.Repeat("é", 40) + `"}`, DefectsSummary{UnknownQualityGate: strings.Repeat("é", 32)}, false},
		{"unknown gate not a string", `{"is_access":{"a":[1]}}`, DefectsSummary{UnknownQualityGate: `{"a":[1]}`}, false},
		{"unknown gate in snake_case, camelCase known", `{"is_access":"maybe","isAccess":"0"}`, DefectsSummary{HasQualityGate: true}, false},
		{"far-future time kept", `{"last_check_time":"9999-12-31T23:59:59Z"}`, DefectsSummary{LastCheckTime: time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)}, false},
		{"time past 9999 dropped", `{"last_check_time":"9999-12-31T23:59:59-01:00"}`, DefectsSummary{}, false},
		{"info not an object", `{"result":{"info":[1]}}`, DefectsSummary{}, true},
		{"no known field", `{"foo":1}`, DefectsSummary{}, true},
		{"error-like body", `{"error_code":"CC.00050010","error_msg":"no"}`, DefectsSummary{}, true},
		{"empty object", `{}`, DefectsSummary{}, false},
		{"null", `null`, DefectsSummary{}, true},
		{"string", `"summary"`, DefectsSummary{}, true},
		{"truncated", `{"code_line":1`, DefectsSummary{}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := DecodeDefectsSummary([]byte(c.body))
			if c.wantFail {
				if err == nil {
					t.Fatalf("accepted %s as %+v", c.body, got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(got.DuplicationRatio-c.want.DuplicationRatio) < 1e-12 {
				got.DuplicationRatio = c.want.DuplicationRatio
			}
			if math.Abs(got.CommentRatio-c.want.CommentRatio) < 1e-12 {
				got.CommentRatio = c.want.CommentRatio
			}
			if !got.LastCheckTime.Equal(c.want.LastCheckTime) {
				t.Errorf("last check %v, want %v", got.LastCheckTime, c.want.LastCheckTime)
			}
			got.LastCheckTime = c.want.LastCheckTime
			if got != c.want {
				t.Errorf("got  %+v\nwant %+v", got, c.want)
			}
		})
	}
}

func TestParseQualityGate(t *testing.T) {
	for _, s := range []string{"1", "true", "TRUE", " pass ", "Passed", "yes", "Y", "success", "通过"} {
		if passed, known := ParseQualityGate(s); !passed || !known {
			t.Errorf("ParseQualityGate(%q) = %v, %v; want passed", s, passed, known)
		}
	}
	for _, s := range []string{"0", "false", "False", "fail", "FAILED", "no", "n", "failure", "error", " Error ", "未通过", "不通过"} {
		if passed, known := ParseQualityGate(s); passed || !known {
			t.Errorf("ParseQualityGate(%q) = %v, %v; want failed", s, passed, known)
		}
	}
	for _, s := range []string{"", " ", "-1", "2", "null", "unknown", "passing", "1.0", "通过了"} {
		if passed, known := ParseQualityGate(s); passed || known {
			t.Errorf("ParseQualityGate(%q) = %v, %v; want unknown", s, passed, known)
		}
	}
}

// parseTime reads both forms in UTC, keeps far-future times to the
// nanosecond, and reads nothing else (the zero time: not a time).
func TestParseTime(t *testing.T) {
	want := time.Date(2020, 9, 25, 12, 5, 0, 0, time.UTC)
	for s, want := range map[string]time.Time{
		`"2020-09-25T12:05:00Z"`:                      want,
		`"2020-09-25T20:05:00+08:00"`:                 want,
		`"2020-09-25 20:05:00"`:                       want,
		`"2020-09-25T20:05:00"`:                       want,
		`" 2020-09-25 20:05:00 "`:                     want,
		`"2020-09-25 20:05:00.250"`:                   want.Add(250 * time.Millisecond),
		`"9999-12-31T23:59:59Z"`:                      time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC),
		`"9999-12-31 23:59:59"`:                       time.Date(9999, 12, 31, 15, 59, 59, 0, time.UTC),
		`"9999-12-31T23:59:59.123456789Z"`:            time.Date(9999, 12, 31, 23, 59, 59, 123456789, time.UTC),
		`"2262-04-12T00:00:00Z"`:                      time.Date(2262, 4, 12, 0, 0, 0, 0, time.UTC), // past UnixNano's range
		`null`:                                        {},
		`""`:                                          {},
		`1601035500`:                                  {},
		`"2020-09-25"`:                                {},
		`"25/09/2020 12:05"`:                          {},
		`"1970-01-01T00:00:00Z"`:                      {},
		`"2020-13-01T00:00:00Z"`:                      {},
		`"1969-12-31T23:59:59Z"`:                      {},
		`"0001-01-01T00:00:00Z"`:                      {},
		`"10000-01-01T00:00:00Z"`:                     {},
		`"9999-12-31T23:00:00-01:00"`:                 {},
		`"2020-09-25T12:05:00Z                     "`: {}, // longer than any time
	} {
		got, ok := parseTime([]byte(s))
		if ok != !want.IsZero() || !got.Equal(want) || ok && got.Location() != time.UTC {
			t.Errorf("parseTime(%s) = %v, %v; want %v in UTC", s, got, ok, want)
		}
	}
}
