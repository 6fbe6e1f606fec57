package collector

import (
	"fmt"
	"strings"
	"unicode/utf8"

	dto "github.com/prometheus/client_model/go"

	"github.com/codearts-check-exporter/codearts_check_exporter/config"
)

// A collection keeps its results as a snapshot: one small row of values per
// task. Metric families are built from it only while a scrape is answered,
// one family at a time, each encoded and dropped before the next is built
// (expose.go). With 10,000 tasks a collection is 60,000 series: as built
// families they took ~14 MiB for as long as the collection was served,
// which set the exporter's peak memory; as rows they take ~1 MiB, and a
// scrape holds one family at a time (BENCHMARKS.md).
//
// Families are built directly, not through prometheus.MustNewConstMetric and
// a registry, which made each series several times over: label pairs built
// and validated per series, copied into a fresh dto.Metric, hashed to check
// it against every other, then sorted by label values. Here the series of a
// family are allocated together, label values point into the rows, the
// series of one task share one task_id label pair, and rows are sorted by
// task ID when the collection ends, so series come out in the order a
// registry would have sorted them into.

// metricFamily names a gauge family the collector exports.
type metricFamily struct {
	name, help string
}

var gaugeType = dto.MetricType_GAUGE

// Label names, as pointers to share: a dto.LabelPair points to its name.
var (
	taskIDLabel    = "task_id"
	taskNameLabel  = "task_name"
	projectIDLabel = "project_id"
	gitBranchLabel = "git_branch"
)

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
}

// snapshot is the result of one collection. It is read-only once the
// collection ends: every scrape that shares the collection serves it
// (share.go).
type snapshot struct {
	rows     []taskRow // sorted by task ID, each ID once
	up       bool
	duration float64 // seconds the collection took
	err      error   // a task listed twice; logged by every scrape served
	// noCollection marks what a scrape serves when it had no collection
	// at all: up 0 and nothing else.
	noCollection bool
}

// upOnly is what a scrape serves when it has no collection at all.
func upOnly() *snapshot { return &snapshot{noCollection: true} }

// add appends the row of a task. Tasks must come sorted by ID. Of a task
// listed twice the first entry is kept: a registry would have refused the
// second set of series too.
func (s *snapshot) add(row taskRow) {
	if n := len(s.rows); n > 0 && s.rows[n-1].task.ID == row.task.ID {
		s.err = fmt.Errorf("task %s is listed more than once; only its first entry is exported", row.task.ID)
		return
	}
	// Label values come from the configuration and from API answers,
	// which are valid UTF-8 as parsed; anything else would make the
	// exposition unreadable, so it is repaired here rather than trusted.
	for _, v := range []*string{&row.task.ID, &row.task.Name, &row.task.ProjectID, &row.task.GitBranch} {
		if !utf8.ValidString(*v) {
			*v = strings.ToValidUTF8(*v, string(utf8.RuneError))
		}
	}
	s.rows = append(s.rows, row)
}

// lazyFamily is a family to serve, built only when it is encoded.
type lazyFamily struct {
	name  string
	build func() *dto.MetricFamily // nil: no series
}

// families returns the families of the snapshot for one scrape, in no
// particular order. The task families built from them share one task_id
// label pair per task.
func (s *snapshot) families() []lazyFamily {
	up := single(&upFamily, boolValue(s.up))
	if s.noCollection {
		return []lazyFamily{up}
	}
	ids := &taskIDs{rows: s.rows}
	gauge := func(f *metricFamily, value func(*taskRow) (float64, bool)) lazyFamily {
		return lazyFamily{f.name, func() *dto.MetricFamily { return s.gauge(f, ids, value) }}
	}
	return []lazyFamily{
		up,
		single(&scrapeDurationFamily, s.duration),
		{taskInfoFamily.name, func() *dto.MetricFamily { return s.info(ids) }},
		gauge(&querySuccessFamily, func(r *taskRow) (float64, bool) { return boolValue(r.success), true }),
		gauge(&queryDurationFamily, func(r *taskRow) (float64, bool) { return r.duration, true }),
		gauge(&taskStatusFamily, func(r *taskRow) (float64, bool) { return r.status, r.known }),
		gauge(&taskRatioFamily, func(r *taskRow) (float64, bool) { return r.ratio, r.known && r.hasRatio }),
		gauge(&lastSuccessFamily, func(r *taskRow) (float64, bool) { return r.lastSuccess, r.known }),
	}
}

