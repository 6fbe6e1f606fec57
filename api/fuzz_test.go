package api

import (
	"encoding/json"
	"net/http"
	"testing"
)

// FuzzCheckResponse: whatever status and body an API (or a proxy) sends,
// CheckResponse must not panic, must fail every status of 400 or more and
// every body naming an error_code, and the failure must have a non-empty
// code. Seed corpus in testdata/fuzz/FuzzCheckResponse.
func FuzzCheckResponse(f *testing.F) {
	f.Add(200, []byte(`{"error_code":"CC.00050012","error_msg":"retry later"}`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		resp := &Response{StatusCode: status, Header: http.Header{"X-Request-Id": {"0123"}}, Body: body}
		err := CheckResponse(resp)

		var named struct {
			ErrorCode string `json:"error_code"`
		}
		hasCode := json.Unmarshal(body, &named) == nil && named.ErrorCode != ""
		switch {
		case err == nil && (status >= 400 || hasCode):
			t.Fatalf("CheckResponse(%d, %q) = nil, want a failure", status, body)
		case err == nil:
			return
		case !hasCode && status < 400:
			t.Fatalf("CheckResponse(%d, %q) = %v, want success", status, body, err)
		}
		apiErr, ok := err.(*Error)
		if !ok {
			t.Fatalf("CheckResponse(%d, %q) returned %T, want *Error", status, body, err)
		}
		if hasCode && apiErr.Code != named.ErrorCode {
			t.Fatalf("CheckResponse(%d, %q): code %q, want the body's %q", status, body, apiErr.Code, named.ErrorCode)
		}
		if Code(err) == "" || apiErr.Error() == "" {
			t.Fatalf("CheckResponse(%d, %q): empty code or message", status, body)
		}
		if apiErr.HTTPStatus != status {
			t.Fatalf("CheckResponse(%d, %q): HTTPStatus %d", status, body, apiErr.HTTPStatus)
		}
	})
}
