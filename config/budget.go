package config

import (
	"math"
	"time"

	"github.com/prometheus/common/model"
)

// Budget is how much of the API the exporter may use. The keys sit at the
// top level of the file (Config embeds Budget inline).
type Budget struct {
	// MaxRequestsPerSecond caps every API call the process makes (progress
	// queries, IAM token requests, retries), whatever the number of
	// overlapping scrapes. 0, the default, is no cap: then only
	// concurrency bounds the rate. Huawei Cloud's gateway throttles per
	// account, so replicas (shards) sharing an account must divide it.
	MaxRequestsPerSecond float64 `yaml:"max_requests_per_second,omitempty"`
	// MinInterval lets a scrape that comes less than this long after the
	// last collection started serve that collection's result instead of
	// querying the API again. 0, the default, is off: every scrape that does
	// not overlap another one queries the API. For HA pairs of Prometheus
	// servers, set it a little below the scrape interval.
	MinInterval model.Duration `yaml:"min_interval,omitempty"`
}

// maxMinInterval bounds min_interval: a result older than this is not
// "recent" in any sense an alert rule would accept.
const maxMinInterval = model.Duration(time.Hour)

func (b *Budget) validate() error {
	r := b.MaxRequestsPerSecond
	if math.IsNaN(r) || math.IsInf(r, 0) || r < 0 {
		return fieldErr("max_requests_per_second", "%v: want a number >= 0 (0: no cap)", r)
	}
	if b.MinInterval < 0 || b.MinInterval > maxMinInterval {
		return fieldErr("min_interval", "%v is outside 0s..%v", b.MinInterval, maxMinInterval)
	}
	return nil
}
