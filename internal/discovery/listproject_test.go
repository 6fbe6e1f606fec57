package discovery

import (
	"testing"

	"github.com/codearts-check-exporter/codearts_check_exporter/config"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit"
)

// With change detection on, each collection lists the project of its
// discovered tasks once, before their progress, and that listing is
// discovery's: the timer skips the project within refresh_interval, a
// reload lists it anyway.
func TestCollectionListingIsDiscoverys(t *testing.T) {
	e := newEnv(t, 3, func(c *config.Config) { c.ChangeDetection.Enabled = true })
	e.disc.Refresh(t.Context())
	if n := e.sim.TaskListRequests(projectA); n != 1 {
		t.Fatalf("discovery's first listing: %d calls, want 1", n)
	}
	e.scrape()
	if n, p := e.sim.TaskListRequests(projectA), e.sim.ProgressRequests(); n != 2 || p != 3 {
		t.Fatalf("first collection: %d listings, %d progress calls; want 2, 3", n, p)
	}
	f := e.scrape()
	if n, p := e.sim.TaskListRequests(projectA), e.sim.ProgressRequests(); n != 3 || p != 3 {
		t.Errorf("second collection: %d listings, %d progress calls; want 3 (one more listing), 3 (none more)", n, p)
	}
	if v, _ := testkit.Value(f, "codearts_check_collection_tasks", "answered_by", "listing"); v != 3 {
		t.Errorf("answered_by listing = %v, want 3", v)
	}
	e.disc.refresh(t.Context(), true)
	if n := e.sim.TaskListRequests(projectA); n != 3 {
		t.Errorf("timer after a collection's listing: %d calls, want 3 (skipped)", n)
	}
	e.disc.Refresh(t.Context())
	if n := e.sim.TaskListRequests(projectA); n != 4 {
		t.Errorf("reload: %d calls, want 4 (listed)", n)
	}
}

// ListProject lists a project outside discovery too, without making its
// tasks discovered.
func TestListProjectOutsideDiscovery(t *testing.T) {
	e := newEnv(t, 2, nil)
	e.sim.AddProject(projectB)
	cfg := e.sc.Get()
	client, err := e.clients.For(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got := e.disc.ListProject(t.Context(), cfg, client, projectB, 10); got.Err != nil {
		t.Fatalf("listing B: %+v", got)
	}
	if b := e.sim.TaskListRequests(projectB); b != 1 {
		t.Errorf("calls B %d, want 1", b)
	}
	if ids := e.taskIDs(); len(ids) != 0 {
		t.Errorf("discovered %v, want none", ids)
	}
}
