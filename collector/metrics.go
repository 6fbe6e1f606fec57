package collector

import (
	"cmp"
	"slices"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/codearts-check-exporter/codearts_check_exporter/internal/codearts"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/exposition"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/namespace"
)

// families are those of a collection, in any order: the exporter's
// interface, which testdata/demo-metrics.golden holds as served. Labels are
// sorted by name, series in the order a registry sorts them
// (metrics_expfmt_test.go holds them to it).
var families = func() []exposition.Family[*snapshot] {
	id := []string{"task_id"}
	f := []exposition.Family[*snapshot]{
		{Name: "up", Help: upHelp, Series: func(s *snapshot, w *exposition.Writer) { w.Series(boolValue(s.up)) }},
		{Name: "scrape_duration_seconds", Help: scrapeDurationHelp, Series: func(s *snapshot, w *exposition.Writer) {
			if !s.noCollection {
				w.Series(s.duration)
			}
		}},
		{Name: "collection_tasks", Help: collectionTasksHelp, Labels: []string{"answered_by"},
			Series: func(s *snapshot, w *exposition.Writer) {
				if !s.noCollection {
					w.Series(float64(s.byListing), "listing")
					w.Series(float64(s.byProgress), "progress")
				}
			}},
		{Name: "task_info", Help: taskInfoHelp, Labels: []string{"git_branch", "project_id", "task_id", "task_name"},
			Series: func(s *snapshot, w *exposition.Writer) {
				for _, i := range rowsBy(s, func(x, y *taskRow) int {
					return cmp.Or(strings.Compare(x.task.GitBranch, y.task.GitBranch),
						strings.Compare(x.task.ProjectID, y.task.ProjectID))
				}) {
					t := &s.rows[i].task
					w.Series(1, t.GitBranch, t.ProjectID, t.ID, t.Name)
				}
			}},
		{Name: "task_last_error_info", Help: lastErrorHelp, Labels: []string{"error_code", "task_id"},
			Series: func(s *snapshot, w *exposition.Writer) {
				for _, i := range rowsBy(s, func(x, y *taskRow) int { return strings.Compare(x.errorCode, y.errorCode) }) {
					if s.rows[i].errorCode != "" {
						w.Series(1, s.rows[i].errorCode, s.rows[i].task.ID)
					}
				}
			}},
		{Name: "task_query_success", Help: querySuccessHelp, Labels: id,
			Series: perTask(func(r *taskRow) (float64, bool) { return boolValue(r.errorCode == ""), true })},
		{Name: "task_query_duration_seconds", Help: queryDurationHelp, Labels: id,
			Series: perTask(func(r *taskRow) (float64, bool) { return r.duration, true })},
		{Name: "task_status", Help: taskStatusHelp, Labels: id,
			Series: perTask(func(r *taskRow) (float64, bool) { return float64(r.status), r.known })},
		{Name: "task_progress_ratio", Help: taskRatioHelp, Labels: id,
			Series: perTask(func(r *taskRow) (float64, bool) { return r.ratio, r.known && r.hasRatio })},
		{Name: "task_last_success_timestamp_seconds", Help: lastSuccessHelp, Labels: id,
			Series: perTask(func(r *taskRow) (float64, bool) { return unixSeconds(r.at), r.known })},
		{Name: "task_defects", Help: defectsHelp, Labels: []string{"severity", "task_id"},
			Series: perLevel(codearts.Severities[:], func(r *reportValues, i int) (float64, bool) {
				return r.severity[i], r.has&(hasSeverity0<<i) != 0
			})},
		{Name: "task_defects_by_status", Help: defectsByStatusHelp, Labels: []string{"status", "task_id"},
			Series: perLevel(codearts.DefectStatuses[:], func(r *reportValues, i int) (float64, bool) {
				return r.status[i], r.has&(hasStatus0<<i) != 0
			})},
		{Name: "task_last_check_start_timestamp_seconds", Help: checkStartHelp, Labels: id,
			Series: perReport(hasCheckStart, func(r *reportValues) float64 { return r.checkStart })},
		{Name: "task_last_check_end_timestamp_seconds", Help: checkEndHelp, Labels: id,
			Series: perReport(hasCheckEnd, func(r *reportValues) float64 { return r.checkEnd })},
		{Name: "task_code_lines", Help: codeLinesHelp, Labels: id,
			Series: perReport(hasCodeLines, func(r *reportValues) float64 { return r.codeLines })},
		{Name: "task_duplication_ratio", Help: duplicationHelp, Labels: id,
			Series: perReport(hasDuplication, func(r *reportValues) float64 { return r.duplication })},
		{Name: "task_comment_ratio", Help: commentHelp, Labels: id,
			Series: perReport(hasComment, func(r *reportValues) float64 { return r.comment })},
		{Name: "task_quality_gate_passed", Help: qualityGateHelp, Labels: id,
			Series: perReport(hasGate, func(r *reportValues) float64 { return r.gate })},
		{Name: "task_quality_last_success_timestamp_seconds", Help: qualitySuccessHelp, Labels: id,
			Series: perReport(0, func(r *reportValues) float64 { return unixSeconds(r.at) })},
		{Name: "task_checks_total", Help: checksHelp, Labels: []string{"result", "task_id"},
			Series: func(s *snapshot, w *exposition.Writer) {
				for r := range resultNames {
					for i := range s.rows {
						if s.rows[i].known {
							w.Series(s.rows[i].checks.counts[r], resultNames[r], s.rows[i].task.ID)
						}
					}
				}
			}},
		{Name: "task_last_check_duration_seconds", Help: lastCheckDurationHelp, Labels: id,
			Series: perTask(func(r *taskRow) (float64, bool) { return r.checks.last, r.checks.hasLast })},
	}
	for i := range f {
		f[i].Name = prometheus.BuildFQName(namespace.Name, "", f[i].Name)
	}
	return f
}()

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
	sorted := slices.Sorted(slices.Values(levels))
	return func(s *snapshot, w *exposition.Writer) {
		for _, level := range sorted {
			lv := slices.Index(levels, level)
			for i := range s.rows {
				if r := s.rows[i].report; r != nil {
					if v, ok := value(r, lv); ok {
						w.Series(v, level, s.rows[i].task.ID)
					}
				}
			}
		}
	}
}

