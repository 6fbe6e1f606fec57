package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// --config.check says which permissions the check history needs while
// history.enabled is on (the default), and says nothing of them when it
// is off.
func TestConfigCheckNamesHistoryPermissions(t *testing.T) {
	dir := t.TempDir()
	head := "region: cn-north-4\nauth:\n  iam:\n    domain_name: a\n    username: b\n    password: hunter2\ntasks:\n  - id: abc\n"
	on, off := filepath.Join(dir, "on.yml"), filepath.Join(dir, "off.yml")
	writeFile(t, on, head)
	writeFile(t, off, head+"history:\n  enabled: false\n")
	code, out := checkIn(t, dir, on)
	for _, want := range []string{"is valid", "codeartscheck:task:getReport", "codeartscheck:task:get ", "CC.00050010"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("history on: exit %d, want 0 and %q in:\n%s", code, want, out)
		}
	}
	code, out = checkIn(t, dir, off)
	if code != 0 || !strings.Contains(out, "is valid") || strings.Contains(out, "history") || strings.Contains(out, "CC.00050010") {
		t.Errorf("history off: exit %d, want 0 and no word of the history's permissions:\n%s", code, out)
	}
}
