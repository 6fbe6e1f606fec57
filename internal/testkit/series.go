package testkit

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// HasLabels reports whether m has every pair of labels, given as name,
// value, name, value...; m may have more labels.
func HasLabels(m *dto.Metric, labels ...string) bool {
	for i := 0; i+1 < len(labels); i += 2 {
		found := false
		for _, lp := range m.GetLabel() {
			if lp.GetName() == labels[i] && lp.GetValue() == labels[i+1] {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// sampleValue is the value of a gauge, counter or untyped series, and
// whether m is one of those.
func sampleValue(m *dto.Metric) (float64, bool) {
	switch {
	case m.GetGauge() != nil:
		return m.GetGauge().GetValue(), true
	case m.GetCounter() != nil:
		return m.GetCounter().GetValue(), true
	case m.GetUntyped() != nil:
		return m.GetUntyped().GetValue(), true
	}
	return 0, false
}

// Value returns the value of the first gauge, counter or untyped series of
// family name that has labels (see HasLabels), and whether there is one.
func Value(families map[string]*dto.MetricFamily, name string, labels ...string) (float64, bool) {
	for _, m := range families[name].GetMetric() {
		if !HasLabels(m, labels...) {
			continue
		}
		if v, ok := sampleValue(m); ok {
			return v, true
		}
	}
	return 0, false
}

// Sum adds up the gauge, counter and untyped series of family name that
// have labels; with no labels, all of them.
func Sum(families map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	sum := 0.0
	for _, m := range families[name].GetMetric() {
		if HasLabels(m, labels...) {
			v, _ := sampleValue(m)
			sum += v
		}
	}
	return sum
}

// Gather collects c through a pedantic registry, which fails the test on
// an inconsistent family, and returns the families by name.
func Gather(t testing.TB, c prometheus.Collector) map[string]*dto.MetricFamily {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(c); err != nil {
		t.Fatal(err)
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	byName := make(map[string]*dto.MetricFamily, len(families))
	for _, mf := range families {
		byName[mf.GetName()] = mf
	}
	return byName
}

// Counter is Sum over what c collects now.
func Counter(t testing.TB, c prometheus.Collector, name string, labels ...string) float64 {
	t.Helper()
	return Sum(Gather(t, c), name, labels...)
}

// ErrorCount is codearts_check_api_errors_total{error_code=code} as c
// (an api.Metrics) counts it.
func ErrorCount(t testing.TB, c prometheus.Collector, code string) float64 {
	t.Helper()
	return Counter(t, c, "codearts_check_api_errors_total", "error_code", code)
}
