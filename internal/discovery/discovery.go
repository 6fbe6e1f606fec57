// Package discovery owns task discovery: it lists the tasks of the
// configured CodeArts projects (ShowTaskListByProjectIdV2) in the
// background, every discovery.refresh_interval and right after a reload,
// keeps each project's last good list when a listing fails, and serves the
// static tasks merged with the discovered ones to the collector. A scrape
// reads the last lists; only change detection lists on a collection's
// behalf (ListProject), with a bounded share of its deadline.
package discovery

import (
	"context"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/codearts-check-exporter/codearts_check_exporter/config"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/api"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/clientcache"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/codearts"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/namespace"
)

var (
	lastSuccessDesc = prometheus.NewDesc(prometheus.BuildFQName(namespace.Name, "discovery", "last_success_timestamp_seconds"),
		"Unix time of the last successful listing of the CodeArts project's tasks; 0 if none succeeded yet. While listings fail, the last good list stays in use.",
		[]string{"project_id"}, nil)
	discoveredDesc = prometheus.NewDesc(prometheus.BuildFQName(namespace.Name, "", "discovered_tasks"),
		"Tasks of the project's last good listing that pass discovery.include and discovery.exclude.",
		[]string{"project_id"}, nil)
)

// Discoverer lists projects' tasks in the background and is the
// collector's TaskSource. It is safe for concurrent use.
type Discoverer struct {
	config  func() *config.Config // the configuration in force (config.SafeConfig.Get)
	clients *clientcache.Cache
	logger  *slog.Logger

	reload chan struct{} // a refresh is wanted now
	// retryMin is the first wait before a failed listing is tried again,
	// doubling up to refresh_interval: a project whose first listing failed
	// has no tasks until it is listed.
	retryMin time.Duration

	mu       sync.Mutex
	projects map[string]project // by CodeArts project ID
}

// project is the last good listing of one project.
type project struct {
	tasks       []codearts.ListedTask
	lastSuccess time.Time // zero: no listing succeeded yet
}

// New returns a Discoverer of the configuration cfg returns, listing
// through the client that clients gives the collector too. Nothing is
// listed until Run.
func New(cfg func() *config.Config, clients *clientcache.Cache, logger *slog.Logger) *Discoverer {
	return &Discoverer{
		config:   cfg,
		clients:  clients,
		logger:   logger,
		reload:   make(chan struct{}, 1),
		retryMin: time.Duration(config.MinRefreshInterval),
		projects: map[string]project{},
	}
}

// Run lists the projects at once, then every refresh_interval and after
// each Reload, until ctx ends. Without discovery in the configuration it
// only waits for a Reload that brings some.
func (d *Discoverer) Run(ctx context.Context) {
	var retry time.Duration // 0 while every listing succeeds
	for onTimer := false; ; {
		if d.refresh(ctx, onTimer) {
			retry = 0
		} else {
			retry = max(d.retryMin, 2*retry)
		}
		var tick <-chan time.Time // nil without discovery: wait for a reload
		if cfg := d.config(); cfg != nil && cfg.Discovery != nil {
			wait := time.Duration(cfg.Discovery.RefreshInterval)
			if retry > 0 {
				wait = min(wait, retry) // the timer lists only the projects that failed
			}
			tick = time.After(wait)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick:
			onTimer = true
		case <-d.reload:
			onTimer = false
		}
	}
}

// Reload asks Run for a listing now, for a configuration just put in
// force. It never blocks.
func (d *Discoverer) Reload() {
	select {
	case d.reload <- struct{}{}:
	default: // a refresh is already pending
	}
}

// Refresh lists every configured project once. A project whose listing
// fails keeps its last good list; its error has been counted in
// codearts_check_api_errors_total by the API client and is logged here.
func (d *Discoverer) Refresh(ctx context.Context) { _ = d.refresh(ctx, false) }

// refresh is Refresh, and reports whether no listing failed; onTimer skips
// the projects listed less than refresh_interval ago, by a collection
// (ListProject) or an earlier refresh: they are as fresh as this listing
// would make them. A reload lists every project: its configuration may
// have changed.
func (d *Discoverer) refresh(ctx context.Context, onTimer bool) bool {
	cfg := d.config()
	d.mu.Lock()
	maps.DeleteFunc(d.projects, func(id string, _ project) bool {
		// A project added back later starts afresh.
		return cfg == nil || cfg.Discovery == nil || !slices.Contains(cfg.Discovery.Projects, id)
	})
	d.mu.Unlock()
	if cfg == nil || cfg.Discovery == nil {
		return true
	}
	client, err := d.clients.For(cfg)
	if err != nil {
		d.logger.Error("Task discovery cannot reach the API; the last discovered tasks stay in use", "err", err)
		return false
	}
	ok := true
	for _, id := range cfg.Discovery.Projects {
		if ctx.Err() != nil {
			return ok
		}
		d.mu.Lock()
		listed := d.projects[id].lastSuccess
		d.mu.Unlock()
		if onTimer && time.Since(listed) < time.Duration(cfg.Discovery.RefreshInterval) {
			continue
		}
		tasks, err := d.list(ctx, cfg, client, id, maxListPages)
		if err != nil {
			d.logger.Warn("Listing a project's tasks failed; its last discovered tasks stay in use",
				"project_id", id, "error_code", api.Code(err), "err", err)
			ok = false
			continue
		}
		d.mu.Lock()
		d.projects[id] = project{tasks: tasks, lastSuccess: time.Now()}
		d.mu.Unlock()
		d.logger.Debug("Listed a project's tasks", "project_id", id, "tasks", len(tasks))
	}
	return ok
}

