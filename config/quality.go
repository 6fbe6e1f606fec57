package config

import (
	"time"

	"github.com/prometheus/common/model"
)

// DefaultQualityRefreshInterval is how often a task's report is read when
// no finished check calls for it: a report only changes when a check
// finishes, which the collector sees in the task's progress, so this only
// catches what progress cannot show (a check that started and ended
// between two scrapes, a report edited by hand).
const DefaultQualityRefreshInterval = model.Duration(30 * time.Minute)

// MinQualityRefreshInterval bounds quality.refresh_interval: every refresh
// costs two API calls per task, and at 10,000 tasks a shorter interval
// would spend more of the account's API budget than the progress queries.
const MinQualityRefreshInterval = model.Duration(5 * time.Minute)

// Quality is the quality section: whether the collector reads each task's
// report (defects, quality gate, code size) and how often without cause.
type Quality struct {
	// Enabled is on unless the file says enabled: false; Validate sets it.
	Enabled         *bool          `yaml:"enabled,omitempty"`
	RefreshInterval model.Duration `yaml:"refresh_interval,omitempty"`
}

// On reports whether reports are read. A Quality that was not validated
// is on, as the default is.
func (q *Quality) On() bool { return q.Enabled == nil || *q.Enabled }

func (q *Quality) validate() error {
	if q.Enabled == nil {
		on := true
		q.Enabled = &on
	}
	if q.RefreshInterval == 0 {
		q.RefreshInterval = DefaultQualityRefreshInterval
	}
	if q.RefreshInterval < MinQualityRefreshInterval {
		return fieldErr("quality.refresh_interval", "%v is less than the minimum, %v", q.RefreshInterval, MinQualityRefreshInterval)
	}
	return nil
}
