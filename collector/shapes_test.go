package collector

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/codearts-check-exporter/codearts_check_exporter/config"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/simulator"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit"
)

// Every error shape the SDK reads, through the real stack: a revoked token
// is renewed whatever the shape of its 401 and the tasks recover; an error
// in a 200 is counted under its code, and retried when the code says so;
// a 403 is a permission error, with no renewal.
func TestErrorShapes(t *testing.T) {
	for _, shape := range []simulator.ErrorShape{simulator.ErrorShapeErrorCode, simulator.ErrorShapeCode, simulator.ErrorShapeNested} {
		t.Run(shape.String(), func(t *testing.T) {
			sim := simulator.New(simulator.Options{})
			sim.SetErrorShape(shape)
			ids := addTasks(sim, 6, simulator.Task{Status: simulator.IntPtr(2)})
			env := newTestEnv(t, sim, ids, nil)
			env.scrape(0)

			// A revoked token: 401 APIGW.0301 in this shape.
			sim.RevokeTokens()
			res := env.scrape(0)
			if got := sim.IAMRequests(); got != 2 {
				t.Errorf("IAM requests after the revocation = %d, want 2 (one renewal)", got)
			}
			for _, id := range ids {
				if got := res.mustValue("codearts_check_task_query_success", "task_id", id); got != 1 {
					t.Errorf("%s: query_success = %v after the renewal, want 1", id, got)
				}
			}
			if got := res.mustValue("codearts_check_api_errors_total", "error_code", "APIGW.0301"); got < 1 {
				t.Errorf("api_errors_total{APIGW.0301} = %v, want >= 1", got)
			}

			// Errors in a 200, and a 403.
			sim.SetFault(ids[0], simulator.Fault{Kind: simulator.FaultRetryLater, Times: 1})
			sim.SetFault(ids[1], simulator.Fault{Kind: simulator.FaultNoPermission})
			sim.SetFault(ids[2], simulator.Fault{Kind: simulator.FaultForbidden})
			before := sim.ProgressRequests()
			res = env.scrape(0)
			if got := res.mustValue("codearts_check_task_query_success", "task_id", ids[0]); got != 1 {
				t.Errorf("CC.00050012 once: query_success = %v, want 1 after a retry", got)
			}
			if got := sim.ProgressRequests() - before; got != 7 {
				t.Errorf("progress requests = %d, want 7 (6 tasks, one retry)", got)
			}
			for _, c := range []struct{ id, code string }{{ids[1], "CC.00050010"}, {ids[2], "APIGW.0302"}} {
				if got := res.mustValue("codearts_check_task_query_success", "task_id", c.id); got != 0 {
					t.Errorf("%s: query_success = %v, want 0", c.code, got)
				}
				if got := res.mustValue("codearts_check_api_errors_total", "error_code", c.code); got != 1 {
					t.Errorf("api_errors_total{%s} = %v, want 1", c.code, got)
				}
			}
			for _, code := range []string{"CC.00050012", "CC.00050010", "APIGW.0302"} {
				if got, _ := res.value("codearts_check_api_errors_total", "error_code", code); got < 1 {
					t.Errorf("api_errors_total{%s} = %v, want >= 1", code, got)
				}
			}
			if got, _ := res.value("codearts_check_api_errors_total", "error_code", "invalid_response"); got != 0 {
				t.Errorf("api_errors_total{invalid_response} = %v, want 0", got)
			}
			if got := sim.IAMRequests(); got != 2 {
				t.Errorf("IAM requests = %d, want 2: a 403 is no reason to renew", got)
			}
		})
	}
}

// A task the service never checked answers {}: status -1, no ratio, a
// successful query.
func TestNeverCheckedAsEmptyObject(t *testing.T) {
	sim := simulator.New(simulator.Options{})
	sim.SetOmitNulls(true)
	sim.SetTask(simulator.Task{ID: "never"})
	env := newTestEnv(t, sim, []string{"never"}, nil)
	res := env.scrape(0)
	if got := res.mustValue("codearts_check_task_query_success", "task_id", "never"); got != 1 {
		t.Errorf("query_success = %v, want 1", got)
	}
	if got := res.mustValue("codearts_check_task_status", "task_id", "never"); got != -1 {
		t.Errorf("task_status = %v, want -1", got)
	}
	if _, ok := res.value("codearts_check_task_progress_ratio", "task_id", "never"); ok {
		t.Error("a progress_ratio series for a never-checked task")
	}
}