// rowsBy returns the indexes of s's rows in the order of by, then of the
// rows (by task ID). Rows already in order cost one pass.
func rowsBy(s *snapshot, by func(x, y *taskRow) int) []int {
	order := make([]int, len(s.rows))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return by(&s.rows[a], &s.rows[b]) })
	return order
}

// Help texts of the metrics, also used by the tests.
const (
	taskStatusHelp     = "Last task_status read from the API: 0 checking, 1 check failed, 2 check succeeded, 3 stopped, -1 never checked (null). Served from the last successful query when this scrape's query failed; see codearts_check_task_query_success and codearts_check_task_last_success_timestamp_seconds."
	taskRatioHelp      = "Last progress.ratio read from the API as 0..1 (\"50%\" is 0.5). Absent while the ratio is null or not a percentage."
	taskInfoHelp       = "Always 1, for every task; join on task_id to label other series with task_name, project_id (the CodeArts project) and git_branch. Labels are empty where unknown: project_id and git_branch are only known for tasks discovery has listed or whose configuration names tasks[].project_id."
	querySuccessHelp   = "1 if the collection this scrape served got a valid answer for the task, else 0. Overlapping scrapes share one collection and, with min_interval, reuse a recent one; codearts_check_task_last_success_timestamp_seconds says how old the served data is."
	queryDurationHelp  = "Time the collection this scrape served spent querying the task, retries included."
	lastErrorHelp      = "1 while the task's last progress query failed, labelled with why: present when the task's query in the collection this scrape served failed after its retries, or was never made (the deadline left it unqueried: timeout); absent once a query or change detection's listing answers the task. At most one series per task. error_code takes the values of codearts_check_api_errors_total's error_code (the API's CC.*, APIGW.*, IAM.* codes, or timeout, network, tls, invalid_response, http_<status>...), and also budget and credentials for a query that was not sent."
	lastSuccessHelp    = "Unix time of the last valid answer for the task; how old the served task_status and progress are."
	upHelp             = "1 if the exporter could authenticate and the API answered at least one task query validly in the collection this scrape served."
	scrapeDurationHelp = "Duration of the collection this scrape served (overlapping scrapes share one; min_interval reuses a recent one)."

	defectsHelp         = "Open defects of the task's latest report, by severity (critical, major, minor, suggestion). Absent for a level the API did not give. Read when a check finishes, not on every scrape; see codearts_check_task_quality_last_success_timestamp_seconds."
	defectsByStatusHelp = "Defects of the task's latest report, by status (unresolved, resolved, dismissed); resolved is fixed + solved when the API gives only those."
	checkStartHelp      = "Unix time the task's latest check started, from its report; absent when the API gives none."
	checkEndHelp        = "Unix time the task's latest check ended, from its report; absent when the API gives none."
	codeLinesHelp       = "Valid lines of code (code_line) of the task's latest report."
	duplicationHelp     = "Duplicated code of the task's latest report as 0..1 (\"3.25%\" is 0.0325); absent unless the API gives a percentage."
	commentHelp         = "Comment lines of the task's latest report as 0..1; absent unless the API gives a percentage."
	qualityGateHelp     = "1 if the task's latest report passed its quality gate, 0 if it failed (is_access: 1, true, pass... / 0, false, fail...); absent when unknown."
	qualitySuccessHelp  = "Unix time the task's report was last read successfully; how old the served report series are."
	collectionTasksHelp = "Tasks the collection this scrape served answered, by how: \"progress\", a progress query; \"listing\", change detection's task list showed no change (codearts_check_task_last_success_timestamp_seconds is then the listing's time)."

	checksHelp            = "Finished checks of the task since the exporter first answered for it, by result: succeeded, failed, stopped (task_status 2, 1, 3, as a progress answer revealed them), or unknown (a check the task's check history lists but whose result no answer showed: another check followed before the exporter saw it end). Each check is counted once. Served once the task has answered; its series go when the task leaves."
	lastCheckDurationHelp = "Duration (end - start) of the task's latest finished check that its check history listed; absent until a history read found one (history.enabled and a known CodeArts project)."
	checkDurationHelp     = "Durations (end - start) of finished checks, all tasks together, read from the tasks' check histories (history.enabled, a known CodeArts project); each check observed once."
)
