package simulator

import (
	"crypto/tls"
	"net"
	"net/http"
	"strconv"

	"github.com/codearts-check-exporter/codearts_check_exporter/internal/simulator/fakecloud"
)

// Fault injection: the failures a production exporter meets between it and
// Huawei Cloud (gateway errors, throttling, dropped connections, broken or
// hostile bodies), each reproduced with the status, headers and body the
// real gateway or service sends.

// FaultKind selects one injected failure.
type FaultKind int

const (
	FaultNone               FaultKind = iota
	FaultHang                         // never answers: holds the request until the client goes away (or the server closes)
	FaultConnReset                    // hijacks the connection and closes it with SO_LINGER 0 (TCP RST) without a response
	FaultBadGateway                   // 502, Content-Type text/html, an HTML body (like an nginx error page)
	FaultInvalidJSON                  // 200 with a truncated/invalid JSON body
	FaultHugeBody                     // 200 with a 64 MiB body, streamed (never allocated)
	FaultWrongType                    // 200 with {"task_status":"2","progress":{"ratio":50,"info":"running"}} (wrong JSON types)
	FaultThrottled                    // 429 APIGW.0308 (gateway rate limit)
	FaultBusy                         // 400 CC.00000000 网络繁忙,请稍后再试
	FaultRetryLater                   // 200 CC.00050012 retry later
	FaultTokenExpired                 // 401 CC.00000003 认证信息过期
	FaultServiceUnavailable           // 503 gateway JSON (APIGW.0610 on progress, APIGW.0613 on IAM)
	FaultForbidden                    // 403 APIGW.0302 with an encoded_authorization_message
	FaultNoPermission                 // 200 CC.00050010 current user does not have permission
	FaultThreePartCode                // 200 CC.00070400.500, a code of three parts (hostile.go)
	FaultHugeRetryLater               // 200 CC.00050012 with a HugeErrorMsgSize error_msg and a HugeRequestIDSize request_id (hostile.go)
	FaultHugeBusy                     // 400 CC.00000000, as huge
	FaultHugeThrottled                // 429 APIGW.0308, as huge
	FaultEchoRequest                  // 400 echoing the request: its body on IAM, its headers elsewhere (hostile.go)
)

var faultNames = [...]string{
	FaultNone:               "FaultNone",
	FaultHang:               "FaultHang",
	FaultConnReset:          "FaultConnReset",
	FaultBadGateway:         "FaultBadGateway",
	FaultInvalidJSON:        "FaultInvalidJSON",
	FaultHugeBody:           "FaultHugeBody",
	FaultWrongType:          "FaultWrongType",
	FaultThrottled:          "FaultThrottled",
	FaultBusy:               "FaultBusy",
	FaultRetryLater:         "FaultRetryLater",
	FaultTokenExpired:       "FaultTokenExpired",
	FaultServiceUnavailable: "FaultServiceUnavailable",
	FaultForbidden:          "FaultForbidden",
	FaultNoPermission:       "FaultNoPermission",
	FaultThreePartCode:      "FaultThreePartCode",
	FaultHugeRetryLater:     "FaultHugeRetryLater",
	FaultHugeBusy:           "FaultHugeBusy",
	FaultHugeThrottled:      "FaultHugeThrottled",
	FaultEchoRequest:        "FaultEchoRequest",
}

// String returns the constant's name, for test names and failure messages.
func (k FaultKind) String() string {
	if k >= 0 && int(k) < len(faultNames) {
		return faultNames[k]
	}
	return "FaultKind(" + strconv.Itoa(int(k)) + ")"
}

// Fault is an injected failure and how many requests it affects.
type Fault struct {
	Kind  FaultKind
	Times int // 0 (or negative) = every request until cleared; n > 0 = only the next n requests, then behave normally
}

// faultState is a Fault being consumed; remaining 0 means unlimited.
type faultState struct {
	kind      FaultKind
	remaining int
}

func newFaultState(f Fault) *faultState {
	return &faultState{kind: f.Kind, remaining: max(f.Times, 0)}
}

// take consumes one use of the fault and reports its kind and whether it is
// now used up (and must be removed).
func (f *faultState) take() (k FaultKind, exhausted bool) {
	if f.remaining == 0 {
		return f.kind, false
	}
	f.remaining--
	return f.kind, f.remaining == 0
}

