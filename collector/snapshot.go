package collector

import (
	"strings"
	"unicode/utf8"

	"github.com/codearts-check-exporter/codearts_check_exporter/config"
)

// taskRow is what a collection keeps of one task.
type taskRow struct {
	task      config.Task   // label values: valid UTF-8 (see snapshot.add)
	duration  float64       // seconds this collection spent querying it
	errorCode string        // api.Code of this collection's error for the task; "": it got a valid answer
	answer                  // the last valid one, of this collection or an earlier one
	report    *reportValues // reportMemory.values, shared
	checks    checkValues   // historyMemory's
}

// checkValues is what a collection serves of a task's checks: the counts
// once the task has answered (answer.known: the baseline is taken).
type checkValues struct {
	counts  [numResults]float64
	last    float64 // the latest ended check's duration, seconds, from the history
	hasLast bool
}

// snapshot is the result of one collection, read-only once it ends: every
// scrape that shares the collection (share.go) may write it at once.
type snapshot struct {
	// rows are sorted by task ID, each ID once: config validation rejects
	// a task listed twice, and discovery adds no task already listed.
	rows                  []taskRow
	up                    bool
	duration              float64 // seconds the collection took
	noCollection          bool    // the scrape had no collection: up 0 and nothing else
	byProgress, byListing int     // tasks answered by a progress query, by change detection's listing
}

// add appends the row of a task. Tasks must come sorted by ID.
func (s *snapshot) add(row taskRow) {
	// Label values from the configuration and API answers are valid UTF-8
	// as parsed; anything else would make the answer unparseable.
	for _, v := range []*string{&row.task.ID, &row.task.Name, &row.task.ProjectID, &row.task.GitBranch} {
		if !utf8.ValidString(*v) {
			*v = strings.ToValidUTF8(*v, string(utf8.RuneError))
		}
	}
	s.rows = append(s.rows, row)
}
