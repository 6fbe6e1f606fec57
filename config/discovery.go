package config

import (
	"fmt"
	"regexp"
	"time"

	"github.com/prometheus/common/model"
)

// DefaultRefreshInterval is how often discovery lists the projects' tasks
// when refresh_interval is not set. Tasks are created by hand, rarely; ten
// minutes keeps a new task's wait short and the listing cost negligible.
const DefaultRefreshInterval = model.Duration(10 * time.Minute)

// MinRefreshInterval bounds how often discovery may list: every listing
// costs one API call per page and project, and a reload already lists at
// once, so a shorter interval only spends the account's API budget.
const MinRefreshInterval = model.Duration(30 * time.Second)

// Discovery lists the tasks of CodeArts projects in the background
// (ShowTaskListByProjectIdV2) and adds them to the static tasks.
type Discovery struct {
	// Projects are CodeArts project IDs, not IAM project IDs.
	Projects []string `yaml:"projects"`
	// Include and Exclude are regular expressions on task_name. Like
	// Prometheus' relabelling regexes they are anchored at both ends: "web"
	// matches the name "web" only, "web-.*" every name starting "web-".
	Include         string         `yaml:"include,omitempty"`
	Exclude         string         `yaml:"exclude,omitempty"`
	RefreshInterval model.Duration `yaml:"refresh_interval,omitempty"`

	include, exclude *regexp.Regexp // compiled by validate; nil: not set
}

// Keep reports whether a discovered task with this name passes include
// and exclude. It must be called on a validated Discovery.
func (d *Discovery) Keep(taskName string) bool {
	if d.include != nil && !d.include.MatchString(taskName) {
		return false
	}
	return d.exclude == nil || !d.exclude.MatchString(taskName)
}

func (d *Discovery) validate() error {
	if len(d.Projects) == 0 {
		return fieldErr("discovery.projects", "missing: list at least one CodeArts project ID")
	}
	seen := make(map[string]int, len(d.Projects))
	for n, p := range d.Projects {
		path := fmt.Sprintf("discovery.projects[%d]", n)
		if err := CheckProjectID(path, p); err != nil {
			return err
		}
		if first, dup := seen[p]; dup {
			return fieldErr(path, "%q is already discovery.projects[%d]", p, first)
		}
		seen[p] = n
	}
	var err error
	if d.include, err = compileAnchored("discovery.include", d.Include); err != nil {
		return err
	}
	if d.exclude, err = compileAnchored("discovery.exclude", d.Exclude); err != nil {
		return err
	}
	if d.RefreshInterval == 0 {
		d.RefreshInterval = DefaultRefreshInterval
	}
	if d.RefreshInterval < MinRefreshInterval {
		return fieldErr("discovery.refresh_interval", "%v is less than the minimum, %v", d.RefreshInterval, MinRefreshInterval)
	}
	return nil
}

// compileAnchored compiles expr as ^(?:expr)$; "" is no expression.
func compileAnchored(path, expr string) (*regexp.Regexp, error) {
	if expr == "" {
		return nil, nil
	}
	re, err := regexp.Compile("^(?:" + expr + ")$")
	if err != nil && globStar.MatchString(expr) {
		return nil, fieldErr(path, "%v; %s", err, globWarning(expr))
	}
	if err != nil {
		return nil, fieldErr(path, "%v", err)
	}
	return re, nil
}

// CheckTaskID reports whether id would be accepted as tasks[].id. Package
// discovery applies it to the IDs the task list returns: they become URL
// path segments and label values just like configured ones.
func CheckTaskID(id string) error {
	return checkID("task_id", id, MaxTaskIDLength)
}
