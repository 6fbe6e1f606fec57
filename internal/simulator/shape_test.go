package simulator

import (
	"encoding/json"
	"net/http"
	"reflect"
	"testing"
)

// Each error shape carries the same code and message, under the names the
// SDK reads, for errors at any status: 200 (unknown task), 401 (refused
// token), faults, and the gateway's 404.
func TestErrorShapes(t *testing.T) {
	e := newEnv(t, Options{})
	tok := e.token()
	e.sim.SetTask(Task{ID: "t", Status: IntPtr(2)})
	e.sim.SetTask(Task{ID: "forbidden", Status: IntPtr(2)})
	e.sim.SetFault("forbidden", Fault{Kind: FaultForbidden})
	for _, tc := range []struct {
		shape ErrorShape
		want  func(code, msg string) map[string]any
	}{
		{ErrorShapeErrorCode, func(c, m string) map[string]any { return map[string]any{"error_code": c, "error_msg": m} }},
		{ErrorShapeCode, func(c, m string) map[string]any { return map[string]any{"code": c, "message": m} }},
		{ErrorShapeNested, func(c, m string) map[string]any {
			return map[string]any{"error": map[string]any{"code": c, "message": m}}
		}},
	} {
		t.Run(tc.shape.String(), func(t *testing.T) {
			e.sim.SetErrorShape(tc.shape)
			check := func(what string, r response, status int, want map[string]any) {
				t.Helper()
				var got map[string]any
				if err := json.Unmarshal(r.body, &got); err != nil {
					t.Fatalf("%s: %s: %v", what, r.body, err)
				}
				delete(got, "request_id") // gateway errors only; its value is random
				if r.status != status || !reflect.DeepEqual(got, want) {
					t.Errorf("%s: got %d %s, want %d %v", what, r.status, r.body, status, want)
				}
			}
			check("unknown task", e.progress("nope", tok), http.StatusOK, tc.want("CC.00050014", "getTaskBasicInfo failed"))
			check("no token", e.progress("t", ""), http.StatusUnauthorized,
				tc.want("APIGW.0301", "Incorrect IAM authentication information: x-auth-token not found"))
			forbidden := tc.want("APIGW.0302", "The IAM user is not authorized to access the API")
			inner := forbidden
			if nested, ok := forbidden["error"].(map[string]any); ok {
				inner = nested
			}
			inner["encoded_authorization_message"] = EncodedAuthorizationMessage
			check("forbidden", e.progress("forbidden", tok), http.StatusForbidden, forbidden)
		})
	}
}

// With null fields omitted, a never-checked task answers {}; fields that
// have a value are still sent.
func TestOmitNulls(t *testing.T) {
	e := newEnv(t, Options{})
	tok := e.token()
	e.sim.SetOmitNulls(true)
	for _, c := range []struct {
		task Task
		want string
	}{
		{Task{ID: "never"}, `{}`},
		{Task{ID: "never-null-progress", NullProgress: true}, `{}`},
		{Task{ID: "failed", Status: IntPtr(1)}, `{"task_status":1}`},
		{Task{ID: "running", Status: IntPtr(0), Ratio: StrPtr("50%")}, `{"progress":{"ratio":"50%"},"task_status":0}`},
	} {
		e.sim.SetTask(c.task)
		if r := e.progress(c.task.ID, tok); r.status != http.StatusOK || string(r.body) != c.want {
			t.Errorf("%s: got %d %s, want 200 %s", c.task.ID, r.status, r.body, c.want)
		}
	}
}
