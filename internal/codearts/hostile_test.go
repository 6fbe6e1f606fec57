package codearts

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/codearts-check-exporter/codearts_check_exporter/internal/api"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/simulator"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit"
)

// A three-part code is the error_code label, not invalid_response.
func TestThreePartCode(t *testing.T) {
	setRetryTiming(t, time.Millisecond)
	e := newRetryEnv(t)
	e.sim.SetTask(okTask())
	e.sim.SetFault(retryTask, simulator.Fault{Kind: simulator.FaultThreePartCode})
	_, err := e.client.Progress(context.Background(), retryTask, "")
	if api.Code(err) != simulator.ThreePartCode {
		t.Fatalf("err %v: code %q, want %s", err, api.Code(err), simulator.ThreePartCode)
	}
	if got := testkit.ErrorCount(t, e.metrics, simulator.ThreePartCode); got < 1 {
		t.Errorf("api_errors_total{%s} = %v", simulator.ThreePartCode, got)
	}
	if got := testkit.ErrorCount(t, e.metrics, api.CodeInvalidResponse); got != 0 {
		t.Errorf("api_errors_total{invalid_response} = %v, want 0", got)
	}
}

// {} and nulls from both report calls are a report with no values, not
// an error, in both summary shapes; the calls are counted as successes.
func TestEmptyReportOverHTTP(t *testing.T) {
	e := newRetryEnv(t)
	e.sim.SetTask(okTask())
	for _, answer := range []simulator.ReportAnswer{simulator.ReportEmpty, simulator.ReportNulls} {
		for _, shape := range []simulator.SummaryShape{simulator.SummarySchema, simulator.SummaryExample} {
			e.sim.SetSummaryShape(shape)
			e.sim.SetReportAnswer(retryTask, answer)
			rep, err := readReport(e.client, retryTask)
			if err != nil {
				t.Fatalf("answer %d, shape %d: %v", answer, shape, err)
			}
			if noValues := (DefectsStatistic{Severity: map[string]int64{}, Status: map[string]int64{}}); !reflect.DeepEqual(rep.Statistic, noValues) ||
				rep.Summary != (DefectsSummary{}) {
				t.Errorf("answer %d, shape %d: %+v, want no values", answer, shape, rep)
			}
		}
	}
	if got := testkit.ErrorCount(t, e.metrics, api.CodeInvalidResponse); got != 0 {
		t.Errorf("api_errors_total{invalid_response} = %v, want 0", got)
	}
	e.sim.SetReportAnswer(retryTask, simulator.ReportFull)
	if rep, err := readReport(e.client, retryTask); err != nil || len(rep.Statistic.Severity) == 0 || !rep.Summary.HasCodeLines {
		t.Errorf("full report: %+v, %v", rep, err)
	}
}

// Gate words and far-future times arrive as the decoder reads them.
func TestGateWordsAndFarFutureOverHTTP(t *testing.T) {
	e := newRetryEnv(t)
	e.sim.SetTask(okTask())
	far := time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)
	for isAccess, want := range map[string]bool{"success": true, "error": false} {
		rep := simReport
		rep.IsAccess, rep.CheckStart, rep.CheckEnd = isAccess, far, far
		e.sim.SetReport(retryTask, rep)
		got, err := readReport(e.client, retryTask)
		if err != nil {
			t.Fatal(err)
		}
		if !got.Summary.HasQualityGate || got.Summary.QualityGatePassed != want {
			t.Errorf("is_access %q: gate %v known %v", isAccess, got.Summary.QualityGatePassed, got.Summary.HasQualityGate)
		}
		if !got.Statistic.LastCheckEnd.Equal(far) || !got.Summary.LastCheckTime.Equal(far) {
			t.Errorf("times %v / %v, want %v", got.Statistic.LastCheckEnd, got.Summary.LastCheckTime, far)
		}
	}
	rep := simReport
	rep.IsAccess = "maybe"
	e.sim.SetReport(retryTask, rep)
	if got, err := readReport(e.client, retryTask); err != nil || got.Summary.HasQualityGate || got.Summary.UnknownQualityGate != "maybe" {
		t.Errorf("unknown gate: %+v, %v", got.Summary, err)
	}
}
