package collector

import (
	"errors"
	"log/slog"
	"maps"
	"slices"

	"github.com/codearts-check-exporter/codearts_check_exporter/internal/api"
)

// errorSummary groups a scrape's failed task queries by error code, so that
// a bad API day logs one warning per kind of error per scrape, not one per
// task.
type errorSummary struct {
	byCode map[string]*codeSummary
}

type codeSummary struct {
	tasks       int
	exampleTask string
	exampleErr  error
}

func newErrorSummary() *errorSummary { return &errorSummary{byCode: map[string]*codeSummary{}} }

func (s *errorSummary) add(taskID string, err error) {
	code := api.Code(err)
	cs := s.byCode[code]
	if cs == nil {
		cs = &codeSummary{exampleTask: taskID, exampleErr: err}
		s.byCode[code] = cs
	}
	cs.tasks++
}

// log logs one line per error code of the task queries: the tasks the
// rate limit left out at info, each failure at warning.
func (s *errorSummary) log(logger *slog.Logger, total int) {
	for _, code := range s.codes() {
		cs := s.byCode[code]
		if code == api.CodeBudget {
			// Expected whenever the rate limit is smaller than the task set:
			// the tasks left out are the freshest, and go first next time.
			logger.Info("tasks left for the next scrape: the rate limit (max_requests_per_second) had no room for them before the deadline",
				"tasks", cs.tasks, "total_tasks", total)
			continue
		}
		cs.warn(logger, "task queries failed", code, total)
	}
}

// logAs logs one warning per error code under msg.
func (s *errorSummary) logAs(logger *slog.Logger, msg string, total int) {
	for _, code := range s.codes() {
		s.byCode[code].warn(logger, msg, code, total)
	}
}

// codes returns the error codes seen, sorted: the order of the log lines.
func (s *errorSummary) codes() []string {
	return slices.Sorted(maps.Keys(s.byCode))
}

func (cs *codeSummary) warn(logger *slog.Logger, msg, code string, total int) {
	logger.Warn(msg, "error_code", code, "failed_tasks", cs.tasks, "total_tasks", total,
		"example_task_id", cs.exampleTask, "err", cs.exampleErr)
}

// logEncodedAuthorization logs, at debug level, the encoded diagnostic a
// gateway may send with a refused permission (403). Only the account's
// administrator can decode it; it is long and different on every answer,
// so it goes to no warning and no label.
func logEncodedAuthorization(logger *slog.Logger, taskID string, err error) {
	var apiErr *api.Error
	if errors.As(err, &apiErr) && apiErr.EncodedAuthorizationMessage != "" {
		logger.Debug("task query refused; the account's administrator can decode encoded_authorization_message",
			"task_id", taskID, "error_code", apiErr.Code, "err", err,
			"encoded_authorization_message", apiErr.EncodedAuthorizationMessage)
	}
}
