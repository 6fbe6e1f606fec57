package collector

import (
	"slices"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/codearts-check-exporter/codearts_check_exporter/internal/codearts"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/namespace"
)

// The metrics of a collection: their names, help texts and labels. These
// are the exporter's interface (dashboards and alerts use them); the
// golden file collector/testdata/demo-metrics.golden holds them as served.
// Their series are written from a snapshot by series.go.

// familyID names one metric family of a collection.
type familyID int

const (
	famUp familyID = iota
	famScrapeDuration
	famTaskInfo
	famQuerySuccess
	famQueryDuration
	famTaskStatus
	famTaskRatio
	famLastSuccess
	famDefects
	famDefectsByStatus
	famCheckStart
	famCheckEnd
	famCodeLines
	famDuplication
	famComment
	famQualityGate
	famQualitySuccess
	famCollectionTasks
	famLastError
	famChecks
	famLastCheckDuration
	numFamilies
)

// family is one metric family, a gauge unless counter. labels are sorted
// by name, the order a series' label pairs come in.
type family struct {
	name, help string
	labels     []string
	counter    bool
}

var families = func() [numFamilies]family {
	id := []string{"task_id"}
	f := [numFamilies]family{
		famUp:                {name: "up", help: upHelp},
		famScrapeDuration:    {name: "scrape_duration_seconds", help: scrapeDurationHelp},
		famTaskInfo:          {name: "task_info", help: taskInfoHelp, labels: []string{"git_branch", "project_id", "task_id", "task_name"}},
		famQuerySuccess:      {name: "task_query_success", help: querySuccessHelp, labels: id},
		famQueryDuration:     {name: "task_query_duration_seconds", help: queryDurationHelp, labels: id},
		famTaskStatus:        {name: "task_status", help: taskStatusHelp, labels: id},
		famTaskRatio:         {name: "task_progress_ratio", help: taskRatioHelp, labels: id},
		famLastSuccess:       {name: "task_last_success_timestamp_seconds", help: lastSuccessHelp, labels: id},
		famDefects:           {name: "task_defects", help: defectsHelp, labels: []string{"severity", "task_id"}},
		famDefectsByStatus:   {name: "task_defects_by_status", help: defectsByStatusHelp, labels: []string{"status", "task_id"}},
		famCheckStart:        {name: "task_last_check_start_timestamp_seconds", help: checkStartHelp, labels: id},
		famCheckEnd:          {name: "task_last_check_end_timestamp_seconds", help: checkEndHelp, labels: id},
		famCodeLines:         {name: "task_code_lines", help: codeLinesHelp, labels: id},
		famDuplication:       {name: "task_duplication_ratio", help: duplicationHelp, labels: id},
		famComment:           {name: "task_comment_ratio", help: commentHelp, labels: id},
		famQualityGate:       {name: "task_quality_gate_passed", help: qualityGateHelp, labels: id},
		famQualitySuccess:    {name: "task_quality_last_success_timestamp_seconds", help: qualitySuccessHelp, labels: id},
		famCollectionTasks:   {name: "collection_tasks", help: collectionTasksHelp, labels: []string{"answered_by"}},
		famLastError:         {name: "task_last_error_info", help: lastErrorHelp, labels: []string{"error_code", "task_id"}},
		famChecks:            {name: "task_checks_total", help: checksHelp, labels: []string{"result", "task_id"}, counter: true},
		famLastCheckDuration: {name: "task_last_check_duration_seconds", help: lastCheckDurationHelp, labels: id},
	}
	for i := range f {
		f[i].name = prometheus.BuildFQName(namespace.Name, "", f[i].name)
	}
	return f
}()

// familiesByName is the order of the families in an answer.
var familiesByName = func() []familyID {
	order := make([]familyID, numFamilies)
	for f := range order {
		order[f] = familyID(f)
	}
	slices.SortFunc(order, func(a, b familyID) int { return strings.Compare(families[a].name, families[b].name) })
	return order
}()

// The values of the second label of the defect families.
var (
	severities     = codearts.Severities
	defectStatuses = codearts.DefectStatuses
)

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

	// The report families: served from the task's last good report
	// (reports.go), like progress values, each absent while unknown.
	defectsHelp         = "Open defects of the task's latest report, by severity (critical, major, minor, suggestion). Absent for a level the API did not give. Read when a check finishes, not on every scrape; see codearts_check_task_quality_last_success_timestamp_seconds."
	defectsByStatusHelp = "Defects of the task's latest report, by status (unresolved, resolved, dismissed); resolved is fixed + solved when the API gives only those."
	checkStartHelp      = "Unix time the task's latest check started, from its report; absent when the API gives none."
	checkEndHelp        = "Unix time the task's latest check ended, from its report; absent when the API gives none."
	codeLinesHelp       = "Valid lines of code (code_line) of the task's latest report."
	duplicationHelp     = "Duplicated code of the task's latest report as 0..1 (\"3.25%\" is 0.0325); absent unless the API gives a percentage."
	commentHelp         = "Comment lines of the task's latest report as 0..1; absent unless the API gives a percentage."
	qualityGateHelp     = "1 if the task's latest report passed its quality gate, 0 if it failed (is_access: 1, true, pass... / 0, false, fail...); absent when unknown."
	qualitySuccessHelp  = "Unix time the task's report was last read successfully; how old the served report series are."
)

// collectionTasksHelp is codearts_check_collection_tasks' help (plan.go).
const collectionTasksHelp = "Tasks the collection this scrape served answered, by how: \"progress\", a progress query; \"listing\", change detection's task list showed no change (codearts_check_task_last_success_timestamp_seconds is then the listing's time)."

// The check history's families (history.go).
const (
	checksHelp            = "Finished checks of the task since the exporter first answered for it, by result: succeeded, failed, stopped (task_status 2, 1, 3, as a progress answer revealed them), or unknown (a check the task's check history lists but whose result no answer showed: another check followed before the exporter saw it end). Each check is counted once. Served once the task has answered; its series go when the task leaves."
	lastCheckDurationHelp = "Duration (end - start) of the task's latest finished check that its check history listed; absent until a history read found one (history.enabled and a known CodeArts project)."
	checkDurationHelp     = "Durations (end - start) of finished checks, all tasks together, read from the tasks' check histories (history.enabled, a known CodeArts project); each check observed once."
)
