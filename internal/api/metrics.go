package api

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/codearts-check-exporter/codearts_check_exporter/internal/namespace"
)

// Metrics counts API calls for the whole process. It outlives config
// reloads and scrapes, so its counters only ever go up.
type Metrics struct {
	requests, errors *prometheus.CounterVec
}

// NewMetrics returns the call counters; register the result.
func NewMetrics() *Metrics {
	return &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace.Name, Subsystem: "api", Name: "requests_total",
			Help: "HTTP requests sent to Huawei Cloud APIs, by endpoint (progress, iam_token, ...) and status class (2xx, 4xx, 5xx, or error when no answer arrived).",
		}, []string{"endpoint", "status_class"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace.Name, Subsystem: "api", Name: "errors_total",
			Help: "Failed API calls, by the API's error_code (CC.*, APIGW.*, IAM.*) or an exporter code (timeout, canceled, network, tls, invalid_response, http_<status>). A retried call counts each failed attempt; a task the scrape deadline left unqueried counts one timeout.",
		}, []string{"error_code"}),
	}
}

// Describe implements prometheus.Collector.
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) {
	m.requests.Describe(ch)
	m.errors.Describe(ch)
}

// Collect implements prometheus.Collector.
func (m *Metrics) Collect(ch chan<- prometheus.Metric) {
	m.requests.Collect(ch)
	m.errors.Collect(ch)
}

// CountError counts a failed call; the collector also counts failures that
// never reached Caller.Do, such as a task the deadline left unqueried.
func (m *Metrics) CountError(code string) {
	if m != nil {
		m.errors.WithLabelValues(code).Inc()
	}
}

func (m *Metrics) countRequest(endpoint, class string) {
	if m != nil {
		m.requests.WithLabelValues(endpoint, class).Inc()
	}
}