// The gateway's encoded diagnostic of a 403 is logged at debug level with
// the failure, and nowhere else: not in the warning, not in a label.
func TestEncodedAuthorizationMessageOnlyInDebugLog(t *testing.T) {
	sim := simulator.New(simulator.Options{})
	sim.SetTask(simulator.Task{ID: "t", Status: simulator.IntPtr(2)})
	sim.SetFault("t", simulator.Fault{Kind: simulator.FaultForbidden})
	env := newTestEnv(t, sim, []string{"t"}, nil)
	logs := &testkit.Buffer{}
	env.coll.logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	res := env.scrape(0)
	for name, mf := range res.families {
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if strings.Contains(lp.GetValue(), simulator.EncodedAuthorizationMessage) {
					t.Errorf("%s has the encoded message in label %s", name, lp.GetName())
				}
			}
		}
	}
	var debug, other int
	for _, line := range strings.Split(logs.String(), "\n") {
		if !strings.Contains(line, simulator.EncodedAuthorizationMessage) {
			continue
		}
		if strings.Contains(line, "level=DEBUG") && strings.Contains(line, "task_id=t") && strings.Contains(line, "APIGW.0302") {
			debug++
		} else {
			other++
		}
	}
	if debug != 1 || other != 0 {
		t.Errorf("encoded message in %d debug lines with the failure (want 1) and %d other lines (want 0):\n%s", debug, other, logs)
	}
}

// oneTaskRefused sets up n tasks of which the first answers 401 CC.00000003
// whatever the credentials, and returns the IDs, the refused one first.
func oneTaskRefused(sim *simulator.Server, n int) []string {
	ids := addTasks(sim, n, simulator.Task{Status: simulator.IntPtr(2)})
	sim.SetFault(ids[0], simulator.Fault{Kind: simulator.FaultTokenExpired})
	return ids
}

// othersAnswered reports whether every task but the first succeeded.
func othersAnswered(t *testing.T, res scrapeResult, ids []string) bool {
	t.Helper()
	for _, id := range ids[1:] {
		if res.mustValue("codearts_check_task_query_success", "task_id", id) != 1 {
			return false
		}
	}
	return true
}

// IAM: one task answering 401 while the token works for the others is that
// task's failure: the others answer in every scrape, and the token is not
// renewed on every scrape.
func TestIAMOneTaskRefused(t *testing.T) {
	sim := simulator.New(simulator.Options{})
	ids := oneTaskRefused(sim, 20)
	env := newTestEnv(t, sim, ids, func(c *config.Config) { c.Concurrency = 16 })
	answered := 0
	for range 5 {
		if othersAnswered(t, env.scrape(0), ids) {
			answered++
		}
	}
	t.Logf("IAM: the 19 other tasks answered in %d of 5 scrapes; %d IAM token requests", answered, sim.IAMRequests())
	if answered != 5 {
		t.Errorf("the other tasks all answered in %d of 5 scrapes, want 5", answered)
	}
	if got := sim.IAMRequests(); got > 3 {
		t.Errorf("IAM token requests in 5 scrapes = %d, want <= 3", got)
	}
}

// AK/SK: one task answering 401 while the key works for the others does
// not pause signing for them.
func TestAKSKOneTaskRefused(t *testing.T) {
	sim := simulator.New(simulator.Options{})
	akskTasks(sim, 0)
	ids := oneTaskRefused(sim, 20)
	env := newTestEnv(t, sim, ids, akskConfig(testSK))
	answered := 0
	for range 5 {
		if othersAnswered(t, env.scrape(0), ids) {
			answered++
		}
	}
	t.Logf("AK/SK: the 19 other tasks answered in %d of 5 scrapes", answered)
	if answered < 4 {
		t.Errorf("the other tasks all answered in %d of 5 scrapes, want >= 4", answered)
	}
}
