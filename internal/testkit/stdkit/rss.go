package stdkit

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
)

// PeakRSS is the highest resident set size process pid has had (VmHWM in
// /proc/PID/status, Linux), in bytes.
func PeakRSS(tb testing.TB, pid int) uint64 {
	tb.Helper()
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		tb.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				tb.Fatalf("/proc/%d/status: VmHWM: %v", pid, err)
			}
			return kb << 10
		}
	}
	tb.Fatalf("no VmHWM in /proc/%d/status", pid)
	return 0
}
