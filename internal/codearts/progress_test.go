package codearts

import (
	"math"
	"testing"
)

func TestParseRatio(t *testing.T) {
	cases := []struct {
		in   string
		want float64
		ok   bool
	}{
		{"0%", 0, true},
		{"50%", 0.5, true},
		{"100%", 1, true},
		{"33.3%", 0.333, true},
		{" 7 % ", 0.07, true},
		{"\t12.5%\n", 0.125, true},
		{"", 0, false},
		{"%", 0, false},
		{"50", 0, false},
		{"garbage", 0, false},
		{"fifty%", 0, false},
		{"-5%", 0, false},
		{"101%", 0, false},
		{"NaN%", 0, false},
		{"Inf%", 0, false},
		{"50%%", 0, false},
		{"5 0%", 0, false},
	}
	for _, c := range cases {
		got, ok := ParseRatio(c.in)
		if ok != c.ok || math.Abs(got-c.want) > 1e-12 {
			t.Errorf("ParseRatio(%q) = %v, %v; want %v, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestDecodeProgress(t *testing.T) {
	cases := []struct {
		name     string
		body     string
		want     Progress
		wantFail bool
	}{
		{"checking", `{"task_status":0,"progress":{"ratio":"50%","info":"running"}}`, Progress{Status: 0, Ratio: 0.5, HasRatio: true, Info: "running"}, false},
		{"failed", `{"task_status":1,"progress":{"ratio":null,"info":null}}`, Progress{Status: 1}, false},
		{"succeeded", `{"task_status":2,"progress":{"ratio":"100%","info":"success"}}`, Progress{Status: 2, Ratio: 1, HasRatio: true, Info: "success"}, false},
		{"stopped", `{"task_status":3,"progress":{"ratio":null}}`, Progress{Status: 3}, false},
		{"never checked", `{"task_status":null,"progress":{"ratio":null,"info":null}}`, Progress{Status: StatusNeverChecked}, false},
		{"progress null", `{"task_status":2,"progress":null}`, Progress{Status: 2}, false},
		{"progress absent", `{"task_status":2}`, Progress{Status: 2}, false},
		{"future status passed on", `{"task_status":4}`, Progress{Status: 4}, false},
		{"free-text info", `{"task_status":0,"progress":{"ratio":"1%","info":"Performing the check..."}}`, Progress{Status: 0, Ratio: 0.01, HasRatio: true, Info: "Performing the check..."}, false},
		{"ratio wrong type dropped", `{"task_status":0,"progress":{"ratio":50,"info":7}}`, Progress{Status: 0}, false},
		{"status as string", `{"task_status":"2"}`, Progress{}, true},
		{"status float", `{"task_status":2.5}`, Progress{}, true},
		{"status negative", `{"task_status":-1}`, Progress{}, true},
		{"status bool", `{"task_status":true}`, Progress{}, true},
		// The service omits null fields (its model is omitempty): a missing
		// task_status is null.
		{"no task_status", `{"progress":{"ratio":null}}`, Progress{Status: StatusNeverChecked}, false},
		{"empty object", `{}`, Progress{Status: StatusNeverChecked}, false},
		{"empty object with spaces", " \n{ } ", Progress{Status: StatusNeverChecked}, false},
		{"null", `null`, Progress{}, true},
		{"string", `"{}"`, Progress{}, true},
		{"not json", `<html>502</html>`, Progress{}, true},
		{"truncated", `{"task_status":2,"progr`, Progress{}, true},
		{"array", `[1,2]`, Progress{}, true},
	}
	for _, c := range cases {
		got, err := DecodeProgress([]byte(c.body))
		if c.wantFail {
			if err == nil {
				t.Errorf("%s: DecodeProgress(%s) = %+v, want an error", c.name, c.body, got)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%s: DecodeProgress(%s) = %+v, %v; want %+v", c.name, c.body, got, err, c.want)
		}
	}
}
