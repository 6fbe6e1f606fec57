package config

import (
	"cmp"
	"math"
	"time"

	"github.com/prometheus/common/model"
)

// README.md's table and docs/ say what each key does for the user.
const (
	// Languages of the API's texts (X-Language): without the header the
	// service answers in Chinese, while the logs and docs are in English.
	LanguageEnglish = "en-us"
	LanguageChinese = "zh-cn"
	DefaultLanguage = LanguageEnglish
	// maxMinInterval bounds min_interval: a result older than this is not
	// "recent" in any sense an alert rule would accept.
	maxMinInterval = model.Duration(time.Hour)
	// A report only changes when a check ends, which progress shows: the
	// refresh only catches what it cannot (a check between two scrapes).
	// Each costs two calls per task: at 10,000 tasks, a shorter minimum
	// would spend more of the account's budget than the progress queries.
	DefaultQualityRefreshInterval = model.Duration(30 * time.Minute)
	MinQualityRefreshInterval     = model.Duration(5 * time.Minute)
	// DefaultChangeMaxAge bounds what change detection misses if
	// last_check_time does not move as expected; below MinChangeMaxAge the
	// refreshes alone cost about as much as querying every scrape.
	DefaultChangeMaxAge = model.Duration(time.Hour)
	MinChangeMaxAge     = model.Duration(time.Minute)
)

// Quality is the quality section: whether and how often reports are read.
type Quality struct {
	Enabled         *bool          `yaml:"enabled,omitempty"`
	RefreshInterval model.Duration `yaml:"refresh_interval,omitempty"`
}

// On reports whether reports are read: unless enabled: false, even before
// Validate fills Enabled in.
func (q *Quality) On() bool { return q.Enabled == nil || *q.Enabled }

// History is the history section: whether check histories are read.
type History struct {
	Enabled *bool `yaml:"enabled,omitempty"`
}

// On reports whether the history is read, as Quality.On.
func (h *History) On() bool { return h.Enabled == nil || *h.Enabled }

// ChangeDetection is the change_detection section (collector/plan.go).
type ChangeDetection struct {
	Enabled bool           `yaml:"enabled,omitempty"`
	MaxAge  model.Duration `yaml:"max_age,omitempty"`
}

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
