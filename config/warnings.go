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
	return out
}

// globWarning says that expr is a regular expression, not a glob, and how
// it is likely meant.
func globWarning(expr string) string {
	return fmt.Sprintf("%q looks like a glob, but it is a regular expression on the whole task name: for a glob's *, write .* (%q)",
		expr, globStar.ReplaceAllString(expr, "$1.*"))
}
