package collector

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/codearts-check-exporter/codearts_check_exporter/config"
)

// A collection keeps its results as a snapshot: one small row of values per
// task (~1 MiB at 10,000 tasks), not built metrics. Metrics are made from
// the rows only while a scrape is answered (snapshot.Gather for /metrics,
// snapshot.Collect for a registry), so between scrapes the exporter holds
// the rows alone.

// The collector's families, all gauges: the one table both Collect and
// Gather read. The task families have a task_id label; task_info also
// task_name, project_id and git_branch; the report families are in
// qualityseries.go. Label names are sorted, as the registry sorts them, so
// that a series' label pairs come in the order of its family's names.
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
	numFamilies
)

// family is one metric family: its name, help and label names, and the
// description Collect sends its series with.
type family struct {
	name, help string
	labels     []string
	desc       *prometheus.Desc
}

var families = func() [numFamilies]family {
	id := []string{"task_id"}
	f := [numFamilies]family{
		famUp:              {name: "_up", help: upHelp},
		famScrapeDuration:  {name: "_scrape_duration_seconds", help: scrapeDurationHelp},
		famTaskInfo:        {name: "_task_info", help: taskInfoHelp, labels: []string{"git_branch", "project_id", "task_id", "task_name"}},
		famQuerySuccess:    {name: "_task_query_success", help: querySuccessHelp, labels: id},
		famQueryDuration:   {name: "_task_query_duration_seconds", help: queryDurationHelp, labels: id},
		famTaskStatus:      {name: "_task_status", help: taskStatusHelp, labels: id},
		famTaskRatio:       {name: "_task_progress_ratio", help: taskRatioHelp, labels: id},
		famLastSuccess:     {name: "_task_last_success_timestamp_seconds", help: lastSuccessHelp, labels: id},
		famDefects:         {name: "_task_defects", help: defectsHelp, labels: []string{"severity", "task_id"}},
		famDefectsByStatus: {name: "_task_defects_by_status", help: defectsByStatusHelp, labels: []string{"status", "task_id"}},
		famCheckStart:      {name: "_task_last_check_start_timestamp_seconds", help: checkStartHelp, labels: id},
		famCheckEnd:        {name: "_task_last_check_end_timestamp_seconds", help: checkEndHelp, labels: id},
		famCodeLines:       {name: "_task_code_lines", help: codeLinesHelp, labels: id},
		famDuplication:     {name: "_task_duplication_ratio", help: duplicationHelp, labels: id},
		famComment:         {name: "_task_comment_ratio", help: commentHelp, labels: id},
		famQualityGate:     {name: "_task_quality_gate_passed", help: qualityGateHelp, labels: id},
		famQualitySuccess:  {name: "_task_quality_last_success_timestamp_seconds", help: qualitySuccessHelp, labels: id},
		famCollectionTasks: {name: "_collection_tasks", help: collectionTasksHelp, labels: []string{"answered_by"}},
	}
	for i := range f {
		f[i].name = namespace + f[i].name
		f[i].desc = prometheus.NewDesc(f[i].name, f[i].help, f[i].labels, nil)
	}
	return f
}()

// Help texts of the metrics, also used by the tests.
const (
	taskStatusHelp     = "Last task_status read from the API: 0 checking, 1 check failed, 2 check succeeded, 3 stopped, -1 never checked (null). Served from the last successful query when this scrape's query failed; see codearts_check_task_query_success and codearts_check_task_last_success_timestamp_seconds."
	taskRatioHelp      = "Last progress.ratio read from the API as 0..1 (\"50%\" is 0.5). Absent while the ratio is null or not a percentage."
	taskInfoHelp       = "Always 1, for every task; join on task_id to label other series with task_name, project_id (the CodeArts project) and git_branch. Labels are empty where unknown: project_id and git_branch are only known for tasks discovery has listed."
	querySuccessHelp   = "1 if the collection this scrape served got a valid answer for the task, else 0. Overlapping scrapes share one collection and, with min_interval, reuse a recent one; codearts_check_task_last_success_timestamp_seconds says how old the served data is."
	queryDurationHelp  = "Time the collection this scrape served spent querying the task, retries included."
	lastSuccessHelp    = "Unix time of the last valid answer for the task; how old the served task_status and progress are."
	upHelp             = "1 if the exporter could authenticate and the API answered at least one task query validly in the collection this scrape served."
	scrapeDurationHelp = "Duration of the collection this scrape served (overlapping scrapes share one; min_interval reuses a recent one)."
)

