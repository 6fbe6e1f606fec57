package collector

import (
	"cmp"
	"slices"
	"strings"

	dto "github.com/prometheus/client_model/go"
)

// Gather implements prometheus.Gatherer: the families of the snapshot,
// built directly from its rows, as a registry would gather them (names in
// order, series in the order of their label values; gather_test.go holds
// the two equal), without a registry's per-series Write, hash, duplicate
// check and sort. Every series of a scrape is held until the answer is
// written, which makes it the exporter's peak memory, so the series of a
// scrape are allocated together, their label pairs are shared between the
// families of a task, and each family is built in its final order rather
// than sorted. BENCHMARKS.md, "The /metrics answer", has what each of
// these saves.
func (s *snapshot) Gather() ([]*dto.MetricFamily, error) {
	var counts [numFamilies]int
	total, counters := 0, 0
	for f := range familySeries {
		familySeries[f](s, nil, func(float64, []*dto.LabelPair) { counts[f]++ })
		total += counts[f]
		if families[f].counter {
			counters += counts[f]
		}
	}
	all := newSeries(total, counters)
	mfs := make([]dto.MetricFamily, 0, numFamilies)
	gaugeType, counterType := dto.MetricType_GAUGE, dto.MetricType_COUNTER
	l := newLabeler(s)
	k := 0
	for _, f := range familiesByName {
		if counts[f] == 0 {
			continue // a registry leaves out a family without series too
		}
		first := k
		typ := &gaugeType
		if families[f].counter {
			typ = &counterType
		}
		k = all.fill(s, l, f, k)
		mfs = append(mfs, dto.MetricFamily{Name: &families[f].name, Help: &families[f].help, Type: typ,
			Metric: all.ptrs[first:k:k]})
	}
	out := make([]*dto.MetricFamily, len(mfs))
	for i := range mfs {
		out[i] = &mfs[i]
	}
	return out, nil
}

// series are the gauges and counters of a scrape, allocated together.
type series struct {
	metrics  []dto.Metric
	gauges   []dto.Gauge
	counters []dto.Counter
	values   []float64
	ptrs     []*dto.Metric
	g, c     int // the next gauge and counter
}

// newSeries makes room for n series, counters of them counters.
func newSeries(n, counters int) *series {
	return &series{metrics: make([]dto.Metric, n), gauges: make([]dto.Gauge, n-counters),
		counters: make([]dto.Counter, counters), values: make([]float64, n), ptrs: make([]*dto.Metric, n)}
}

// fill builds the series of family f of s from index k on, and returns
// the index after them.
func (a *series) fill(s *snapshot, l *labeler, f familyID, k int) int {
	counter := families[f].counter
	familySeries[f](s, l, func(v float64, labels []*dto.LabelPair) {
		a.values[k] = v
		a.metrics[k].Label = labels
		if counter {
			a.counters[a.c].Value = &a.values[k]
			a.metrics[k].Counter = &a.counters[a.c]
			a.c++
		} else {
			a.gauges[a.g].Value = &a.values[k]
			a.metrics[k].Gauge = &a.gauges[a.g]
			a.g++
		}
		a.ptrs[k] = &a.metrics[k]
		k++
	})
	return k
}

// The answered_by label pairs of codearts_check_collection_tasks.
var (
	answeredByLabel, progressValue, listingValue = "answered_by", "progress", "listing"

	answeredByProgress = []*dto.LabelPair{{Name: &answeredByLabel, Value: &progressValue}}
	answeredByListing  = []*dto.LabelPair{{Name: &answeredByLabel, Value: &listingValue}}
)

// emitFunc receives one series: its value and its label pairs, sorted by
// name (nil while Gather only counts).
type emitFunc func(v float64, labels []*dto.LabelPair)