// gauge builds the family of f with a series for every row that value
// says has one.
func (s *snapshot) gauge(f *metricFamily, ids *taskIDs, value func(*taskRow) (float64, bool)) *dto.MetricFamily {
	b := newFamilyBuilder(f, len(s.rows))
	for i := range s.rows {
		if v, ok := value(&s.rows[i]); ok {
			b.add(ids.of(i), v)
		}
	}
	return b.family()
}

// info builds codearts_check_task_info: 1 for every task, with its labels.
func (s *snapshot) info(ids *taskIDs) *dto.MetricFamily {
	const perTask = 4
	b := newFamilyBuilder(&taskInfoFamily, len(s.rows))
	pairs := make([]dto.LabelPair, 3*len(s.rows))
	labels := make([]*dto.LabelPair, perTask*len(s.rows))
	for i := range s.rows {
		task := &s.rows[i].task
		p := pairs[3*i : 3*i+3]
		p[0].Name, p[0].Value = &gitBranchLabel, &task.GitBranch
		p[1].Name, p[1].Value = &projectIDLabel, &task.ProjectID
		p[2].Name, p[2].Value = &taskNameLabel, &task.Name
		l := labels[perTask*i : perTask*(i+1) : perTask*(i+1)]
		// Sorted by label name, as the text format and promlint expect.
		l[0], l[1], l[2], l[3] = &p[0], &p[1], ids.of(i)[0], &p[2]
		b.add(l, 1)
	}
	return b.family()
}

// taskIDs holds the task_id label pairs of the rows, built the first time
// a family needs them and shared by the families of one scrape.
type taskIDs struct {
	rows   []taskRow
	labels []*dto.LabelPair
}

// of returns the labels of row i: its task_id pair alone. The slice's
// capacity is one, so nothing can append into a neighbour.
func (t *taskIDs) of(i int) []*dto.LabelPair {
	if t.labels == nil {
		pairs := make([]dto.LabelPair, len(t.rows))
		t.labels = make([]*dto.LabelPair, len(t.rows))
		for j := range t.rows {
			pairs[j].Name, pairs[j].Value = &taskIDLabel, &t.rows[j].task.ID
			t.labels[j] = &pairs[j]
		}
	}
	return t.labels[i : i+1 : i+1]
}

// single is a family of one series without labels.
func single(f *metricFamily, value float64) lazyFamily {
	return lazyFamily{f.name, func() *dto.MetricFamily {
		b := newFamilyBuilder(f, 1)
		b.add(nil, value)
		return b.family()
	}}
}

// gaugeSeries is one series and everything it points to.
type gaugeSeries struct {
	metric dto.Metric
	gauge  dto.Gauge
	value  float64
}

// familyBuilder builds one gauge family; its series are allocated
// together, up front.
type familyBuilder struct {
	mf     dto.MetricFamily
	series []gaugeSeries
}

func newFamilyBuilder(f *metricFamily, capacity int) *familyBuilder {
	b := &familyBuilder{series: make([]gaugeSeries, capacity)}
	b.mf.Name, b.mf.Help, b.mf.Type = &f.name, &f.help, &gaugeType
	b.mf.Metric = make([]*dto.Metric, 0, capacity)
	return b
}

// add appends a series with labels (sorted by name; shared, never
// modified) and value.
func (b *familyBuilder) add(labels []*dto.LabelPair, value float64) {
	s := &b.series[len(b.mf.Metric)]
	s.value = value
	s.gauge.Value = &s.value
	s.metric.Label = labels
	s.metric.Gauge = &s.gauge
	b.mf.Metric = append(b.mf.Metric, &s.metric)
}

// family returns the family, or nil if it has no series: the text format
// has no way to write an empty family.
func (b *familyBuilder) family() *dto.MetricFamily {
	if len(b.mf.Metric) == 0 {
		return nil
	}
	return &b.mf
}