// collectionTasksHelp is codearts_check_collection_tasks' help (changes.go).
const collectionTasksHelp = "Tasks the collection this scrape served answered, by how: \"progress\", a progress query; \"listing\", change detection's task list showed no change (codearts_check_task_last_success_timestamp_seconds is then the listing's time)."

// describe sends the descriptions of every metric the collector exports.
func describe(ch chan<- *prometheus.Desc) {
	for i := range families {
		ch <- families[i].desc
	}
}

// taskRow is what a collection keeps of one task.
type taskRow struct {
	task     config.Task // label values: valid UTF-8 (see snapshot.add)
	success  bool        // this collection got a valid answer
	duration float64     // seconds this collection spent querying it
	// known: a valid answer was ever read, by this collection or an
	// earlier one. The values below are from the last one.
	known       bool
	status      float64
	hasRatio    bool
	ratio       float64
	lastSuccess float64 // Unix seconds
	// report is the task's last good report, nil if none (or quality is
	// off); shared with the Collector, never modified.
	report *reportValues
}

// snapshot is the result of one collection. It is read-only once the
// collection ends: every scrape that shares the collection serves it
// (share.go), so several registries may collect it at once.
type snapshot struct {
	rows     []taskRow // sorted by task ID, each ID once
	up       bool
	duration float64 // seconds the collection took
	err      error   // a task listed twice; reported by every scrape served
	// noCollection marks what a scrape serves when it had no collection
	// at all: up 0 and nothing else.
	noCollection bool

	// byProgress and byListing count the tasks answered by a progress
	// query and by change detection's listing.
	byProgress, byListing int
}

// upOnly is what a scrape serves when it has no collection at all.
func upOnly() *snapshot { return &snapshot{noCollection: true} }

// add appends the row of a task. Tasks must come sorted by ID. Of a task
// listed twice the first entry is kept: a registry refuses a second set of
// series with the same labels, and would drop the whole family.
func (s *snapshot) add(row taskRow) {
	if n := len(s.rows); n > 0 && s.rows[n-1].task.ID == row.task.ID {
		s.err = fmt.Errorf("task %s is listed more than once; only its first entry is exported", row.task.ID)
		return
	}
	// Label values come from the configuration and from API answers,
	// which are valid UTF-8 as parsed; anything else would make the
	// registry refuse the series, so it is repaired here rather than trusted.
	for _, v := range []*string{&row.task.ID, &row.task.Name, &row.task.ProjectID, &row.task.GitBranch} {
		if !utf8.ValidString(*v) {
			*v = strings.ToValidUTF8(*v, string(utf8.RuneError))
		}
	}
	s.rows = append(s.rows, row)
}

// Describe implements prometheus.Collector.
func (s *snapshot) Describe(ch chan<- *prometheus.Desc) { describe(ch) }

// Collect implements prometheus.Collector: the series of the snapshot. A
// task listed twice is reported as an error of the collection (the
// registry's gather error, which the /metrics handler logs), next to the
// series of its first entry.
func (s *snapshot) Collect(ch chan<- prometheus.Metric) {
	b := newSeriesBuilder(s, true)
	s.series(b, func(f familyID, v float64, labels []*dto.LabelPair) {
		ch <- b.gauge(families[f].desc, v, labels)
	})
	if s.err != nil {
		ch <- prometheus.NewInvalidMetric(families[famTaskInfo].desc, s.err)
	}
}

// series calls emit for every series of the snapshot, with its labels
// sorted by name; what each row exports is defined here alone, for both
// Collect and Gather. With a nil b, labels are nil: Gather counts first.
func (s *snapshot) series(b *seriesBuilder, emit func(f familyID, v float64, labels []*dto.LabelPair)) {
	emit(famUp, boolValue(s.up), nil)
	if s.noCollection {
		return
	}
	emit(famScrapeDuration, s.duration, nil)
	emit(famCollectionTasks, float64(s.byListing), answeredByListing)
	emit(famCollectionTasks, float64(s.byProgress), answeredByProgress)
	for i := range s.rows {
		r := &s.rows[i]
		id, info := b.labels(&r.task)
		emit(famTaskInfo, 1, info)
		emit(famQuerySuccess, boolValue(r.success), id)
		emit(famQueryDuration, r.duration, id)
		if r.report != nil {
			b.reportSeries(emit, r.report, id)
		}
		if !r.known {
			continue
		}
		emit(famTaskStatus, r.status, id)
		if r.hasRatio {
			emit(famTaskRatio, r.ratio, id)
		}
		emit(famLastSuccess, r.lastSuccess, id)
	}
}

