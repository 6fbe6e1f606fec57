// Package apitest helps tests of the packages that call APIs through
// api.Caller read what it counted.
package apitest

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/codearts-check-exporter/codearts_check_exporter/api"
)

// ErrorCount returns codearts_check_api_errors_total{error_code=code} as
// counted by m, 0 when it has no such series.
func ErrorCount(t testing.TB, m *api.Metrics, code string) float64 {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(m)
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range families {
		if mf.GetName() != "codearts_check_api_errors_total" {
			continue
		}
		for _, s := range mf.GetMetric() {
			for _, l := range s.GetLabel() {
				if l.GetName() == "error_code" && l.GetValue() == code {
					return s.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}
