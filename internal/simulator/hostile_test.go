package simulator

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

func TestHostileFaults(t *testing.T) {
	e := newEnv(t, Options{})
	tok := e.token()
	e.sim.SetTask(Task{ID: "t1", Status: IntPtr(2)})

	e.sim.SetFault("t1", Fault{Kind: FaultThreePartCode, Times: 1})
	if b := wantErr(t, e.progress("t1", tok), http.StatusOK, ThreePartCode, false); b.ErrorMsg != "内部错误" {
		t.Errorf("three-part code message %q, want the Chinese default", b.ErrorMsg)
	}

	for kind, want := range map[FaultKind]struct {
		status int
		code   string
	}{
		FaultHugeRetryLater: {http.StatusOK, "CC.00050012"},
		FaultHugeBusy:       {http.StatusBadRequest, "CC.00000000"},
		FaultHugeThrottled:  {http.StatusTooManyRequests, "APIGW.0308"},
	} {
		e.sim.SetReportFault("t1", Fault{Kind: kind, Times: 1})
		r := e.reportGet("t1", "defects-summary", "", tok)
		b := wantErr(t, r, want.status, want.code, false)
		if len(b.ErrorMsg) != HugeErrorMsgSize || b.RequestID == nil || len(*b.RequestID) != HugeRequestIDSize {
			t.Errorf("%v: error_msg %d bytes, request_id %v", kind, len(b.ErrorMsg), b.RequestID != nil)
		}
		if len(r.body) >= 1<<20 {
			t.Errorf("%v: body of %d bytes, want it under the exporter's 1 MiB read limit", kind, len(r.body))
		}
	}
}

// An echoing error repeats the request's credentials: the token headers
// on CodeArts calls, the body (with the password) on IAM.
func TestEchoRequest(t *testing.T) {
	e := newEnv(t, Options{})
	tok := e.token()
	e.sim.SetTask(Task{ID: "t1", Status: IntPtr(2)})
	e.sim.SetFault("t1", Fault{Kind: FaultEchoRequest, Times: 1})
	req := e.progressRequest(context.Background(), "t1", tok)
	req.Header.Set("X-Security-Token", "sts-token-value")
	b := wantErr(t, e.do(req), http.StatusBadRequest, "APIGW.0201", true)
	if !strings.Contains(b.ErrorMsg, tok) || !strings.Contains(b.ErrorMsg, "sts-token-value") {
		t.Errorf("progress echo %q does not repeat the token headers", b.ErrorMsg)
	}

	e.sim.SetIAMFault(Fault{Kind: FaultEchoRequest, Times: 1})
	r := e.postToken(tokenJSON(DefaultDomain, DefaultUser, DefaultPassword))
	b = wantErr(t, r, http.StatusBadRequest, "IAM.0011", false)
	if !strings.Contains(b.ErrorMsg, DefaultPassword) {
		t.Errorf("IAM echo %q does not repeat the password", b.ErrorMsg)
	}
}
