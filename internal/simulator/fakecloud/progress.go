package fakecloud

import (
	"encoding/json"
	"net/http"
)

// CodeArts Check side of the simulator: ShowProgressDetailV2,
// GET /v2/tasks/{task_id}/progress[?job_id=...].
//
// A request goes through, in order: authentication (authorize), task
// lookup (unknown task: HTTP 200 + CC.00050014, as the service reports its
// errors in 200 bodies), Hooks.Intercept, a flaky demo task's failure, and
// finally the task's state.

// ProgressBody is the 200 answer. Progress is raw so that it can be absent
// (NoProgress), null (NullProgress) or an object.
type ProgressBody struct {
	TaskStatus *int            `json:"task_status"`
	Progress   json.RawMessage `json:"progress,omitempty"`
}

type progressObject struct {
	Ratio *string `json:"ratio"`
	Info  *string `json:"info"`
}

func (s *Server) serveProgress(w http.ResponseWriter, r *http.Request, taskID string) {
	flaky := s.countDemoRequest(taskID)
	if e := s.authorize(r); e != nil {
		s.writeError(w, e)
		return
	}
	if _, ok := s.Task(taskID); !ok {
		s.writeError(w, unknownTask())
		return
	}
	if s.intercept(w, r, CallProgress, taskID) {
		return
	}
	if flaky {
		s.writeError(w, demoFault())
		return
	}
	// Look the task up again: the answer reflects the state when it is sent
	// (demo tasks move with the clock; a hook may have waited).
	t, ok := s.Task(taskID)
	if !ok {
		s.writeError(w, unknownTask())
		return
	}
	body := RenderProgress(t)
	if s.hooks.Progress != nil {
		WriteJSON(w, http.StatusOK, s.hooks.Progress(body))
		return
	}
	WriteJSON(w, http.StatusOK, body)
}

func unknownTask() *Error {
	return ServiceError(http.StatusOK, "CC.00050014", "getTaskBasicInfo failed")
}

// RenderProgress is the body a progress call answers for t.
func RenderProgress(t Task) ProgressBody {
	body := ProgressBody{TaskStatus: t.Status}
	switch {
	case t.NoProgress:
		// omitted: Progress stays empty and omitempty drops it
	case t.NullProgress:
		body.Progress = json.RawMessage("null")
	default:
		p, err := json.Marshal(progressObject{Ratio: t.Ratio, Info: t.Info})
		if err != nil {
			panic("simulator: marshal progress: " + err.Error())
		}
		body.Progress = p
	}
	return body
}
