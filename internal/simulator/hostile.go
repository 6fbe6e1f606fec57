package simulator

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/codearts-check-exporter/codearts_check_exporter/internal/simulator/fakecloud"
)

// Answers of a hostile or broken service, which the exporter must survive
// without keeping or logging what they carry: error texts of a megabyte,
// a code of more parts than the usual two, and errors that echo the
// request back, credentials included (as some proxies and debugging
// backends do). Injected as faults (faults.go).

// Sizes of the texts of FaultHugeRetryLater, FaultHugeBusy and
// FaultHugeThrottled: the body stays under the exporter's 1 MiB read
// limit, so that it is read and decoded whole.
const (
	HugeErrorMsgSize  = 900 << 10
	HugeRequestIDSize = 50 << 10
)

// maxEchoedBody bounds the token request body FaultEchoRequest reads, as
// IAM's token endpoint bounds what it reads.
const maxEchoedBody = 64 << 10

// ThreePartCode is the code of FaultThreePartCode, as the service's FAQ
// writes one.
const ThreePartCode = "CC.00070400.500"

// writeHostile answers with one of the faults of this file; iam selects
// the IAM flavour of FaultEchoRequest (the request's body is echoed).
func (s *Server) writeHostile(w http.ResponseWriter, r *http.Request, k FaultKind, iam bool) {
	switch k {
	case FaultThreePartCode:
		s.writeFaultError(w, iam, fakecloud.ServiceError(http.StatusOK, ThreePartCode, fakecloud.Text(r, "内部错误", "Internal error")))
	case FaultHugeRetryLater:
		writeHugeError(w, http.StatusOK, "CC.00050012")
	case FaultHugeBusy:
		writeHugeError(w, http.StatusBadRequest, "CC.00000000")
	case FaultHugeThrottled:
		writeHugeError(w, http.StatusTooManyRequests, "APIGW.0308")
	case FaultEchoRequest:
		if iam {
			body, _ := io.ReadAll(http.MaxBytesReader(w, r.Body, maxEchoedBody))
			if len(body) > 0 {
				fakecloud.ServiceError(http.StatusBadRequest, "IAM.0011", "Request body is invalid: "+string(body)).Write(w)
				return
			}
		}
		s.writeFaultError(w, iam, fakecloud.GatewayError(http.StatusBadRequest, "APIGW.0201", "Request error: "+dumpHeaders(r.Header)))
	default:
		panic("simulator: not a hostile fault: " + k.String())
	}
}

// writeHugeError sends code with an error_msg of HugeErrorMsgSize bytes
// and a request_id of HugeRequestIDSize, both at the top level of an
// {"error_code","error_msg"} body, whatever the error shape: the text
// lengths are the point.
func writeHugeError(w http.ResponseWriter, status int, code string) {
	body, ok := hugeBodies.Load(code)
	if !ok {
		msg := strings.Repeat("retry later, ", HugeErrorMsgSize/13+1)[:HugeErrorMsgSize]
		rid := strings.Repeat("0123456789abcdef", HugeRequestIDSize/16+1)[:HugeRequestIDSize]
		b, err := json.Marshal(map[string]string{"error_code": code, "error_msg": msg, "request_id": rid})
		if err != nil {
			panic("simulator: marshal: " + err.Error())
		}
		body, _ = hugeBodies.LoadOrStore(code, b)
	}
	fakecloud.WriteRaw(w, status, fakecloud.ContentTypeJSON, body.([]byte))
}

// hugeBodies are writeHugeError's bodies by code, made once: a test that
// answers thousands of calls with them should not spend its CPU on them.
var hugeBodies sync.Map

// dumpHeaders writes h as a debugging backend would, every value as sent,
// the credential headers first (so that they fit in what a client keeps
// of a message), then the others in order.
func dumpHeaders(h http.Header) string {
	first := []string{"X-Auth-Token", "X-Security-Token", "Authorization"}
	names := make([]string, 0, len(h))
	for name := range h {
		if !slices.Contains(first, name) {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	names = append(slices.DeleteFunc(first, func(n string) bool { return h[n] == nil }), names...)
	var b strings.Builder
	for _, name := range names {
		b.WriteString(name + ": " + strings.Join(h[name], ", ") + "; ")
	}
	return b.String()
}
