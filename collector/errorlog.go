package collector

import (
	"log/slog"
	"maps"
	"slices"

	"github.com/codearts-check-exporter/codearts_check_exporter/internal/api"
)

// errorSummary groups a collection's failures by error code, so that a bad
// API day logs one line per kind of error per scrape, not one per task.
type errorSummary map[string]*codeSummary

type codeSummary struct {
	tasks       int
	exampleTask string
	exampleErr  error
}

func (s errorSummary) add(taskID string, err error) {
	code := api.Code(err)
	if s[code] == nil {
		s[code] = &codeSummary{exampleTask: taskID, exampleErr: err}
	}
	s[code].tasks++
}

// log logs a warning per error code under msg; the tasks the rate limit left
// out, expected whenever it is smaller than the task set, at info.
func (s errorSummary) log(logger *slog.Logger, msg string, total int) {
	for _, code := range slices.Sorted(maps.Keys(s)) {
		cs := s[code]
		if code == api.CodeBudget {
			logger.Info("tasks left for the next scrape: the rate limit (max_requests_per_second) had no room for them before the deadline",
				"tasks", cs.tasks, "total_tasks", total)
			continue
		}
		logger.Warn(msg, "error_code", code, "failed_tasks", cs.tasks, "total_tasks", total,
			"example_task_id", cs.exampleTask, "err", cs.exampleErr)
	}
}
