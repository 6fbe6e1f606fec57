package testkit

import (
	"slices"
	"sync"

	"github.com/codearts-check-exporter/codearts_check_exporter/config"
)

// ConfigTasks is the task source (collector.TaskSource, shard's) of the
// tasks listed in the configuration: what the binary queries without
// discovery.
type ConfigTasks struct{}

// Tasks returns cfg's tasks.
func (ConfigTasks) Tasks(cfg *config.Config) []config.Task { return cfg.Tasks }

// TaskList is a task source that stands for discovery: it serves the
// tasks last given, whatever the configuration, and they may change while
// collections read them.
type TaskList struct {
	mu    sync.Mutex
	tasks []config.Task
}

// NewTaskList returns a TaskList serving tasks.
func NewTaskList(tasks ...config.Task) *TaskList {
	l := &TaskList{}
	l.Set(tasks...)
	return l
}

// Set replaces the tasks served.
func (l *TaskList) Set(tasks ...config.Task) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.tasks = slices.Clone(tasks)
}

// Tasks returns the tasks last set; the configuration is not read.
func (l *TaskList) Tasks(*config.Config) []config.Task {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.tasks
}
