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
// and makes at most three calls more than it found tasks. A page with no
// tasks under a total that says more are left is an error.
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
		tasks, err := listAll(context.Background(), maxListPages, fetch)
		if err != nil && !errors.Is(err, errContradiction) {
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
// list, with the tasks of the pages before it: discovery keeps its last
// good list instead, a collection reads the progress of the others.
func TestListAllFailingHalfWay(t *testing.T) {
	fetch := func(_ context.Context, offset int) (codearts.TaskPage, error) {
		if offset > 0 {
			return codearts.TaskPage{}, errors.New("page 2 failed")
		}
		return codearts.TaskPage{Total: 150, Tasks: []codearts.ListedTask{{ID: "a"}, {ID: "b"}}}, nil
	}
	tasks, err := listAll(context.Background(), maxListPages, fetch)
	if err == nil || len(tasks) != 2 {
		t.Fatalf("listAll = %v, %v; want the first page's 2 tasks and the error", tasks, err)
	}
}

// A failed page under item offsets costs only its own tasks: the listing
// goes on at the offset after it, neither re-reading nor skipping others.
func TestListAllSkipsAFailedPage(t *testing.T) {
	var calls []int
	fetch := func(_ context.Context, offset int) (codearts.TaskPage, error) {
		calls = append(calls, offset)
		if offset == 101 {
			return codearts.TaskPage{}, errors.New("page 3 failed")
		}
		page := codearts.TaskPage{Total: 250}
		for i := offset; i < min(offset+codearts.MaxTaskListLimit, 250); i++ {
			page.Tasks = append(page.Tasks, codearts.ListedTask{ID: fmt.Sprint(i)})
		}
		return page, nil
	}
	tasks, err := listAll(context.Background(), maxListPages, fetch)
	if err == nil || len(tasks) != 150 || tasks[101].ID != "201" || fmt.Sprint(calls) != "[0 1 101 201 250]" {
		t.Errorf("listAll: %d tasks, calls at %v, %v; want 150 (all but 101-200), calls at [0 1 101 201 250], the error",
			len(tasks), calls, err)
	}
}

// Pages that lie or never end: a page with no tasks under a total that says
// there are some is an error, not an empty project; pages of new IDs stop
// at the page bound.
func TestListAllBounds(t *testing.T) {
	lying := func(_ context.Context, offset int) (codearts.TaskPage, error) {
		return codearts.TaskPage{Total: 5, Tasks: []codearts.ListedTask{}}, nil
	}
	if tasks, err := listAll(context.Background(), maxListPages, lying); !errors.Is(err, errContradiction) || len(tasks) != 0 {
		t.Errorf("lying page: %v, %v; want errContradiction", tasks, err)
	}
	calls := 0
	endless := func(_ context.Context, offset int) (codearts.TaskPage, error) {
		calls++
		page := codearts.TaskPage{Total: 1e9}
		for i := range codearts.MaxTaskListLimit {
			page.Tasks = append(page.Tasks, codearts.ListedTask{ID: fmt.Sprintf("%d-%d", calls, i)})
		}
		return page, nil
	}
	tasks, err := listAll(context.Background(), 7, endless)
	if err == nil || calls != 7 || len(tasks) != 700 {
		t.Errorf("endless pages under a bound of 7: %d calls, %d tasks, %v; want 7, 700 and an error", calls, len(tasks), err)
	}
	calls = 0
	if _, err := listAll(context.Background(), 1000, endless); err == nil || calls > maxListedTasks/codearts.MaxTaskListLimit+1 {
		t.Errorf("endless pages: %d calls, %v; want at most %d and an error", calls, err, maxListedTasks/codearts.MaxTaskListLimit+1)
	}
}
