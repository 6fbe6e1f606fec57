package simulator

import (
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/codearts-check-exporter/codearts_check_exporter/internal/simulator/fakecloud"
)

// Listings that misbehave: slow, hung, throttled, lying and endless task
// lists, and last_check_time values that flap or come in another form.
// They are what change detection must survive without answering worse
// than with it off.

// Listing sets how every task list page is answered. The zero value
// answers normally.
type Listing struct {
	// Delay holds every page this long before its answer (cut short by the
	// client going away or by Close).
	Delay time.Duration
	// Hang holds every page until the client goes away; Close drops it.
	Hang bool
	// ThrottlePages are page indexes (0 = the first page, whatever the
	// OffsetMode) answered 429 APIGW.0308 every time they are asked for.
	ThrottlePages []int
	// ThrottleEvery > 0 answers 429 APIGW.0308 to every ThrottleEvery-th
	// listing request since SetListing: 10 throttles 10 % of the pages.
	ThrottleEvery int
	// LieTotal > 0 answers every page {"tasks":[],"total":LieTotal}: a
	// page that contradicts its total.
	LieTotal int
	// Endless answers every page with a full page of tasks never listed
	// before and a total of EndlessTotal, so paging never ends.
	Endless bool
}

// EndlessTotal is the total an Endless listing claims.
const EndlessTotal = 1_000_000_000

// listingState is Listing being served, guarded by Server.mu.
type listingState struct {
	Listing
	requests int                     // listing requests since SetListing
	endless  int                     // tasks an Endless listing has made up
	flaps    map[string][2]time.Time // last_check_time pairs by task ID
	flapped  map[string]int          // listings of each flapping task
	layout   string                  // of last_check_time; "" = RFC 3339
}

// SetListing makes every later task list page answer as l says; the
// zero Listing restores normal answers.
func (s *Server) SetListing(l Listing) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.listing.Listing = l
	s.listing.ThrottlePages = slices.Clone(l.ThrottlePages)
	s.listing.requests = 0
}

// SetLastCheckFlap makes the task list's last_check_time of taskID
// alternate between a and b, one listing of the task after the other
// (a first), whatever its checks do. Two equal zero times stop it.
func (s *Server) SetLastCheckFlap(taskID string, a, b time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ls := &s.listing
	if a.IsZero() && b.IsZero() {
		delete(ls.flaps, taskID)
		return
	}
	if ls.flaps == nil {
		ls.flaps, ls.flapped = map[string][2]time.Time{}, map[string]int{}
	}
	ls.flaps[taskID] = [2]time.Time{a, b}
	ls.flapped[taskID] = 0
}

// LastCheckLayoutSummary is the form of time in the report summary's
// example, "2026-11-01 08:00:00", without a zone.
const LastCheckLayoutSummary = time.DateTime

// SetLastCheckLayout makes the task list send last_check_time formatted
// with layout (in UTC), e.g. LastCheckLayoutSummary; "" restores RFC 3339.
func (s *Server) SetLastCheckLayout(layout string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.listing.layout = layout
}

// serveListing answers a page itself when the Listing says so, and
// reports whether it did (or the client went away).
func (s *Server) serveListing(w http.ResponseWriter, r *http.Request) bool {
	page, limit := s.PageIndex(r)
	s.mu.Lock()
	ls := &s.listing
	ls.requests++
	l := ls.Listing
	throttle := slices.Contains(l.ThrottlePages, page) ||
		(l.ThrottleEvery > 0 && ls.requests%l.ThrottleEvery == 0)
	var made []string
	if l.Endless {
		for range limit {
			ls.endless++
			made = append(made, fmt.Sprintf("e%031x", ls.endless))
		}
	}
	s.mu.Unlock()

	if l.Hang {
		s.hang(w, r)
		return true
	}
	if !s.wait(r, l.Delay) {
		return true // the client gave up; nobody is listening
	}
	switch {
	case throttle:
		s.writeFault(w, r, FaultThrottled, false)
	case l.LieTotal > 0:
		fakecloud.WriteJSON(w, http.StatusOK, taskListBody{Tasks: []taskListItem{}, Total: l.LieTotal})
	case l.Endless:
		body := taskListBody{Tasks: []taskListItem{}, Total: EndlessTotal}
		for _, id := range made {
			body.Tasks = append(body.Tasks, taskListItem{TaskID: id, TaskName: "endless-" + id})
		}
		fakecloud.WriteJSON(w, http.StatusOK, body)
	default:
		return false
	}
	return true
}

// changePage is fakecloud's Hooks.Page: it makes the times flap and puts
// them in the layout SetLastCheckLayout asked for.
func (s *Server) changePage(_ string, p *taskListBody) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ls := &s.listing
	for i := range p.Tasks {
		it := &p.Tasks[i]
		if pair, flaps := ls.flaps[it.TaskID]; flaps {
			it.LastCheckTime = pair[ls.flapped[it.TaskID]%2].UTC().Format(time.RFC3339)
			ls.flapped[it.TaskID]++
		}
		if at, err := time.Parse(time.RFC3339, it.LastCheckTime); err == nil && ls.layout != "" {
			it.LastCheckTime = at.UTC().Format(ls.layout)
		}
	}
}
