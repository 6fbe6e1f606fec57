package simulator

import (
	"context"
	"encoding/json"
	"net/http"
	"time"
)

// CodeArts Check side of the simulator: ShowProgressDetailV2,
// GET /v2/tasks/{task_id}/progress[?job_id=...].
//
// A request goes through, in order: stats, authentication (authorize),
// task lookup (unknown task: HTTP 200 + CC.00050014, as the service reports
// its errors in 200 bodies), fault injection, latency, and finally the
// task's state. Faults and errors are answered without latency.

// progressBody is the 200 answer. Progress is raw so that it can be absent
// (NoProgress), null (NullProgress) or an object.
type progressBody struct {
	TaskStatus *int            `json:"task_status"`
	Progress   json.RawMessage `json:"progress,omitempty"`
}

type progressObject struct {
	Ratio *string `json:"ratio"`
	Info  *string `json:"info"`
}

func (s *Server) serveProgress(w http.ResponseWriter, r *http.Request, taskID, escapedPath string) {
	s.beginProgress(taskID, r, escapedPath)
	defer s.endProgress()

	if e := s.authorize(r); e != nil {
		s.writeError(w, e)
		return
	}
	if _, ok := s.Task(taskID); !ok {
		s.writeError(w, unknownTask())
		return
	}
	if k := s.takeFault(taskID); k != FaultNone {
		s.writeFault(w, r, k, false)
		return
	}
	if !s.wait(r.Context(), s.latencyFor(taskID)) {
		return // the client gave up; nobody is listening
	}
	// Look the task up again: the answer reflects the state when it is sent
	// (demo tasks move with the clock; a test may have changed the task).
	t, ok := s.Task(taskID)
	if !ok {
		s.writeError(w, unknownTask())
		return
	}
	if _, omit := s.dialect(); omit {
		writeJSON(w, http.StatusOK, omitNulls(renderProgress(t)))
		return
	}
	writeJSON(w, http.StatusOK, renderProgress(t))
}

func unknownTask() *apiError {
	return serviceError(http.StatusOK, "CC.00050014", "getTaskBasicInfo failed")
}

// beginProgress records the request's arrival in the stats.
func (s *Server) beginProgress(taskID string, r *http.Request, escapedPath string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.progressRequests++
	s.st.taskRequests[taskID]++
	s.st.lastQuery[taskID] = cloneValues(r.URL.Query())
	s.st.lastRawPath[taskID] = escapedPath
	s.st.inFlight++
	s.st.maxInFlight = max(s.st.maxInFlight, s.st.inFlight)
}

func (s *Server) endProgress() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.inFlight--
}

func renderProgress(t Task) progressBody {
	body := progressBody{TaskStatus: t.Status}
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

// SetLatency adds d before every normal progress answer (all tasks). It adds
// up with SetTaskLatency. d <= 0 removes it.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = max(d, 0)
}

// SetTaskLatency adds d before every normal progress answer for taskID, on
// top of SetLatency. d <= 0 removes it.
func (s *Server) SetTaskLatency(taskID string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d <= 0 {
		delete(s.taskLatency, taskID)
		return
	}
	s.taskLatency[taskID] = d
}

func (s *Server) latencyFor(taskID string) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.latency + s.taskLatency[taskID]
}

// wait sleeps for d. It reports false if ctx ended first (the client gave
// up, so the caller must not answer) and true otherwise; Close cuts the wait
// short so that shutdown never waits for a long latency.
func (s *Server) wait(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-s.closed:
		return true
	case <-ctx.Done():
		return false
	}
}