// SetFault injects f into progress requests for taskID, or for every task
// when taskID is "". A per-task fault wins over the global one while it
// lasts, including a per-task FaultNone, which exempts that task from the
// global fault. Faults apply after authentication and only to known tasks,
// so requests that would get 401 or CC.00050014 do not consume them.
// Setting a fault replaces the previous one for the same key.
//
// Beware with FaultConnReset (and a hang released by Close): net/http's
// Transport silently replays a GET that fails on a reused keep-alive
// connection, so with Times: 1 the client may never see the failure. Tests
// that must observe it should use a Transport with DisableKeepAlives, or
// Times: 0, and can check TaskRequests. Both need a real server (they
// hijack the connection); under httptest.ResponseRecorder they panic with
// http.ErrAbortHandler.
func (s *Server) SetFault(taskID string, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[taskID] = newFaultState(f)
}

// ClearFaults removes every fault: per-task, global and IAM. Latency is
// not a fault and stays.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.faults)
	s.iamFault = nil
}

// SetIAMFault injects f into token requests (POST only, before the body is
// read) and project-list requests (after the credentials check; they share
// the fault's Times). FaultServiceUnavailable answers 503 APIGW.0613 (IAM unavailable);
// FaultHang, FaultConnReset and FaultBadGateway behave as on progress
// requests. FaultEchoRequest reads the token request's body and echoes it
// (headers, on the project list). The remaining kinds answer exactly as
// they do on progress requests; none of them issues a token.
func (s *Server) SetIAMFault(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.iamFault = newFaultState(f)
}

// SetTaskListFault injects f into task list requests for projectID, or for
// every project when projectID is "". Faults apply after authentication and
// only to known projects, as SetFault's do, and after SetListing's pages.
func (s *Server) SetTaskListFault(projectID string, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.listFaults[projectID] = newFaultState(f)
}

// SetReportFault injects f into both report calls for taskID, or for every
// task when taskID is "", as SetFault does for progress calls (whose
// faults do not apply here). They apply only to requests that would
// otherwise be answered (not to unknown tasks or denied reports).
func (s *Server) SetReportFault(taskID string, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.repFaults[taskID] = newFaultState(f)
}

// SetCheckRecordFault injects f into CheckRecord requests for taskID, or
// for every task when taskID is "", as SetReportFault does for reports.
func (s *Server) SetCheckRecordFault(taskID string, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.recFaults[taskID] = newFaultState(f)
}

// takeFault picks and consumes the fault for key in faults (a per-key
// fault wins over the one for "").
func (s *Server) takeFault(faults map[string]*faultState, key string) FaultKind {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range []string{key, ""} {
		if f, ok := faults[k]; ok {
			kind, exhausted := f.take()
			if exhausted {
				delete(faults, k)
			}
			return kind
		}
	}
	return FaultNone
}

func (s *Server) takeIAMFault() FaultKind {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.iamFault == nil {
		return FaultNone
	}
	k, exhausted := s.iamFault.take()
	if exhausted {
		s.iamFault = nil
	}
	return k
}

const badGatewayPage = `<html>
<head><title>502 Bad Gateway</title></head>
<body>
<center><h1>502 Bad Gateway</h1></center>
<hr><center>nginx</center>
</body>
</html>
`

// writeFault answers with fault k; iam selects the IAM flavour where the
// two services differ.
func (s *Server) writeFault(w http.ResponseWriter, r *http.Request, k FaultKind, iam bool) {
	switch k {
	case FaultHang:
		s.hang(w, r)
	case FaultConnReset:
		abortConn(w, true)
	case FaultBadGateway:
		fakecloud.WriteRaw(w, http.StatusBadGateway, "text/html", []byte(badGatewayPage))
	case FaultInvalidJSON:
		fakecloud.WriteRaw(w, http.StatusOK, fakecloud.ContentTypeJSON, []byte(`{"task_status":0,"progress":{"ratio":"5`))
	case FaultHugeBody:
		s.writeHugeBody(w, r)
	case FaultWrongType:
		fakecloud.WriteRaw(w, http.StatusOK, fakecloud.ContentTypeJSON,
			[]byte(`{"task_status":"2","progress":{"ratio":50,"info":"running"}}`))
	case FaultThrottled:
		s.writeFaultError(w, iam, fakecloud.GatewayError(http.StatusTooManyRequests, "APIGW.0308",
			"The throttling threshold has been reached: policy user over ratelimit,limit:20,time:1 second"))
	case FaultBusy:
		s.writeFaultError(w, iam, fakecloud.ServiceError(http.StatusBadRequest, "CC.00000000", fakecloud.Text(r, "网络繁忙,请稍后再试", "The network is busy. Please try again later.")))
	case FaultRetryLater:
		s.writeFaultError(w, iam, fakecloud.ServiceError(http.StatusOK, "CC.00050012", "retry later"))
	case FaultTokenExpired:
		s.writeFaultError(w, iam, fakecloud.ServiceError(http.StatusUnauthorized, "CC.00000003", fakecloud.Text(r, "认证信息过期", "Authentication information expired")))
	case FaultServiceUnavailable:
		if iam {
			fakecloud.GatewayError(http.StatusServiceUnavailable, "APIGW.0613", "IAM service is currently unavailable").Write(w)
		} else {
			s.writeError(w, fakecloud.GatewayError(http.StatusServiceUnavailable, "APIGW.0610", "No backend available"))
		}
	case FaultForbidden:
		e := fakecloud.GatewayError(http.StatusForbidden, "APIGW.0302", "The IAM user is not authorized to access the API")
		e.Encoded = EncodedAuthorizationMessage
		s.writeFaultError(w, iam, e)
	case FaultNoPermission:
		s.writeFaultError(w, iam, fakecloud.ServiceError(http.StatusOK, "CC.00050010", "current user does not have permission"))
	case FaultThreePartCode, FaultHugeRetryLater, FaultHugeBusy, FaultHugeThrottled, FaultEchoRequest:
		s.writeHostile(w, r, k, iam)
	default:
		panic("simulator: unknown fault kind " + k.String())
	}
}

