package main

import (
	"testing"
	"time"
)

// --demo runs with change detection on: idle tasks are answered by the
// listing, checking ones by progress queries, and both show in
// codearts_check_collection_tasks.
func TestDemoShowsBothAnsweredBy(t *testing.T) {
	e := startExporter(t, "--demo")
	seen := map[string]bool{}
	for deadline := time.Now().Add(30 * time.Second); !seen["progress"] || !seen["listing"]; {
		body := e.scrape(t)
		for _, by := range []string{"progress", "listing"} {
			if v, ok := metricValue(body, `codearts_check_collection_tasks{answered_by="`+by+`"}`); ok && v > 0 {
				seen[by] = true
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 30s of scrapes, answered_by seen: %v; want progress and listing:\n%s", seen, body)
		}
		time.Sleep(20 * time.Millisecond) // a polling interval, not a wait for an event
	}
}
