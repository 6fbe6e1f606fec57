package config

import (
	"cmp"
	"math"
	"time"

	"github.com/prometheus/common/model"
)

// The keys that shape what a collection reads and how fast:
//
//   - max_requests_per_second caps every API call the process makes
//     (progress queries, IAM token requests, retries), whatever the number
//     of overlapping scrapes. 0, the default, is no cap: then only
//     concurrency bounds the rate. Huawei Cloud's gateway throttles per
//     account, so replicas (shards) sharing an account must divide it.
//   - min_interval lets a scrape that comes less than this long after the
//     last collection started serve that collection's result instead of
//     querying the API again. 0, the default, is off. For HA pairs of
//     Prometheus servers, set it a little below the scrape interval.
//   - language is the X-Language of every CodeArts Check call, for the
//     API's texts (error_msg, progress.info). Without it the service
//     answers in Chinese; English is the default, as the logs and README
//     are in English.
const (
	LanguageEnglish = "en-us"
	LanguageChinese = "zh-cn"
	DefaultLanguage = LanguageEnglish
	// maxMinInterval bounds min_interval: a result older than this is not
	// "recent" in any sense an alert rule would accept.
	maxMinInterval = model.Duration(time.Hour)
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

// History is the history section: whether the collector reads each task's
// check history (CheckRecord), so that checks that started and ended
// between two scrapes are counted too. Off, only the checks that progress
// answers reveal are counted.
type History struct {
	// Enabled is on unless the file says enabled: false; Validate sets it.
	Enabled *bool `yaml:"enabled,omitempty"`
}

// On reports whether the check history is read. A History that was not
// validated is on, as the default is.
func (h *History) On() bool { return h.Enabled == nil || *h.Enabled }

// DefaultChangeMaxAge is how old a change-tracked task's last progress
// answer may grow before it is asked again although the task list shows no
// change: the bound on what the exporter misses if last_check_time does not
// move as expected.
const DefaultChangeMaxAge = model.Duration(time.Hour)

// MinChangeMaxAge bounds change_detection.max_age from below: shorter, and
// the refreshes alone cost about as much as querying every scrape.
const MinChangeMaxAge = model.Duration(time.Minute)

// ChangeDetection is the change_detection section: whether a collection
// lists the projects of its tasks first and reads the progress only of
// tasks whose listing shows they can have changed (collector/plan.go).
type ChangeDetection struct {
	Enabled bool           `yaml:"enabled,omitempty"`
	MaxAge  model.Duration `yaml:"max_age,omitempty"`
}

// validateCollection defaults and checks the keys of this file.
func (c *Config) validateCollection() error {
	c.Language = cmp.Or(c.Language, DefaultLanguage)
	c.Quality.Enabled = cmp.Or(c.Quality.Enabled, new(true))
	c.Quality.RefreshInterval = cmp.Or(c.Quality.RefreshInterval, DefaultQualityRefreshInterval)
	c.History.Enabled = cmp.Or(c.History.Enabled, new(true))
	c.ChangeDetection.MaxAge = cmp.Or(c.ChangeDetection.MaxAge, DefaultChangeMaxAge)
	r := c.MaxRequestsPerSecond
	return cmp.Or(
		atLeast("change_detection.max_age", c.ChangeDetection.MaxAge, MinChangeMaxAge),
		check(math.IsNaN(r) || math.IsInf(r, 0) || r < 0,
			"max_requests_per_second", "%v: want a number >= 0 (0: no cap)", r),
		check(c.MinInterval < 0 || c.MinInterval > maxMinInterval,
			"min_interval", "%v is outside 0s..%v", c.MinInterval, maxMinInterval),
		check(c.Language != LanguageEnglish && c.Language != LanguageChinese,
			"language", "%q: want %s or %s", c.Language, LanguageEnglish, LanguageChinese),
		atLeast("quality.refresh_interval", c.Quality.RefreshInterval, MinQualityRefreshInterval),
	)
}
