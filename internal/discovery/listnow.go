package discovery

import (
	"context"
	"slices"
	"time"

	"github.com/codearts-check-exporter/codearts_check_exporter/config"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/api"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/codearts"
)

// Listing on a collection's behalf. With change detection on, a collection
// lists the projects of its change-tracked tasks (collector/plan.go). Those
// listings are discovery's too: a discovered project's complete listing
// becomes its last good list, and Run's timer skips a project a collection
// listed less than refresh_interval ago, so no project is listed twice for
// one purpose.

// ListProject lists the project id through client, cfg's, reading at most
// maxPages pages within ctx (the collection's share of its deadline; the
// calls take the rate limit). A listing that fails or is cut short returns
// the tasks of the pages that came back, with its error; only a complete
// listing of a project of cfg's discovery becomes its last good list.
func (d *Discoverer) ListProject(ctx context.Context, cfg *config.Config, client *codearts.Client, id string, maxPages int) codearts.Listing {
	tasks, err := listAll(ctx, min(maxPages, maxListPages), func(ctx context.Context, offset int) (codearts.TaskPage, error) {
		return client.TaskList(ctx, id, offset, codearts.MaxTaskListLimit)
	})
	tasks = d.validIDs(id, tasks)
	l := codearts.Listing{Tasks: tasks, Err: err, At: d.now()}
	if err != nil {
		d.logger.Warn("Listing a project's tasks for a collection failed or was cut short; the tasks it did not list are asked for their progress",
			"project_id", id, "listed_tasks", len(tasks), "error_code", api.Code(err), "err", err)
		return l
	}
	if cfg.Discovery == nil || !slices.Contains(cfg.Discovery.Projects, id) {
		return l
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.projects[id] = project{tasks: tasks, lastSuccess: l.At, listedByCollection: l.At}
	return l
}

// listedRecently reports whether a collection listed the project id less
// than interval ago, so that the background refresh can skip it. d.mu is
// not held.
func (d *Discoverer) listedRecently(id string, interval time.Duration) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	p := d.projects[id]
	return !p.listedByCollection.IsZero() && d.now().Sub(p.listedByCollection) < interval
}
