package collector

import (
	"cmp"
	"slices"
	"strings"

	"github.com/codearts-check-exporter/codearts_check_exporter/internal/exposition"
)

// familySeries writes the series of each family of a snapshot, in the
// order a registry sorts them (by label values, in the order of the label
// names), straight from the rows: nothing of a scrape's answer is built
// before it is written (BENCHMARKS.md, "Issue 24, item 9: the direct
// exposition"). series_test.go holds the answer to expfmt's and a
// registry's.
var familySeries = [numFamilies]func(s *snapshot, w *exposition.Writer){
	famUp: func(s *snapshot, w *exposition.Writer) { w.Series(boolValue(s.up)) },
	famScrapeDuration: func(s *snapshot, w *exposition.Writer) {
		if !s.noCollection {
			w.Series(s.duration)
		}
	},
	famCollectionTasks: func(s *snapshot, w *exposition.Writer) {
		if !s.noCollection {
			w.Series(float64(s.byListing), "listing")
			w.Series(float64(s.byProgress), "progress")
		}
	},
	famTaskInfo: func(s *snapshot, w *exposition.Writer) {
		for _, i := range infoOrder(s) {
			t := &s.rows[i].task
			w.Series(1, t.GitBranch, t.ProjectID, t.ID, t.Name)
		}
	},
	famLastError: func(s *snapshot, w *exposition.Writer) {
		for _, i := range failedOrder(s) {
			w.Series(1, s.rows[i].errorCode, s.rows[i].task.ID)
		}
	},
	famQuerySuccess:  perTask(func(r *taskRow) (float64, bool) { return boolValue(r.success), true }),
	famQueryDuration: perTask(func(r *taskRow) (float64, bool) { return r.duration, true }),
	famTaskStatus:    perTask(func(r *taskRow) (float64, bool) { return r.status, r.known }),
	famTaskRatio:     perTask(func(r *taskRow) (float64, bool) { return r.ratio, r.known && r.hasRatio }),
	famLastSuccess:   perTask(func(r *taskRow) (float64, bool) { return r.lastSuccess, r.known }),
	famDefects: perLevel(severities[:], func(r *reportValues, i int) (float64, bool) {
		return r.severity[i], r.has&(hasSeverity0<<i) != 0
	}),
	famDefectsByStatus: perLevel(defectStatuses[:], func(r *reportValues, i int) (float64, bool) {
		return r.status[i], r.has&(hasStatus0<<i) != 0
	}),
	famCheckStart:     perReport(hasCheckStart, func(r *reportValues) float64 { return r.checkStart }),
	famCheckEnd:       perReport(hasCheckEnd, func(r *reportValues) float64 { return r.checkEnd }),
	famCodeLines:      perReport(hasCodeLines, func(r *reportValues) float64 { return r.codeLines }),
	famDuplication:    perReport(hasDuplication, func(r *reportValues) float64 { return r.duplication }),
	famComment:        perReport(hasComment, func(r *reportValues) float64 { return r.comment }),
	famQualityGate:    perReport(hasGate, func(r *reportValues) float64 { return r.gate }),
	famQualitySuccess: perReport(0, func(r *reportValues) float64 { return unixSeconds(r.at) }),
	famChecks:         perResult,
	famLastCheckDuration: perTask(func(r *taskRow) (float64, bool) {
		return r.checks.last, r.checks.hasLast
	}),
}

// perResult is codearts_check_task_checks_total: a series per result for
// every task whose baseline is taken, zeros too, so that a task's first
// check of a result shows in increase() and rate().
func perResult(s *snapshot, w *exposition.Writer) {
	for r := range resultNames {
		for i := range s.rows {
			if c := &s.rows[i].checks; c.known {
				w.Series(c.counts[r], resultNames[r], s.rows[i].task.ID)
			}
		}
	}
}

// perTask is a family with at most one series per task, labelled task_id.
func perTask(value func(r *taskRow) (float64, bool)) func(*snapshot, *exposition.Writer) {
	return func(s *snapshot, w *exposition.Writer) {
		for i := range s.rows {
			if v, ok := value(&s.rows[i]); ok {
				w.Series(v, s.rows[i].task.ID)
			}
		}
	}
}

// perReport is a family with a series per task whose report has the value
// of bit (0: always).
func perReport(bit uint16, value func(r *reportValues) float64) func(*snapshot, *exposition.Writer) {
	return perTask(func(r *taskRow) (float64, bool) {
		if r.report == nil || r.report.has&bit != bit {
			return 0, false
		}
		return value(r.report), true
	})
}

// perLevel is a family labelled by level (severity or status) and task_id,
// level by level in the order of the levels' names.
func perLevel(levels []string, value func(r *reportValues, i int) (float64, bool)) func(*snapshot, *exposition.Writer) {
	order := make([]int, len(levels))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return strings.Compare(levels[a], levels[b]) })
	return func(s *snapshot, w *exposition.Writer) {
		for _, lv := range order {
			for i := range s.rows {
				if r := s.rows[i].report; r != nil {
					if v, ok := value(r, lv); ok {
						w.Series(v, levels[lv], s.rows[i].task.ID)
					}
				}
			}
		}
	}
}

// failedOrder returns the indexes of s's failed rows in the order of their
// labels: error_code, then task_id, the rows' order.
func failedOrder(s *snapshot) []int {
	var order []int
	for i := range s.rows {
		if s.rows[i].errorCode != "" {
			order = append(order, i)
		}
	}
	slices.SortStableFunc(order, func(a, b int) int { return strings.Compare(s.rows[a].errorCode, s.rows[b].errorCode) })
	return order
}

// infoOrder returns the indexes of s's rows in the order of their
// task_info labels: git_branch, project_id, then task_id, which is
// unique. Without discovery the first two are empty and this is the rows'
// order.
func infoOrder(s *snapshot) []int {
	order := make([]int, len(s.rows))
	for i := range order {
		order[i] = i
	}
	byInfo := func(a, b int) int {
		x, y := &s.rows[a].task, &s.rows[b].task
		return cmp.Or(strings.Compare(x.GitBranch, y.GitBranch), strings.Compare(x.ProjectID, y.ProjectID),
			strings.Compare(x.ID, y.ID))
	}
	if !slices.IsSortedFunc(order, byInfo) {
		slices.SortFunc(order, byInfo)
	}
	return order
}
