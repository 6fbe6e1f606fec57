package simulator

import (
	"testing"
	"time"
)

// listedCheckTime lists project A over HTTP and returns the
// last_check_time of task id ("" when left out).
func listedCheckTime(t *testing.T, e *env, token, id string) string {
	t.Helper()
	for _, it := range decodeList(t, e.list(token, projectA, "?limit=100")).Tasks {
		if it.TaskID == id {
			return it.LastCheckTime
		}
	}
	t.Fatalf("task %s is not listed", id)
	return ""
}

// Under either reading, last_check_time moves with the checks
// StartCheck and FinishCheck run: at the start, or only at the end.
func TestLastCheckTimeFollowsChecks(t *testing.T) {
	for _, mode := range []LastCheckMode{LastCheckAtStart, LastCheckAtEnd} {
		t.Run(map[LastCheckMode]string{LastCheckAtStart: "start", LastCheckAtEnd: "end"}[mode], func(t *testing.T) {
			now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
			e := newEnv(t, Options{Now: func() time.Time { return now }})
			e.sim.AddProject(projectA)
			e.sim.SetLastCheckMode(mode)
			e.sim.SetTask(Task{ID: "never", ProjectID: projectA})
			e.sim.SetTask(Task{ID: "done", ProjectID: projectA, Status: IntPtr(2)})
			token := e.token()
			if got := listedCheckTime(t, e, token, "never"); got != "" {
				t.Errorf("never checked: last_check_time %q, want none", got)
			}
			static := staticCheckEnd
			if mode == LastCheckAtStart {
				static = staticCheckEnd.Add(-reportCheckDuration)
			}
			if got := listedCheckTime(t, e, token, "done"); got != static.Format(time.RFC3339) {
				t.Errorf("checked before: %q, want %v", got, static)
			}

			started := now
			e.sim.StartCheck("done")
			now = now.Add(time.Minute)
			want := static
			if mode == LastCheckAtStart {
				want = started
			}
			if got := listedCheckTime(t, e, token, "done"); got != want.Format(time.RFC3339) {
				t.Errorf("while checking: %q, want %v", got, want)
			}
			if tk, _ := e.sim.Task("done"); tk.Status == nil || *tk.Status != 0 {
				t.Errorf("StartCheck: status %v, want 0", tk.Status)
			}
			now = now.Add(4 * time.Minute)
			e.sim.FinishCheck("done", true)
			want = now
			if mode == LastCheckAtStart {
				want = started
			}
			if got := listedCheckTime(t, e, token, "done"); got != want.Format(time.RFC3339) {
				t.Errorf("after the check: %q, want %v", got, want)
			}

			// A whole check between two looks (FinishCheck alone) moves
			// it under either reading.
			now = now.Add(time.Hour)
			e.sim.FinishCheck("done", true)
			want = now
			if mode == LastCheckAtStart {
				want = now.Add(-reportCheckDuration)
			}
			if got := listedCheckTime(t, e, token, "done"); got != want.Format(time.RFC3339) {
				t.Errorf("after a whole check: %q, want %v", got, want)
			}
			if e.sim.StartCheck("nope") {
				t.Error("StartCheck of an unknown task reported true")
			}
		})
	}
}
