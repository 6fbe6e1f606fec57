package config

import (
	"strconv"
	"strings"
	"testing"
)

// Task and job IDs travel in the request path and query. Anything that
// could change either is refused when the file is loaded (the client
// escapes them anyway: internal/codearts/escape_test.go).
func TestHostileIDsRejectedAtLoad(t *testing.T) {
	const head = "region: cn-north-4\nauth:\n  iam:\n    domain_name: acme\n    username: monitor\n    password: pw\ntasks:\n"
	for _, id := range []string{
		"../etc", "..", ".", "a/b", "a%2Fb", "a?b=c", "a#frag", "a b", " a", "a&b", "a;b",
		"tâche", "任务", "a\u200bb", "a\x00b", "a\\b", strings.Repeat("a", MaxTaskIDLength+1),
	} {
		quoted := strconv.Quote(id) // YAML double-quoted strings take Go's escapes
		for _, c := range []struct{ key, file string }{
			{"tasks[0].id", head + "  - id: " + quoted + "\n"},
			{"tasks[0].job_id", head + "  - id: abc\n    job_id: " + quoted + "\n"},
		} {
			if c.key == "tasks[0].job_id" && len(id) > MaxTaskIDLength && len(id) <= MaxJobIDLength {
				continue // long job IDs are fine
			}
			_, err := parseYAML([]byte(c.file))
			if err == nil {
				t.Errorf("%s %q accepted", c.key, id)
				continue
			}
			if !strings.Contains(err.Error(), c.key) {
				t.Errorf("%s %q: error %q does not name the key", c.key, id, err)
			}
		}
	}
}
