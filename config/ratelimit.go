package config

import "math"

// RateLimit is how much of the API the exporter may use. Its key sits at the
// top level of the file (Config embeds RateLimit inline).
type RateLimit struct {
	// MaxRequestsPerSecond caps every API call the process makes (progress
	// queries, IAM token requests, retries), whatever the number of
	// overlapping scrapes. 0, the default, is no cap: then only
	// concurrency bounds the rate. Huawei Cloud's gateway throttles per
	// account, so replicas (shards) sharing an account must divide it.
	MaxRequestsPerSecond float64 `yaml:"max_requests_per_second,omitempty"`
}

func (b *RateLimit) validate() error {
	r := b.MaxRequestsPerSecond
	if math.IsNaN(r) || math.IsInf(r, 0) || r < 0 {
		return fieldErr("max_requests_per_second", "%v: want a number >= 0 (0: no cap)", r)
	}
	return nil
}
