package simulator

import (
	"encoding/json"
	"net/http"

	"github.com/codearts-check-exporter/codearts_check_exporter/internal/simulator/fakecloud"
)

// Dialects of the answers. Huawei Cloud services do not agree on one error
// body, and the official SDK (core/sdkerr) reads several; the exporter must
// read each, so the simulator can speak each. The shape applies to what
// CodeArts Check and API Gateway answer (progress, task list, unknown APIs,
// faults there); IAM's token endpoint keeps its own keystone and
// error_code bodies.

// ErrorShape selects the body of CodeArts Check and API Gateway errors.
type ErrorShape int

const (
	// ErrorShapeErrorCode: {"error_code":"CC.00050012","error_msg":"..."},
	// the documented shape (the default).
	ErrorShapeErrorCode ErrorShape = iota
	// ErrorShapeCode: {"code":"CC.00050012","message":"..."} at the top level.
	ErrorShapeCode
	// ErrorShapeNested: {"error":{"code":"CC.00050012","message":"..."}}.
	ErrorShapeNested
)

// String returns the constant's name, for test names.
func (sh ErrorShape) String() string {
	switch sh {
	case ErrorShapeErrorCode:
		return "error_code"
	case ErrorShapeCode:
		return "code"
	case ErrorShapeNested:
		return "nested"
	}
	return "ErrorShape(?)"
}

// SetErrorShape makes later CodeArts Check and API Gateway errors use sh.
// A gateway error keeps its request_id at the top level in every shape.
func (s *Server) SetErrorShape(sh ErrorShape) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.shape = sh
}

// SetOmitNulls makes progress answers leave out null fields instead of
// sending null, as a service whose model is omitempty does: a never-checked
// task (Status, Ratio and Info nil) then answers {}. The default sends
// "task_status": null, as the API reference's example does.
func (s *Server) SetOmitNulls(omit bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.omitNulls = omit
}

// writeError is fakecloud's Hooks.WriteError: e in the current shape.
func (s *Server) writeError(w http.ResponseWriter, e *apiError) {
	s.mu.Lock()
	sh := s.shape
	s.mu.Unlock()
	if sh == ErrorShapeErrorCode {
		e.Write(w)
		return
	}
	body := map[string]any{"code": e.Code, "message": e.Msg}
	if e.Encoded != "" {
		body["encoded_authorization_message"] = e.Encoded
	}
	if sh == ErrorShapeNested {
		body = map[string]any{"error": body}
	}
	if e.Gateway {
		body["request_id"] = w.Header().Get("X-Request-Id")
	}
	fakecloud.WriteJSON(w, e.Status, body)
}

// renderProgress is fakecloud's Hooks.Progress: b, or b without its null
// fields (SetOmitNulls).
func (s *Server) renderProgress(b progressBody) any {
	s.mu.Lock()
	omit := s.omitNulls
	s.mu.Unlock()
	if omit {
		return omitNulls(b)
	}
	return b
}

// omitNulls drops the null fields of a progress body, and the progress
// object when nothing is left in it.
func omitNulls(b progressBody) any {
	out := map[string]any{}
	if b.TaskStatus != nil {
		out["task_status"] = *b.TaskStatus
	}
	if len(b.Progress) == 0 || string(b.Progress) == "null" {
		return out
	}
	var p map[string]any
	if err := json.Unmarshal(b.Progress, &p); err != nil {
		panic("simulator: progress object: " + err.Error())
	}
	for k, v := range p {
		if v == nil {
			delete(p, k)
		}
	}
	if len(p) > 0 {
		out["progress"] = p
	}
	return out
}
