package collector

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	dto "github.com/prometheus/client_model/go"

	"github.com/codearts-check-exporter/codearts_check_exporter/config"
)

// The series of a collection are built here directly as metric families,
// not through prometheus.MustNewConstMetric and a registry. With 10,000
// tasks a collection is 60,000 series, and the registry path made each of
// them several times over: label pairs built and validated per series,
// copied into a fresh dto.Metric, hashed to check it against every other,
// then sorted by label values. Profiling showed that as a fifth of a
// scrape's CPU time and half its allocations (BENCHMARKS.md). Here:
//
//   - the series of one task share one task_id label pair;
//   - each series is one allocation (metric, gauge and value together);
//   - tasks are visited sorted by ID, so series come out in the order the
//     registry would have sorted them into, and a repeated ID is seen
//     where a registry would have rejected the duplicate series.
//
// The families are read-only once built: every scrape sharing the
// collection serves the same ones (share.go).

// metricFamily names a gauge family the collector exports.
type metricFamily struct {
	name, help string
}

var gaugeType = dto.MetricType_GAUGE

// gaugeSeries is one series and everything it points to, allocated
// together.
type gaugeSeries struct {
	metric dto.Metric
	gauge  dto.Gauge
	value  float64
}

// familyBuilder collects the series of one family.
type familyBuilder struct {
	mf dto.MetricFamily
}

func newFamilyBuilder(f *metricFamily, capacity int) *familyBuilder {
	b := &familyBuilder{}
	b.mf.Name, b.mf.Help, b.mf.Type = &f.name, &f.help, &gaugeType
	b.mf.Metric = make([]*dto.Metric, 0, capacity)
	return b
}

// add appends a series with labels (sorted by name; shared, never
// modified) and value.
func (b *familyBuilder) add(labels []*dto.LabelPair, value float64) {
	s := &gaugeSeries{value: value}
	s.gauge.Value = &s.value
	s.metric.Label = labels
	s.metric.Gauge = &s.gauge
	b.mf.Metric = append(b.mf.Metric, &s.metric)
}

// appendTo appends the family to families unless it has no series: the
// text format has no way to write an empty family.
func (b *familyBuilder) appendTo(families []*dto.MetricFamily) []*dto.MetricFamily {
	if len(b.mf.Metric) == 0 {
		return families
	}
	return append(families, &b.mf)
}

// gaugeFamily is a family of one series without labels.
func gaugeFamily(f *metricFamily, value float64) *dto.MetricFamily {
	b := newFamilyBuilder(f, 1)
	b.add(nil, value)
	return &b.mf
}

// Label names, as pointers to share: a dto.LabelPair points to its name.
var (
	taskIDLabel    = "task_id"
	taskNameLabel  = "task_name"
	projectIDLabel = "project_id"
	gitBranchLabel = "git_branch"
)

// labelPair returns a label pair for name and value. Values come from the
// configuration and from API answers, which are valid UTF-8 as parsed;
// anything else would make the exposition unreadable, so it is repaired
// here rather than trusted.
func labelPair(name *string, value string) *dto.LabelPair {
	if !utf8.ValidString(value) {
		value = strings.ToValidUTF8(value, string(utf8.RuneError))
	}
	return &dto.LabelPair{Name: name, Value: &value}
}

// taskFamilies builds the task series of one collection.
type taskFamilies struct {
	info, success, duration, status, ratio, lastSuccess *familyBuilder

	lastID string // the task added last: tasks come sorted by ID
	err    error  // a task ID seen twice
}

func newTaskFamilies(tasks int) *taskFamilies {
	return &taskFamilies{
		info:        newFamilyBuilder(&taskInfoFamily, tasks),
		success:     newFamilyBuilder(&querySuccessFamily, tasks),
		duration:    newFamilyBuilder(&queryDurationFamily, tasks),
		status:      newFamilyBuilder(&taskStatusFamily, tasks),
		ratio:       newFamilyBuilder(&taskRatioFamily, tasks),
		lastSuccess: newFamilyBuilder(&lastSuccessFamily, tasks),
	}
}

// add adds the series of one task. Tasks must come sorted by ID.
func (f *taskFamilies) add(task config.Task, r result, state taskState, known bool) {
	if len(f.info.mf.Metric) > 0 && task.ID == f.lastID {
		// A registry would have refused the second set of series too.
		f.err = fmt.Errorf("task %s is listed more than once; only its first entry is exported", task.ID)
		return
	}
	f.lastID = task.ID
	// One-element slice of the task's own label pair, shared by its
	// series. Its capacity is one, so nothing can append into a neighbour.
	id := []*dto.LabelPair{labelPair(&taskIDLabel, task.ID)}
	// Sorted by label name, as the text format and promlint expect.
	f.info.add([]*dto.LabelPair{
		labelPair(&gitBranchLabel, task.GitBranch),
		labelPair(&projectIDLabel, task.ProjectID),
		id[0],
		labelPair(&taskNameLabel, task.Name),
	}, 1)
	f.success.add(id, boolValue(r.err == nil))
	f.duration.add(id, r.duration.Seconds())
	if !known {
		return
	}
	f.status.add(id, float64(state.progress.Status))
	if state.progress.HasRatio {
		f.ratio.add(id, state.progress.Ratio)
	}
	f.lastSuccess.add(id, float64(state.at.UnixNano())/1e9)
}

// families returns the non-empty families, sorted by name like a
// registry's, and the error of a repeated task ID, if any.
func (f *taskFamilies) families() ([]*dto.MetricFamily, error) {
	var all []*dto.MetricFamily
	for _, b := range []*familyBuilder{f.info, f.success, f.duration, f.status, f.ratio, f.lastSuccess} {
		all = b.appendTo(all)
	}
	sortFamilies(all)
	return all, f.err
}

func sortFamilies(families []*dto.MetricFamily) {
	slices.SortFunc(families, func(a, b *dto.MetricFamily) int { return strings.Compare(a.GetName(), b.GetName()) })
}