// Every series of a scrape (60,000 at 10,000 tasks, 200,000 with reports)
// is held until the answer is sent: that is the exporter's peak memory. So
// the series are built in a few large allocations rather than several
// small ones per series, and the series of one task share their label
// pairs, whose values point into the snapshot's rows. Collect's are built
// as prometheus.NewConstMetric's are (a value and labels that never
// change): at 10,000 tasks without reports that kept the peak resident set
// of a registry's Gather below 60 MiB, which const metrics built one by
// one exceeded (BENCHMARKS.md).

// Label names, shared by every label pair that names them.
var (
	taskIDLabel    = "task_id"
	taskNameLabel  = "task_name"
	projectIDLabel = "project_id"
	gitBranchLabel = "git_branch"
)

// The answered_by label pairs of codearts_check_collection_tasks.
var (
	answeredByLabel, progressValue, listingValue = "answered_by", "progress", "listing"

	answeredByProgress = []*dto.LabelPair{{Name: &answeredByLabel, Value: &progressValue}}
	answeredByListing  = []*dto.LabelPair{{Name: &answeredByLabel, Value: &listingValue}}
)

// seriesBuilder makes the series of one Collect.
type seriesBuilder struct {
	series    []gaugeSeries    // every series, allocated up front
	pairs     []dto.LabelPair  // four per task
	labelSets []*dto.LabelPair // five per task: task_id alone, then all four
}

// newSeriesBuilder returns a builder for the series of s; for their
// labels alone (Gather) unless gauges.
func newSeriesBuilder(s *snapshot, gauges bool) *seriesBuilder {
	tasks, reports := len(s.rows), 0
	for i := range s.rows {
		if s.rows[i].report != nil {
			reports++
		}
	}
	var series []gaugeSeries
	if gauges {
		series = make([]gaugeSeries, 0, 4+6*tasks+maxQualitySeries*reports)
	}
	return &seriesBuilder{
		series:    series,
		pairs:     make([]dto.LabelPair, 0, 4*tasks),
		labelSets: make([]*dto.LabelPair, 0, 5*tasks+2*maxQualityLabelSets*reports),
	}
}

// labels returns the labels of task's series: task_id alone, and all four
// of task_info, each sorted by name as the registry wants them. Their
// capacity is their length, so nothing can append into a neighbour.
func (b *seriesBuilder) labels(task *config.Task) (id, info []*dto.LabelPair) {
	if b == nil {
		return nil, nil
	}
	n := len(b.pairs)
	b.pairs = b.pairs[:n+4]
	p := b.pairs[n : n+4]
	p[0].Name, p[0].Value = &gitBranchLabel, &task.GitBranch
	p[1].Name, p[1].Value = &projectIDLabel, &task.ProjectID
	p[2].Name, p[2].Value = &taskIDLabel, &task.ID
	p[3].Name, p[3].Value = &taskNameLabel, &task.Name
	m := len(b.labelSets)
	b.labelSets = append(b.labelSets, &p[2], &p[0], &p[1], &p[2], &p[3])
	return b.labelSets[m : m+1 : m+1], b.labelSets[m+1 : m+5 : m+5]
}

// gauge returns a new series of d with value v and labels (nil: none).
func (b *seriesBuilder) gauge(d *prometheus.Desc, v float64, labels []*dto.LabelPair) prometheus.Metric {
	n := len(b.series)
	b.series = b.series[:n+1]
	s := &b.series[n]
	s.desc, s.labels, s.value = d, labels, v
	s.gauge.Value = &s.value
	return s
}

// gaugeSeries is a gauge whose value and labels never change.
type gaugeSeries struct {
	desc   *prometheus.Desc
	labels []*dto.LabelPair // sorted by name; shared, never modified
	gauge  dto.Gauge
	value  float64
}

// Desc implements prometheus.Metric.
func (s *gaugeSeries) Desc() *prometheus.Desc { return s.desc }

// Write implements prometheus.Metric. The registry only reads what it is
// given, so out may point into the series.
func (s *gaugeSeries) Write(out *dto.Metric) error {
	out.Label, out.Gauge = s.labels, &s.gauge
	return nil
}
