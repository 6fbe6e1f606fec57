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

// A demo task's last_check_time is its cycle's: the start of the current
// check, or the end of the latest check that ended.
func TestDemoLastCheckTime(t *testing.T) {
	start := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	now := start
	sim := NewDemo(func() time.Time { return now })
	const backend = "3f9a1c7e5b2d4f608a1e3c5b7d9f1a2b" // offset 0
	at := func() time.Time {
		sim.mu.Lock()
		defer sim.mu.Unlock()
		tk, _ := sim.lookupTask(backend)
		v, ok := sim.lastCheckTime(tk)
		if !ok {
			t.Fatal("demo task without last_check_time")
		}
		return v
	}
	now = start.Add(10 * time.Second) // checking, cycle 0
	if got := at(); !got.Equal(start) {
		t.Errorf("start reading while checking: %v, want %v", got, start)
	}
	sim.SetLastCheckMode(LastCheckAtEnd)
	if got, want := at(), start.Add(-demoPeriod+demoChecking); !got.Equal(want) {
		t.Errorf("end reading while checking: %v, want %v", got, want)
	}
	now = start.Add(demoChecking + time.Second) // result phase
	if got, want := at(), start.Add(demoChecking); !got.Equal(want) {
		t.Errorf("end reading after the check: %v, want %v", got, want)
	}
}
