package scripts

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// makefile returns the repository's Makefile and the output of `make help`.
func makefile(t *testing.T) (text, help string) {
	t.Helper()
	data, err := os.ReadFile("../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("make", "-s", "-C", "..", "help").CombinedOutput()
	if err != nil {
		t.Fatalf("make help: %v\n%s", err, out)
	}
	return string(data), string(out)
}

// Every target a newcomer can call is in `make help`.
func TestMakeHelpListsEveryTarget(t *testing.T) {
	text, help := makefile(t)
	phony := regexp.MustCompile(`(?m)^\.PHONY:(.*)$`).FindStringSubmatch(text)
	if phony == nil {
		t.Fatal("Makefile: no .PHONY line")
	}
	for _, target := range strings.Fields(phony[1]) {
		if target == "all" || target == "help" {
			continue
		}
		if !regexp.MustCompile(`(?m)^make ` + regexp.QuoteMeta(target) + `\s`).MatchString(help) {
			t.Errorf("make help does not list %q:\n%s", target, help)
		}
	}
}

// The gate runs no random search: a fuzzing pass in `make test` could fail
// on any day for a bug nobody touched. The corpora run inside `unit`.
func TestMakeTestRunsNoRandomSearch(t *testing.T) {
	text, _ := makefile(t)
	prereqs := regexp.MustCompile(`(?m)^test:(.*)$`).FindStringSubmatch(text)
	if prereqs == nil {
		t.Fatal("Makefile: no test target")
	}
	for _, p := range strings.Fields(prereqs[1]) {
		if p == "fuzz" {
			t.Errorf("make test depends on fuzz: %q", prereqs[0])
		}
	}
	if !strings.Contains(prereqs[1], "unit") {
		t.Errorf("make test does not run unit (where the fuzz corpora run): %q", prereqs[0])
	}
}
