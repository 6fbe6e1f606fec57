package config

import (
	"fmt"
	"regexp"
)

// globStar is a '*' as a glob has it: first, or after anything but what a
// regular expression repeats ('.', a group, a class, an escape).
var globStar = regexp.MustCompile(`(^|[^.)\]\\])\*`)

// warnings lists what loads but is likely not what was meant. Their lines
// are added by parse.
func (c *Config) warnings() []*FieldError {
	var out []*FieldError
	if d := c.Discovery; d != nil {
		for _, f := range []struct{ path, expr string }{{"discovery.include", d.Include}, {"discovery.exclude", d.Exclude}} {
			if globStar.MatchString(f.expr) {
				out = append(out, &FieldError{Path: f.path, Msg: globWarning(f.expr)})
			}
		}
	}
	out = append(out, taskIDWarnings(c.Tasks)...)
	if w := c.projectNameWarning(); w != nil {
		out = append(out, w)
	}
	return out
}

// maxTaskIDWarnings bounds the task IDs warned about one by one: a file
// of thousands of short IDs (a test's) gets a few lines, not thousands.
const maxTaskIDWarnings = 3

// taskIDWarnings names the task IDs that are not 32 hex characters, as
// every real one is: a copy cut short by a character loads (IDs of 1 to 32
// characters are valid) and would fail at every scrape as a task not found.
func taskIDWarnings(tasks []Task) []*FieldError {
	var out []*FieldError
	var rest *FieldError // the first one past the bound, which stands for the others
	restID, more := "", 0
	for n, t := range tasks {
		if hexID.MatchString(t.ID) {
			continue
		}
		w := &FieldError{Path: fmt.Sprintf("tasks[%d].id", n), Msg: taskIDWarning(t.ID)}
		switch {
		case len(out) < maxTaskIDWarnings:
			out = append(out, w)
		case rest == nil:
			rest, restID = w, t.ID
		default:
			more++
		}
	}
	if rest != nil && more > 0 {
		rest.Msg = fmt.Sprintf("%q and %d more task IDs after it are not 32 hex characters either", restID, more)
	}
	if rest != nil {
		out = append(out, rest)
	}
	return out
}

func taskIDWarning(id string) string {
	if hexRun.FindString(id) != id {
		return fmt.Sprintf("%q is not hex; a real task ID is 32 hex characters (in the task's URL in the CodeArts console)", id)
	}
	return fmt.Sprintf("%q is %d characters; a real task ID is 32 hex characters (in the task's URL in the CodeArts console): is it cut short?", id, len(id))
}

// projectNameWarning warns of an IAM project named after another region
// than region (region: la-north-2, project_name: cn-north-4, left from an
// example): the token would be scoped to the other region's project, while
// a region's tasks need a token of their own region's (region.go).
func (c *Config) projectNameWarning() *FieldError {
	i := c.Auth.IAM
	if i == nil || c.Region == "" || i.ProjectName == c.Region || !regionish.MatchString(i.ProjectName) {
		return nil
	}
	return &FieldError{Path: "auth.iam.project_name", Msg: fmt.Sprintf(
		"%q names another region than region (%s): the token would be scoped to %s's project; remove project_name (it defaults to %s) or set it to %s",
		i.ProjectName, c.Region, i.ProjectName, c.Region, c.Region)}
}

// globWarning says that expr is a regular expression, not a glob, and how
// it is likely meant.
func globWarning(expr string) string {
	return fmt.Sprintf("%q looks like a glob, but it is a regular expression on the whole task name: for a glob's *, write .* (%q)",
		expr, globStar.ReplaceAllString(expr, "$1.*"))
}
