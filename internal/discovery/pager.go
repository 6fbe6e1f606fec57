package discovery

import (
	"context"

	"github.com/codearts-check-exporter/codearts_check_exporter/internal/codearts"
)

// maxOffset is the largest offset the task list accepts.
const maxOffset = 999999

// fetchFunc gets the task list page at offset, MaxTaskListLimit tasks long.
type fetchFunc func(ctx context.Context, offset int) (codearts.TaskPage, error)

// listAll returns every task of a project, without duplicates, in the
// order the API lists them.
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
// answer's total have been seen, on an empty page, or on a page that adds
// no new task (a server that ignores offset would otherwise be listed
// forever).
func listAll(ctx context.Context, fetch fetchFunc) ([]codearts.ListedTask, error) {
	var (
		tasks []codearts.ListedTask
		seen  = map[string]bool{}
		total int
	)
	add := func(page codearts.TaskPage) (added int) {
		total = page.Total
		for _, t := range page.Tasks {
			if !seen[t.ID] {
				seen[t.ID] = true
				tasks = append(tasks, t)
				added++
			}
		}
		return added
	}
	complete := func() bool { return len(seen) >= total }

	first, err := fetch(ctx, 0)
	if err != nil {
		return nil, err
	}
	add(first)
	if complete() {
		return tasks, nil
	}
	second, err := fetch(ctx, 1)
	if err != nil {
		return nil, err
	}
	var (
		next        int
		countsTasks bool // offset counts tasks rather than pages
	)
	switch {
	case len(second.Tasks) == 0:
		// Nothing more can be reached; total was wrong, or tasks went away.
		add(second)
		return tasks, nil
	case len(first.Tasks) > 0 && second.Tasks[0].ID == first.Tasks[0].ID:
		next = 2 // offset 1 was the first page again: pages count from 1
	case len(first.Tasks) > 1 && second.Tasks[0].ID == first.Tasks[1].ID:
		countsTasks, next = true, 1+len(second.Tasks)
	default:
		next = 2 // offset 1 was the second page: pages count from 0
	}
	add(second)

	for !complete() && next <= maxOffset {
		page, err := fetch(ctx, next)
		if err != nil {
			return nil, err
		}
		if add(page) == 0 {
			break
		}
		if countsTasks {
			next += len(page.Tasks)
		} else {
			next++
		}
	}
	return tasks, nil
}
