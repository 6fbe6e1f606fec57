// Package apitest helps tests of the packages that call APIs through
// api.Caller read what it counted.
package apitest

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/codearts-check-exporter/codearts_check_exporter/internal/api"
)

// Counter returns the value of the first series of counter name, counted
// by m, that has every label pair of labels ("name", "value", ...); 0 when
// there is none.
func Counter(t testing.TB, m *api.Metrics, name string, labels ...string) float64 {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(m)
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range families {
		if mf.GetName() != name {
			continue
		}
	series:
		for _, s := range mf.GetMetric() {
			for i := 0; i+1 < len(labels); i += 2 {
				found := false
				for _, l := range s.GetLabel() {
					found = found || l.GetName() == labels[i] && l.GetValue() == labels[i+1]
				}
				if !found {
					continue series
				}
			}
			return s.GetCounter().GetValue()
		}
	}
	return 0
}

// ErrorCount returns codearts_check_api_errors_total{error_code=code} as
// counted by m.
func ErrorCount(t testing.TB, m *api.Metrics, code string) float64 {
	t.Helper()
	return Counter(t, m, "codearts_check_api_errors_total", "error_code", code)
}
