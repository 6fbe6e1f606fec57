package config

import (
	"fmt"
	"regexp"
)

// globStar is a '*' as a glob has it: first, or after anything but what a
// regular expression repeats ('.', a group, a class, an escape).
var globStar = regexp.MustCompile(`(^|[^.)\]\\])\*`)

// maxTaskIDWarnings bounds the task IDs warned about one by one: a file
// of thousands of short IDs (a test's) gets a few lines, not thousands.
const maxTaskIDWarnings = 3

// warnings lists what loads but is likely not what was meant. Their lines
// are added by parse.
func (c *Config) warnings() []*FieldError {
	var out []*FieldError
	if d := c.Discovery; d != nil {
		for _, f := range [][2]string{{"discovery.include", d.Include}, {"discovery.exclude", d.Exclude}} {
			if globStar.MatchString(f[1]) {
				out = append(out, &FieldError{Path: f[0], Msg: globWarning(f[1])})
			}
		}
	}
	// A task ID that is not 32 hex characters, as every real one is: a copy
	// cut short by a character loads (IDs of 1 to 32 characters are valid)
	// and would fail at every scrape as a task not found.
	const hint = "a real task ID is 32 hex characters (in the task's URL in the CodeArts console)"
	named, more, lastID := 0, 0, ""
	for n, t := range c.Tasks {
		if hexID.MatchString(t.ID) {
			continue
		}
		if named > maxTaskIDWarnings {
			more++
			continue
		}
		msg := fmt.Sprintf("%q is not hex; %s", t.ID, hint)
		if hexRun.FindString(t.ID) == t.ID {
			msg = fmt.Sprintf("%q is %d characters; %s: is it cut short?", t.ID, len(t.ID), hint)
		}
		out = append(out, &FieldError{Path: fmt.Sprintf("tasks[%d].id", n), Msg: msg})
		named, lastID = named+1, t.ID
	}
	if more > 0 {
		out[len(out)-1].Msg = fmt.Sprintf("%q and %d more task IDs after it are not 32 hex characters either", lastID, more)
	}
	// An IAM project named after another region than region (region:
	// la-north-2, project_name: cn-north-4, left from an example): the token
	// would be scoped to the other region's project, while a region's tasks
	// need a token of their own region's (region.go).
	if i := c.Auth.IAM; i != nil && c.Region != "" && i.ProjectName != c.Region && regionish.MatchString(i.ProjectName) {
		out = append(out, &FieldError{Path: "auth.iam.project_name", Msg: fmt.Sprintf(
			"%q names another region than region (%s): the token would be scoped to %s's project; "+
				"remove project_name (it defaults to %s) or set it to %s",
			i.ProjectName, c.Region, i.ProjectName, c.Region, c.Region)})
	}
	return out
}

// globWarning says that expr is a regular expression, not a glob, and how
// it is likely meant.
func globWarning(expr string) string {
	return fmt.Sprintf("%q looks like a glob, but it is a regular expression on the whole task name: "+
		"for a glob's *, write .* (%q)", expr, globStar.ReplaceAllString(expr, "$1.*"))
}
