package discovery

import (
	"context"
	"errors"
	"fmt"

	"github.com/codearts-check-exporter/codearts_check_exporter/internal/codearts"
)

// Bounds of one project's listing: every byte of the API is hostile, and
// pages that never end (new IDs, a total of 10^9) would otherwise cost
// unbounded calls and memory. 200 pages are 20,000 tasks, far beyond a
// real project; the bytes bound what the kept names and branches take.
const (
	maxListPages   = 200
	maxListedTasks = 20000
	maxListedBytes = 8 << 20
	maxFailedPages = 3      // failed pages a listing goes on past (missing their tasks)
	maxOffset      = 999999 // the largest offset the task list accepts
)

var errContradiction = errors.New("a task list page has no tasks, but its total says more are left")

// listAll returns every task of a project, without duplicates, in the
// order the API lists them, reading at most maxPages pages of
// MaxTaskListLimit tasks with fetch. A listing that fails, is cut short by
// a bound or by ctx, or meets a page that contradicts its total returns the
// tasks of the pages before, and the error: the caller decides what a part
// of a list is worth.
//
// The API reference does not settle what offset counts: it calls it a page
// index, one example reads as counting pages from 1, and an item offset is
// what the name says. Trusting one reading would, with another, either
// stop after the first page (item offsets read as page numbers run past
// the end) or make one call per task (page numbers read as item offsets
// overlap by all but one task). So the second call, at offset 1, tells the
// readings apart by what it returns:
//
//   - the first page again: pages count from 1; go on with 2, 3, ...
//   - the first page shifted by one task: offset counts tasks; go on with
//     the offset of the first task not yet seen;
//   - anything else: pages count from 0; go on with 2, 3, ...
//
// Whatever the reading, listing stops when as many distinct tasks as the
// answer's total have been seen, on a page that adds no new task (a server
// that ignores offset would otherwise be listed forever), or at a bound.
func listAll(ctx context.Context, maxPages int,
	fetch func(ctx context.Context, offset int) (codearts.TaskPage, error)) ([]codearts.ListedTask, error) {
	var tasks []codearts.ListedTask
	var total, bytes, pages int
	seen := map[string]bool{}
	get := func(offset int) (codearts.TaskPage, error) {
		if pages >= maxPages {
			return codearts.TaskPage{}, fmt.Errorf("task list longer than %d pages: listing stopped", maxPages)
		}
		pages++
		page, err := fetch(ctx, offset)
		if err == nil && len(page.Tasks) == 0 && page.Total > len(seen) {
			err = errContradiction
		}
		return page, err
	}
	add := func(page codearts.TaskPage) (added int, err error) {
		total = page.Total
		for _, t := range page.Tasks {
			if !seen[t.ID] {
				bytes += len(t.ID) + len(t.Name) + len(t.GitBranch)
				if len(seen) >= maxListedTasks || bytes > maxListedBytes {
					return added, fmt.Errorf("task list larger than %d tasks or %d bytes: listing stopped", maxListedTasks, maxListedBytes)
				}
				seen[t.ID] = true
				tasks = append(tasks, t)
				added++
			}
		}
		return added, nil
	}

	first, err := get(0)
	if err != nil {
		return tasks, err
	}
	if _, err := add(first); err != nil || len(seen) >= total {
		return tasks, err
	}
	second, err := get(1)
	if err != nil {
		return tasks, err
	}
	var (
		next        int
		countsTasks bool // offset counts tasks rather than pages
	)
	switch {
	case len(second.Tasks) == 0:
		// Nothing more can be reached: tasks went away, and the total
		// says so (get rejects a page that contradicts it).
		return tasks, nil
	case len(first.Tasks) > 0 && second.Tasks[0].ID == first.Tasks[0].ID:
		next = 2 // offset 1 was the first page again: pages count from 1
	case len(first.Tasks) > 1 && second.Tasks[0].ID == first.Tasks[1].ID:
		countsTasks, next = true, 1+len(second.Tasks)
	default:
		next = 2 // offset 1 was the second page: pages count from 0
	}
	if _, err := add(second); err != nil {
		return tasks, err
	}

	var failed error // the pages that failed; the listing goes on past a few
	for failures := 0; len(seen) < total && next <= maxOffset; {
		page, err := get(next)
		step := len(page.Tasks)
		if err != nil {
			failed, failures = errors.Join(failed, err), failures+1
			if ctx.Err() != nil || errors.Is(err, errContradiction) || failures >= maxFailedPages {
				return tasks, failed
			}
			// Only this page's tasks are missing: the reading of offset
			// is known, so the next page's offset is too.
			step = codearts.MaxTaskListLimit
		} else if added, err := add(page); err != nil || added == 0 {
			return tasks, errors.Join(failed, err)
		}
		if !countsTasks {
			step = 1
		}
		next += step
	}
	return tasks, failed
}
