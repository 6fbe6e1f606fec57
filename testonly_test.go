package main

import (
	"os/exec"
	"strings"
	"testing"
)

// The binary holds no test-only code: the simulator's faults, hostile
// answers, error shapes, misbehaving listings and request counters
// (internal/simulator) and the tests' helpers (internal/testkit) are
// imported by tests only. --demo serves fakecloud, the faithful API.
func TestBinaryHoldsNoTestOnlyCode(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	const module = "github.com/codearts-check-exporter/codearts_check_exporter/"
	deps := map[string]bool{}
	for _, p := range strings.Fields(string(out)) {
		deps[p] = true
	}
	if !deps[module+"internal/simulator/fakecloud"] {
		t.Errorf("the binary does not import internal/simulator/fakecloud, which --demo serves: is the list right?\n%s", out)
	}
	for p := range deps {
		if p == module+"internal/simulator" || strings.HasPrefix(p, module+"internal/testkit") {
			t.Errorf("the binary imports %s, which only tests may", p)
		}
	}
}