// familySeries calls emit for every series of a family in s, in the order
// of their label values. With a nil labeler, labels are nil.
var familySeries = [numFamilies]func(s *snapshot, l *labeler, emit emitFunc){
	famUp: func(s *snapshot, _ *labeler, emit emitFunc) { emit(boolValue(s.up), nil) },
	famScrapeDuration: func(s *snapshot, _ *labeler, emit emitFunc) {
		if !s.noCollection {
			emit(s.duration, nil)
		}
	},
	famCollectionTasks: func(s *snapshot, _ *labeler, emit emitFunc) {
		if !s.noCollection {
			// In the order of the label values: listing, progress.
			emit(float64(s.byListing), answeredByListing)
			emit(float64(s.byProgress), answeredByProgress)
		}
	},
	famTaskInfo: func(s *snapshot, l *labeler, emit emitFunc) {
		if l == nil {
			for range s.rows {
				emit(1, nil)
			}
			return
		}
		for _, i := range l.infoOrder(s) {
			emit(1, l.info(i))
		}
	},
	famLastError: func(s *snapshot, l *labeler, emit emitFunc) {
		if l == nil {
			for i := range s.rows {
				if s.rows[i].errorCode != "" {
					emit(1, nil)
				}
			}
			return
		}
		for _, i := range l.failedOrder(s) {
			emit(1, l.lastError(s, i))
		}
	},
	famQuerySuccess:  perTask(func(r *taskRow) (float64, bool) { return boolValue(r.success), true }),
	famQueryDuration: perTask(func(r *taskRow) (float64, bool) { return r.duration, true }),
	famTaskStatus:    perTask(func(r *taskRow) (float64, bool) { return r.status, r.known }),
	famTaskRatio:     perTask(func(r *taskRow) (float64, bool) { return r.ratio, r.known && r.hasRatio }),
	famLastSuccess:   perTask(func(r *taskRow) (float64, bool) { return r.lastSuccess, r.known }),
	famDefects: perLevel(severities[:], severityLabel, func(r *reportValues, i int) (float64, bool) {
		return r.severity[i], r.has&(hasSeverity0<<i) != 0
	}),
	famDefectsByStatus: perLevel(defectStatuses[:], statusLabel, func(r *reportValues, i int) (float64, bool) {
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

// resultPairs are the result label pairs of codearts_check_task_checks_total,
// in the order of their values (history.go's result order).
var resultPairs = func() *[numResults]dto.LabelPair {
	p := new([numResults]dto.LabelPair)
	for i := range p {
		p[i].Name, p[i].Value = &resultLabel, &resultNames[i]
	}
	return p
}()

// perResult is codearts_check_task_checks_total: a series per result for
// every task whose baseline is taken, zeros too, so that a task's first
// check of a result shows in increase() and rate(); result by result, and
// in each in the rows' order.
func perResult(s *snapshot, l *labeler, emit emitFunc) {
	for r := range resultPairs {
		for i := range s.rows {
			if c := &s.rows[i].checks; c.known {
				emit(c.counts[r], l.with(&resultPairs[r], i))
			}
		}
	}
}

// familiesByName is the order of the families in an answer.
var familiesByName = func() []familyID {
	order := make([]familyID, numFamilies)
	for f := range order {
		order[f] = familyID(f)
	}
	slices.SortFunc(order, func(a, b familyID) int { return strings.Compare(families[a].name, families[b].name) })
	return order
}()

// perTask is a family with at most one series per task, labelled task_id:
// the rows' order.
func perTask(value func(r *taskRow) (float64, bool)) func(*snapshot, *labeler, emitFunc) {
	return func(s *snapshot, l *labeler, emit emitFunc) {
		for i := range s.rows {
			if v, ok := value(&s.rows[i]); ok {
				emit(v, l.id(i))
			}
		}
	}
}

// perReport is a family with a series per task whose report has the value
// of bit (0: always).
func perReport(bit uint16, value func(r *reportValues) float64) func(*snapshot, *labeler, emitFunc) {
	return perTask(func(r *taskRow) (float64, bool) {
		if r.report == nil || r.report.has&bit != bit {
			return 0, false
		}
		return value(r.report), true
	})
}

// perLevel is a family labelled by level (severity or status) and task_id,
// whose series come level by level in the order of the levels' names, and
// in each level in the rows' order.
func perLevel(levels []string, name string, value func(r *reportValues, i int) (float64, bool)) func(*snapshot, *labeler, emitFunc) {
	pairs := make([]dto.LabelPair, len(levels))
	order := make([]int, len(levels))
	for i := range levels {
		pairs[i].Name, pairs[i].Value = &name, &levels[i]
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return strings.Compare(levels[a], levels[b]) })
	return func(s *snapshot, l *labeler, emit emitFunc) {
		for _, lv := range order {
			for i := range s.rows {
				if r := s.rows[i].report; r != nil {
					if v, ok := value(r, lv); ok {
						emit(v, l.with(&pairs[lv], i))
					}
				}
			}
		}
	}
}

// Label names, shared by every label pair that names them.
var (
	taskIDLabel    = "task_id"
	taskNameLabel  = "task_name"
	projectIDLabel = "project_id"
	gitBranchLabel = "git_branch"
	errorCodeLabel = "error_code"
	resultLabel    = "result"
)

const (
	severityLabel = "severity"
	statusLabel   = "status"
)

// labeler holds the label pairs of one Gather: a task's series share its
// pairs, whose values point into the snapshot's rows.
type labeler struct {
	pairs []dto.LabelPair  // four per row: git_branch, project_id, task_id, task_name
	sets  []*dto.LabelPair // five per row: task_id alone, then all four
	two   []*dto.LabelPair // label sets {level, task_id} and {error_code, task_id}, two pointers each
	// errors are the error_code pairs of the failed rows, in the order
	// lastError is called.
	errors []dto.LabelPair
}

func newLabeler(s *snapshot) *labeler {
	l := &labeler{pairs: make([]dto.LabelPair, 4*len(s.rows)), sets: make([]*dto.LabelPair, 5*len(s.rows))}
	reports, failed, counted := 0, 0, 0
	for i := range s.rows {
		t := &s.rows[i].task
		p := l.pairs[4*i : 4*i+4]
		p[0].Name, p[0].Value = &gitBranchLabel, &t.GitBranch
		p[1].Name, p[1].Value = &projectIDLabel, &t.ProjectID
		p[2].Name, p[2].Value = &taskIDLabel, &t.ID
		p[3].Name, p[3].Value = &taskNameLabel, &t.Name
		copy(l.sets[5*i:], []*dto.LabelPair{&p[2], &p[0], &p[1], &p[2], &p[3]})
		if s.rows[i].report != nil {
			reports++
		}
		if s.rows[i].errorCode != "" {
			failed++
		}
		if s.rows[i].checks.known {
			counted++
		}
	}
	l.two = make([]*dto.LabelPair, 0, 2*(len(severities)+len(defectStatuses))*reports+2*failed+2*numResults*counted)
	l.errors = make([]dto.LabelPair, 0, failed)
	return l
}

// id returns the labels {task_id} of row i. Each set's capacity is its
// length, so that nothing can append into a neighbour.
func (l *labeler) id(i int) []*dto.LabelPair {
	if l == nil {
		return nil
	}
	return l.sets[5*i : 5*i+1 : 5*i+1]
}

// info returns the labels of row i's task_info.
func (l *labeler) info(i int) []*dto.LabelPair {
	if l == nil {
		return nil
	}
	return l.sets[5*i+1 : 5*i+5 : 5*i+5]
}

// with returns the labels {first, task_id of row i}.
func (l *labeler) with(first *dto.LabelPair, i int) []*dto.LabelPair {
	if l == nil {
		return nil
	}
	m := len(l.two)
	l.two = append(l.two, first, &l.pairs[4*i+2])
	return l.two[m : m+2 : m+2]
}

// lastError returns the labels {error_code, task_id} of s's row i, which
// failed. l.errors has room for every failed row, so the pairs it holds
// never move.
func (l *labeler) lastError(s *snapshot, i int) []*dto.LabelPair {
	l.errors = append(l.errors, dto.LabelPair{Name: &errorCodeLabel, Value: &s.rows[i].errorCode})
	return l.with(&l.errors[len(l.errors)-1], i)
}

// failedOrder returns the indexes of s's failed rows in the order of their
// labels: error_code, then task_id, the rows' order.
func (l *labeler) failedOrder(s *snapshot) []int {
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
func (l *labeler) infoOrder(s *snapshot) []int {
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