// ListProject lists the project id on a collection's behalf (change
// detection, collector/plan.go) through client, cfg's, reading at most
// maxPages pages within ctx, the collection's share of its deadline. A
// complete listing of a project of cfg's discovery becomes its last good
// list. A listing that fails or is cut short returns the tasks of the pages
// that came back, with its error.
func (d *Discoverer) ListProject(ctx context.Context, cfg *config.Config, client *codearts.Client, id string,
	maxPages int) codearts.Listing {
	tasks, err := d.list(ctx, cfg, client, id, maxPages)
	l := codearts.Listing{Tasks: tasks, Err: err, At: time.Now()}
	if err != nil {
		d.logger.Warn("Listing a project's tasks for a collection failed or was cut short; "+
			"the tasks it did not list are asked for their progress",
			"project_id", id, "listed_tasks", len(tasks), "error_code", api.Code(err), "err", err)
	} else if cfg.Discovery != nil && slices.Contains(cfg.Discovery.Projects, id) {
		d.mu.Lock()
		d.projects[id] = project{tasks: tasks, lastSuccess: l.At}
		d.mu.Unlock()
	}
	return l
}

// list lists the project id through client, reading at most maxPages
// pages, each within cfg's timeout, and drops the tasks whose ID the
// configuration would refuse: IDs become URL path segments and label values.
func (d *Discoverer) list(ctx context.Context, cfg *config.Config, client *codearts.Client, id string,
	maxPages int) ([]codearts.ListedTask, error) {
	fetch := func(ctx context.Context, offset int) (codearts.TaskPage, error) {
		ctx, cancel := context.WithTimeout(ctx, time.Duration(cfg.Timeout))
		defer cancel()
		return client.TaskList(ctx, id, offset, codearts.MaxTaskListLimit)
	}
	tasks, err := listAll(ctx, min(maxPages, maxListPages), fetch)
	return slices.DeleteFunc(tasks, func(t codearts.ListedTask) bool {
		bad := config.CheckTaskID(t.ID)
		if bad != nil {
			d.logger.Warn("Ignoring a listed task with an unusable ID", "project_id", id, "err", bad)
		}
		return bad != nil
	}), err
}

// Tasks implements collector.TaskSource: the configured tasks, then the
// discovered ones that pass include/exclude and are not configured. A
// configured task keeps its name and job_id; discovery only adds what the
// file cannot say, its project and branch. A task in several projects is
// taken from the first one listed in discovery.projects.
func (d *Discoverer) Tasks(cfg *config.Config) []config.Task {
	if cfg.Discovery == nil {
		return cfg.Tasks
	}
	tasks := append([]config.Task(nil), cfg.Tasks...)
	index := make(map[string]int, len(tasks))
	for i, t := range tasks {
		index[t.ID] = i
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, projectID := range cfg.Discovery.Projects {
		for _, lt := range d.projects[projectID].tasks {
			if i, ok := index[lt.ID]; ok {
				if tasks[i].ProjectID == "" {
					tasks[i].ProjectID, tasks[i].GitBranch = projectID, lt.GitBranch
				}
				continue
			}
			if cfg.Discovery.Keep(lt.Name) {
				index[lt.ID] = len(tasks)
				tasks = append(tasks, config.Task{ID: lt.ID, Name: lt.Name, ProjectID: projectID, GitBranch: lt.GitBranch})
			}
		}
	}
	return tasks
}

// Describe implements prometheus.Collector.
func (d *Discoverer) Describe(ch chan<- *prometheus.Desc) {
	ch <- lastSuccessDesc
	ch <- discoveredDesc
}

// Collect implements prometheus.Collector: one series of each per project
// of the configuration in force, none without discovery.
func (d *Discoverer) Collect(ch chan<- prometheus.Metric) {
	cfg := d.config()
	if cfg == nil || cfg.Discovery == nil {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, projectID := range cfg.Discovery.Projects {
		p, last, kept := d.projects[projectID], 0.0, 0
		if !p.lastSuccess.IsZero() {
			last = float64(p.lastSuccess.UnixNano()) / 1e9
		}
		for _, t := range p.tasks {
			if cfg.Discovery.Keep(t.Name) {
				kept++
			}
		}
		ch <- prometheus.MustNewConstMetric(lastSuccessDesc, prometheus.GaugeValue, last, projectID)
		ch <- prometheus.MustNewConstMetric(discoveredDesc, prometheus.GaugeValue, float64(kept), projectID)
	}
}
