package config

import (
	"fmt"
	"time"

	"github.com/prometheus/common/model"
)

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

func (c *ChangeDetection) validate() error {
	if c.MaxAge == 0 {
		c.MaxAge = DefaultChangeMaxAge
	}
	if c.MaxAge < MinChangeMaxAge {
		return fieldErr("change_detection.max_age", "%v is less than the minimum, %v", c.MaxAge, MinChangeMaxAge)
	}
	return nil
}

// checkTaskProjectIDs checks the optional tasks[].project_id keys.
func checkTaskProjectIDs(tasks []Task) error {
	for n, t := range tasks {
		if t.ProjectID == "" {
			continue
		}
		if err := CheckProjectID(fmt.Sprintf("tasks[%d].project_id", n), t.ProjectID); err != nil {
			return err
		}
	}
	return nil
}
