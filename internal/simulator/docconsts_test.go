package simulator

import "time"

// The demo's cycle and the made-up checks' times, as fakecloud documents
// them (its demo.go, checks.go and report.go).
const (
	demoPeriod          = 180 * time.Second
	demoStep            = 5 * time.Second
	demoChecking        = 65 * time.Second
	reportCheckDuration = demoChecking
	demoHistoryCycles   = 10 // checks a cycling demo task ran before the demo started
)

var staticCheckEnd = time.Date(2026, 1, 1, 0, 1, 5, 0, time.UTC)
