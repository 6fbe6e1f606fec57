package discovery

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/codearts-check-exporter/codearts_check_exporter/internal/codearts"
)

// FuzzListAll feeds the pager pages made up from the input, as a broken or
// hostile API could send them: totals that lie, pages that repeat, overlap
// or ignore offset. Whatever they are, listing ends, lists each task once,
// and makes at most three calls more than it found tasks.
func FuzzListAll(f *testing.F) {
	f.Add([]byte{3, 2, 1, 2, 3}, uint8(5))
	f.Add([]byte{0, 0, 0}, uint8(255))
	f.Add([]byte{1, 1, 1, 1}, uint8(0))
	f.Fuzz(func(t *testing.T, data []byte, total uint8) {
		calls := 0
		fetch := func(_ context.Context, offset int) (codearts.TaskPage, error) {
			calls++
			if calls > 10000 {
				return codearts.TaskPage{}, errors.New("runaway listing")
			}
			page := codearts.TaskPage{Total: int(total), Tasks: []codearts.ListedTask{}}
			if len(data) == 0 {
				return page, nil
			}
			// The page at offset: up to data[offset]%8 tasks whose IDs
			// also come from the input, so pages repeat and overlap.
			b := data[offset%len(data)]
			for i := range int(b % 8) {
				id := data[(offset+i)%len(data)] % 16
				page.Tasks = append(page.Tasks, codearts.ListedTask{ID: fmt.Sprint(id)})
			}
			return page, nil
		}
		tasks, err := listAll(context.Background(), fetch)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, task := range tasks {
			if seen[task.ID] {
				t.Fatalf("task %s listed twice", task.ID)
			}
			seen[task.ID] = true
		}
		if calls > len(tasks)+3 {
			t.Fatalf("%d calls for %d tasks", calls, len(tasks))
		}
	})
}

// A listing that fails after its first page is a failure, not a shorter
// list: the caller keeps its last good list instead.
func TestListAllFailingHalfWay(t *testing.T) {
	fetch := func(_ context.Context, offset int) (codearts.TaskPage, error) {
		if offset > 0 {
			return codearts.TaskPage{}, errors.New("page 2 failed")
		}
		return codearts.TaskPage{Total: 150, Tasks: []codearts.ListedTask{{ID: "a"}, {ID: "b"}}}, nil
	}
	tasks, err := listAll(context.Background(), fetch)
	if err == nil || tasks != nil {
		t.Fatalf("listAll = %v, %v; want no tasks and the error", tasks, err)
	}
}
