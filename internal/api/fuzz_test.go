package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// FuzzCheckResponse: whatever status and body an API (or a proxy) sends,
// checkAnswer must not panic, must fail every status of 400 or more and
// every body naming an error code in one of the SDK's shapes, must take
// the body's code when it is label-safe, and must never put anything else
// than a label-safe code or one of its own codes in the label. Seed corpus
// in testdata/fuzz/FuzzCheckResponse.
func FuzzCheckResponse(f *testing.F) {
	f.Add(200, []byte(`{"error_code":"CC.00050012","error_msg":"retry later"}`))
	f.Add(401, []byte(`{"code":"APIGW.0301","message":"Incorrect IAM authentication information"}`))
	f.Add(200, []byte(`{"error":{"code":"CC.00050010","message":"no permission"}}`))
	f.Add(200, []byte(`{"error_code":"CC.00070400.500","error_msg":"internal error"}`))
	f.Add(400, []byte(`{"error_code":"A.1.2.3.4","error_msg":"five parts"}`))
	f.Add(429, []byte(`{"error_code":"APIGW.0308","error_msg":"`+strings.Repeat(`x"`, 2000)+`","request_id":"`+strings.Repeat("r", 3000)+`"}`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		resp := &Response{StatusCode: status, Header: http.Header{"X-Request-Id": {"0123"}}, Body: body}
		err := checkAnswer(resp)
		want := oracleCode(body)
		switch {
		case err == nil && (status >= 400 || want != ""):
			t.Fatalf("checkAnswer(%d, %q) = nil, want a failure", status, body)
		case err == nil:
			return
		case status < 400 && !bytes.HasPrefix(bytes.TrimLeft(body, " \t\r\n"), []byte("{")):
			t.Fatalf("checkAnswer(%d, %q) = %v, want success for a body that is not an object", status, body, err)
		}
		apiErr, ok := err.(*Error)
		if !ok {
			t.Fatalf("checkAnswer(%d, %q) returned %T, want *Error", status, body, err)
		}
		labelSafeCode := func(c string) bool { return len(c) <= maxCodeLen && codeForm.MatchString(c) }
		if want != "" && labelSafeCode(want) && apiErr.Code != want {
			t.Fatalf("checkAnswer(%d, %q): code %q, want the body's %q", status, body, apiErr.Code, want)
		}
		if c := apiErr.Code; !labelSafeCode(c) && c != HTTPStatusCode(status) && c != CodeInvalidResponse {
			t.Fatalf("checkAnswer(%d, %q): code %q is not a bounded label value", status, body, c)
		}
		if apiErr.Error() == "" {
			t.Fatalf("checkAnswer(%d, %q): empty message", status, body)
		}
		if weight(apiErr.Message) > MaxMessageLen || weight(apiErr.RequestID) > MaxRequestIDLen ||
			weight(apiErr.EncodedAuthorizationMessage) > MaxEncodedAuthorizationMessageLen {
			t.Fatalf("checkAnswer(%d, %q): texts not bounded: %+v", status, body, apiErr)
		}
		if apiErr.HTTPStatus != status {
			t.Fatalf("checkAnswer(%d, %q): HTTPStatus %d", status, body, apiErr.HTTPStatus)
		}
	})
}

// oracleCode is the code a body names at its top level or under "error",
// read independently of readErrorBody: "" when it names none there.
func oracleCode(body []byte) string {
	var top map[string]any
	if json.Unmarshal(body, &top) != nil {
		return ""
	}
	if c, ok := get(top, "error_code").(string); ok && c != "" {
		return c
	}
	if c, ok := get(top, "code").(string); ok && c != "" {
		if _, ok := get(top, "message").(string); ok {
			return c
		}
	}
	nested, ok := get(top, "error").(map[string]any)
	if !ok {
		return ""
	}
	code := ""
	if c, ok := get(nested, "error_code").(string); ok && c != "" {
		code = c
	} else if c, ok := get(nested, "code").(string); ok && c != "" {
		if _, ok := get(nested, "message").(string); ok {
			code = c
		}
	}
	if code != "" && len(objectKeys(top)) > 1 {
		// Another nested object sorting before "error" may name a code
		// first: some code is named, which one is not predicted here.
		return "?"
	}
	return code
}

func objectKeys(m map[string]any) []string {
	var keys []string
	for k, v := range m {
		if _, ok := v.(map[string]any); ok {
			keys = append(keys, k)
		}
	}
	return keys
}

// get looks key up as encoding/json matches fields: exactly, else folded.
func get(m map[string]any, key string) any {
	if v, ok := m[key]; ok {
		return v
	}
	// Of several keys that fold alike, the least: one body, one reading.
	var (
		found any
		least string
	)
	for k, v := range m {
		if strings.EqualFold(k, key) && (found == nil || k < least) {
			found, least = v, k
		}
	}
	return found
}