// EncodedAuthorizationMessage is what FaultForbidden puts in
// encoded_authorization_message: opaque, as the real one is to anyone but
// the account's administrator.
const EncodedAuthorizationMessage = "Q2FuIG5vdCBkZWNvZGUgd2l0aG91dCB0aGUgYWNjb3VudCdzIGtleQ=="

// writeFaultError sends a fault's error body: in the documented shape on
// the IAM endpoint, in the server's error shape elsewhere.
func (s *Server) writeFaultError(w http.ResponseWriter, iam bool, e *apiError) {
	if iam {
		e.Write(w)
		return
	}
	s.writeError(w, e)
}

// hang holds the request until the client gives up (nothing to send then)
// or Close is called (then the connection is dropped: a hung backend never
// produces an answer, and a 200 here would lie about that).
func (s *Server) hang(w http.ResponseWriter, r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-s.closed:
		abortConn(w, false)
	}
}

// abortConn drops the client connection without an HTTP response. With
// reset, SO_LINGER 0 makes the kernel send RST instead of FIN, which is what
// a crashed load balancer or a firewall looks like to the client. Handlers
// that cannot be hijacked (HTTP/2, httptest.ResponseRecorder) fall back to
// http.ErrAbortHandler, which net/http turns into a silent abort.
func abortConn(w http.ResponseWriter, reset bool) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if reset {
		c := conn
		if tc, ok := c.(*tls.Conn); ok {
			c = tc.NetConn()
		}
		if tcp, ok := c.(*net.TCPConn); ok {
			_ = tcp.SetLinger(0)
		}
	}
	_ = conn.Close()
}

// HugeBodySize is the exact length of a FaultHugeBody body.
const HugeBodySize = 64 << 20

// hugeBodyPrefix and hugeBodySuffix frame the padding so that the complete
// body is valid JSON (whitespace is legal between tokens) but any prefix of
// it is not: a client that caps the body size must notice the cap, because
// the truncated body will not decode.
const (
	hugeBodyPrefix = `{"task_status":0,"progress":{"ratio":"50%","info":"running"}`
	hugeBodySuffix = "}"
)

// writeHugeBody streams HugeBodySize bytes in fixed chunks (no
// Content-Length, so it goes out chunked and the client cannot reject it up
// front). It stops as soon as a write fails (client gone) or the request or
// server is done.
func (s *Server) writeHugeBody(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", fakecloud.ContentTypeJSON)
	w.WriteHeader(http.StatusOK)
	if _, err := w.Write([]byte(hugeBodyPrefix)); err != nil {
		return
	}
	chunk := make([]byte, 32<<10)
	for i := range chunk {
		chunk[i] = ' '
	}
	for left := HugeBodySize - len(hugeBodyPrefix) - len(hugeBodySuffix); left > 0; {
		select {
		case <-r.Context().Done():
			return
		case <-s.closed:
			return
		default:
		}
		n := min(left, len(chunk))
		if _, err := w.Write(chunk[:n]); err != nil {
			return
		}
		left -= n
	}
	_, _ = w.Write([]byte(hugeBodySuffix))
}
