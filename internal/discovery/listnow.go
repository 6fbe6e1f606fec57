package discovery

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/codearts-check-exporter/codearts_check_exporter/config"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/api"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/codearts"
)

// Listing on a collection's behalf. With change detection on, a collection
// lists the projects of its change-tracked tasks before any progress query
// (collector/changedetection.go). Those listings are discovery's too: a discovered
// project's listing becomes its last good list, and Run's timer skips a
// project a collection listed less than refresh_interval ago, so no project
// is listed twice for one purpose.

// List lists each of projects once (a project named twice is listed once)
// through client, cfg's, with at most cfg.Concurrency projects at a time,
// within ctx (the collection's deadline; the calls take the API budget).
// It returns every project's outcome; a project ctx left no time for has
// ctx's error. The projects of cfg's discovery keep the tasks listed as
// their last good list.
func (d *Discoverer) List(ctx context.Context, cfg *config.Config, client *codearts.Client, projects []string) map[string]codearts.Listing {
	unique := make([]string, 0, len(projects))
	out := make(map[string]codearts.Listing, len(projects))
	for _, id := range projects {
		if _, dup := out[id]; !dup {
			out[id] = codearts.Listing{}
			unique = append(unique, id)
		}
	}
	results := make([]codearts.Listing, len(unique))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(max(cfg.Concurrency, 1), len(unique)) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(unique) {
					return
				}
				if ctx.Err() != nil {
					results[i] = codearts.Listing{Err: ctx.Err(), At: d.now()}
					continue
				}
				tasks, err := d.listProject(ctx, client, unique[i])
				results[i] = codearts.Listing{Tasks: tasks, Err: err, At: d.now()}
			}
		})
	}
	wg.Wait()

	discovered := map[string]bool{}
	if cfg.Discovery != nil {
		for _, id := range cfg.Discovery.Projects {
			discovered[id] = true
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for i, id := range unique {
		r := results[i]
		out[id] = r
		if r.Err != nil || !discovered[id] {
			continue
		}
		p := d.projects[id]
		if p == nil {
			p = &project{}
			d.projects[id] = p
		}
		p.tasks, p.lastSuccess, p.listedByCollection = r.Tasks, r.At, r.At
	}
	return out
}

// listProject lists every page of one project's tasks and keeps those
// whose ID is usable.
func (d *Discoverer) listProject(ctx context.Context, client *codearts.Client, id string) ([]codearts.ListedTask, error) {
	tasks, err := listAll(ctx, func(ctx context.Context, offset int) (codearts.TaskPage, error) {
		return client.TaskList(ctx, id, offset, codearts.MaxTaskListLimit)
	})
	if err != nil {
		d.logger.Warn("Listing a project's tasks for a collection failed; its tasks are asked for their progress",
			"project_id", id, "error_code", api.Code(err), "err", err)
		return nil, err
	}
	return d.validIDs(id, tasks), nil
}

// listedRecently reports whether a collection listed the project id less
// than interval ago, so that the background refresh can skip it. d.mu is
// not held.
func (d *Discoverer) listedRecently(id string, interval time.Duration) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	p := d.projects[id]
	return p != nil && !p.listedByCollection.IsZero() && d.now().Sub(p.listedByCollection) < interval
}
