package config

import (
	"cmp"
	"fmt"
	"regexp"
	"time"

	"github.com/prometheus/common/model"
)

// Tasks are created by hand, rarely: ten minutes keeps a new task's wait
// short and the listing cheap. Every listing costs a call per page and
// project: more often than the minimum only spends the API budget.
const (
	DefaultRefreshInterval = model.Duration(10 * time.Minute)
	MinRefreshInterval     = model.Duration(30 * time.Second)
)

// Discovery lists the tasks of CodeArts projects in the background
// (ShowTaskListByProjectIdV2) and adds them to the static tasks.
type Discovery struct {
	// Projects are CodeArts project IDs, not IAM project IDs.
	Projects []string `yaml:"projects"`
	// Include and Exclude are regular expressions on task_name, anchored
	// at both ends like Prometheus' relabelling regexes.
	Include         string         `yaml:"include,omitempty"`
	Exclude         string         `yaml:"exclude,omitempty"`
	RefreshInterval model.Duration `yaml:"refresh_interval,omitempty"`

	include, exclude *regexp.Regexp // compiled by validate; nil: not set
}

// Keep reports whether a discovered task with this name passes include
// and exclude, once validated.
func (d *Discovery) Keep(taskName string) bool {
	return (d.include == nil || d.include.MatchString(taskName)) && (d.exclude == nil || !d.exclude.MatchString(taskName))
}

func (d *Discovery) validate() error {
	if d == nil {
		return nil
	}
	if len(d.Projects) == 0 {
		return fieldErr("discovery.projects", "missing: list at least one CodeArts project ID")
	}
	seen := make(map[string]int, len(d.Projects))
	for n, p := range d.Projects {
		path := fmt.Sprintf("discovery.projects[%d]", n)
		first, dup := seen[p]
		seen[p] = n
		if err := cmp.Or(
			check(p == "", path, "missing or empty"),
			checkProjectID(path, p, codeArtsProject),
			check(dup, path, "%q is already discovery.projects[%d]", p, first),
		); err != nil {
			return err
		}
	}
	var incErr, excErr error
	d.include, incErr = compileAnchored("discovery.include", d.Include)
	d.exclude, excErr = compileAnchored("discovery.exclude", d.Exclude)
	d.RefreshInterval = cmp.Or(d.RefreshInterval, DefaultRefreshInterval)
	return cmp.Or(incErr, excErr, atLeast("discovery.refresh_interval", d.RefreshInterval, MinRefreshInterval))
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
	return re, check(err != nil, path, "%v", err)
}

func atLeast(path string, d, minimum model.Duration) error {
	return check(d < minimum, path, "%v is less than the minimum, %v", d, minimum)
}

// globStar is a glob's '*': first, or after what a regular expression
// would not repeat ('.', a group, a class, an escape).
var globStar = regexp.MustCompile(`(^|[^.)\]\\])\*`)

// globWarning says expr is a regular expression, and how it is meant.
func globWarning(expr string) string {
	return fmt.Sprintf("%q looks like a glob, but it is a regular expression on the whole task name: "+
		"for a glob's *, write .* (%q)", expr, globStar.ReplaceAllString(expr, "$1.*"))
}
