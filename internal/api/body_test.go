package api

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// Every error shape the SDK reads is read, with any status, in the SDK's
// order; codes that could not be a documented code never reach the label.
// checkAnswer is what Caller.Do makes of resp, but for the request's
// credentials and configured secrets, which it has none of here: the
// failure checkResponse finds, its texts bounded and redacted.
func checkAnswer(resp *Response) error {
	e := checkResponse(resp)
	if e == nil {
		return nil
	}
	newRedactor(nil).scrub(e)
	return e
}

func TestCheckResponseShapes(t *testing.T) {
	for _, tc := range []struct {
		name    string
		status  int
		body    string
		code    string // "" = success
		msg     string
		encoded string
	}{
		{"error_code in 200", 200, `{"error_code":"CC.00050012","error_msg":"retry later"}`, "CC.00050012", "retry later", ""},
		{"error_code without msg", 200, `{"error_code":"CC.00050012"}`, "CC.00050012", "OK", ""},
		{"code in 200", 200, `{"code":"CC.00050012","message":"retry later"}`, "CC.00050012", "retry later", ""},
		{"code in 401", 401, `{"code":"APIGW.0301","message":"verify token fail"}`, "APIGW.0301", "verify token fail", ""},
		{"nested in 200", 200, `{"error":{"code":"CC.00050010","message":"no permission"}}`, "CC.00050010", "no permission", ""},
		{"nested error_code", 200, `{"error":{"error_code":"CC.00050010","error_msg":"x"}}`, "CC.00050010", "x", ""},
		{"error_code before code", 400, `{"code":"A.1","message":"a","error_code":"B.2","error_msg":"b"}`, "B.2", "b", ""},
		{"top level before nested", 400, `{"error":{"code":"A.1","message":"a"},"code":"B.2","message":"b"}`, "B.2", "b", ""},
		{"nested in key order", 200, `{"z":{"code":"Z.1","message":"z"},"a":{"code":"A.1","message":"a"}}`, "A.1", "a", ""},
		{"keystone numeric code", 401, `{"error":{"code":401,"message":"The username or password is wrong.","title":"Unauthorized"}}`, "http_401", "The username or password is wrong.", ""},
		{"code without message is not the code shape", 200, `{"code":"X.1"}`, "", "", ""},
		{"encoded authorization message", 403, `{"error_code":"APIGW.0302","error_msg":"not authorized","encoded_authorization_message":"AbC=="}`, "APIGW.0302", "not authorized", "AbC=="},
		{"encoded next to nested code", 403, `{"error":{"code":"APIGW.0302","message":"m","encoded_authorization_message":"AbC=="}}`, "APIGW.0302", "m", "AbC=="},
		{"malformed code in 200", 200, `{"error_code":"not a code","error_msg":"x"}`, CodeInvalidResponse, `error code "not a code" is not a well-formed code: x`, ""},
		{"malformed code in 401", 401, `{"code":"401","message":"x"}`, "http_401", `error code "401" is not a well-formed code: x`, ""},
		{"three-part code", 200, `{"error_code":"CC.00070400.500","error_msg":"internal error"}`, "CC.00070400.500", "internal error", ""},
		{"four-part code", 400, `{"code":"CC.1.2.3","message":"m"}`, "CC.1.2.3", "m", ""},
		{"five parts", 400, `{"error_code":"CC.1.2.3.4","error_msg":"m"}`, "http_400", `error code "CC.1.2.3.4" is not a well-formed code: m`, ""},
		{"empty part", 200, `{"error_code":"CC..500","error_msg":"m"}`, CodeInvalidResponse, "", ""},
		{"trailing dot", 200, `{"error_code":"CC.0007.","error_msg":"m"}`, CodeInvalidResponse, "", ""},
		{"digit in prefix", 200, `{"error_code":"C1.0007.5","error_msg":"m"}`, CodeInvalidResponse, "", ""},
		{"three parts too long", 400, `{"error_code":"CC.00070400.` + strings.Repeat("5", 21) + `","error_msg":"m"}`, "http_400", "", ""},
		{"huge message bounded", 200, `{"error_code":"CC.00050012","error_msg":"` + strings.Repeat("x", 1<<19) + `"}`, "CC.00050012",
			strings.Repeat("x", MaxMessageLen-len(CutMark)) + CutMark, ""},
		{"long code", 400, `{"error_code":"CC.` + strings.Repeat("0", 40) + `"}`, "http_400", "", ""},
		{"html 502", 502, `<html>bad gateway</html>`, "http_502", "Bad Gateway", ""},
		{"never checked", 200, `{}`, "", "", ""},
		{"progress", 200, `{"task_status":0,"progress":{"ratio":"50%","info":"running"}}`, "", "", ""},
		{"code in another case", 200, `{"Error_Code":"CC.00050012","ERROR_MSG":"retry later"}`, "CC.00050012", "retry later", ""},
		{"escaped key", 200, `{"error_\u0063ode":"CC.00050012"}`, "CC.00050012", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := checkAnswer(&Response{StatusCode: tc.status, Header: http.Header{}, Body: []byte(tc.body)})
			if tc.code == "" {
				if err != nil {
					t.Fatalf("err = %v, want success", err)
				}
				return
			}
			apiErr, ok := err.(*Error)
			if !ok {
				t.Fatalf("err = %v (%T), want *Error", err, err)
			}
			if apiErr.Code != tc.code {
				t.Errorf("code = %q, want %q", apiErr.Code, tc.code)
			}
			if tc.msg != "" && apiErr.Message != tc.msg {
				t.Errorf("message = %q, want %q", apiErr.Message, tc.msg)
			}
			if apiErr.EncodedAuthorizationMessage != tc.encoded {
				t.Errorf("encoded_authorization_message = %q, want %q", apiErr.EncodedAuthorizationMessage, tc.encoded)
			}
			if tc.encoded != "" && strings.Contains(apiErr.Error(), tc.encoded) {
				t.Errorf("Error() = %q carries the encoded message", apiErr.Error())
			}
		})
	}
}

// A body cannotNameCode passes unread names no code when read.
func FuzzCannotNameCode(f *testing.F) {
	for _, body := range []string{`{"error_code":"CC.1"}`, `{"CoDe":"A.1","message":"m"}`, `{"error_\u0063ode":"CC.1"}`,
		`{"task_status":0,"progress":{"ratio":"50%"}}`, `{"a":{"b":{"code":"X.1","message":""}}}`} {
		f.Add([]byte(body))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var obj map[string]json.RawMessage
		if json.Unmarshal(body, &obj) != nil {
			return
		}
		if _, named := searchErrorBody(obj, 0); named && cannotNameCode(body) {
			t.Errorf("%q names a code, and cannotNameCode passes it", body)
		}
	})
}
