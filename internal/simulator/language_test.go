package simulator

import (
	"context"
	"net/http"
	"reflect"
	"testing"
)

// Every call's X-Language and Content-Type are recorded under its call;
// errors are in English only when asked to.
func TestRequestHeadersAndLanguage(t *testing.T) {
	e := newEnv(t, Options{})
	tok := e.token()
	e.sim.SetTask(Task{ID: "t1", Status: IntPtr(2)})

	send := func(lang string) errBody {
		e.sim.SetFault("t1", Fault{Kind: FaultBusy, Times: 1})
		req := e.progressRequest(context.Background(), "t1", tok)
		req.Header.Set("Content-Type", "application/json")
		if lang != "" {
			req.Header.Set("X-Language", lang)
		}
		return wantErr(t, e.do(req), http.StatusBadRequest, "CC.00000000", false)
	}
	if b := send(""); b.ErrorMsg != "网络繁忙,请稍后再试" {
		t.Errorf("no X-Language: %q, want Chinese", b.ErrorMsg)
	}
	if b := send("zh-cn"); b.ErrorMsg != "网络繁忙,请稍后再试" {
		t.Errorf("zh-cn: %q, want Chinese", b.ErrorMsg)
	}
	if b := send("en-us"); b.ErrorMsg != "The network is busy. Please try again later." {
		t.Errorf("en-us: %q, want English", b.ErrorMsg)
	}
	got := e.sim.RequestHeaders(CallProgress)
	want := RequestHeaders{Language: map[string]int{"": 1, "zh-cn": 1, "en-us": 1}, ContentType: map[string]int{"application/json": 3},
		UserAgent: map[string]int{"Go-http-client/1.1": 3}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("progress headers %+v, want %+v", got, want)
	}
	e.reportGet("t1", "defects-summary", "", tok)
	if got := e.sim.RequestHeaders(CallDefectsSummary).Language; !reflect.DeepEqual(got, map[string]int{"": 1}) {
		t.Errorf("summary languages %v", got)
	}
	if got := e.sim.RequestHeaders(CallIAMToken).ContentType; got["application/json"]+got["application/json;charset=utf8"] != 1 {
		t.Errorf("token call content types %v", got)
	}
	e.sim.ResetStats()
	if got := e.sim.RequestHeaders(CallProgress); len(got.Language) != 0 {
		t.Errorf("after ResetStats: %+v", got)
	}
}
