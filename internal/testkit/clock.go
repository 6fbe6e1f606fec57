package testkit

import (
	"time"

	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit/stdkit"
)

// Clock is stdkit.Clock under the name the tests outside config and the
// simulator know it by; it is defined there so that the simulator's own
// tests can use it too.
type Clock = stdkit.Clock

// NewClock returns a Clock that reads t until moved.
func NewClock(t time.Time) *Clock { return stdkit.NewClock(t) }
