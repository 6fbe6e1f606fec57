package collector

import (
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/codearts-check-exporter/codearts_check_exporter/config"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/api"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/codearts"
)

// The counting of progress answers, without HTTP: each row is a sequence
// of answers (status, whether last_check_time moved, seconds since the
// last), and the counts and pending reads it leaves.
func TestHistorySeeProgress(t *testing.T) {
	type ans struct {
		status int
		moved  bool
		after  time.Duration
	}
	const never, checking, failed, succeeded, stopped = codearts.StatusNeverChecked, codearts.StatusChecking,
		codearts.StatusFailed, codearts.StatusSucceeded, codearts.StatusStopped
	for _, c := range []struct {
		name    string
		answers []ans
		want    [numResults]float64
	}{
		{"a first answer is the baseline", []ans{{succeeded, true, 0}}, [numResults]float64{}},
		{"steady", []ans{{succeeded, false, 0}, {succeeded, false, 30 * time.Second}}, [numResults]float64{}},
		{"a check running at the baseline counts when it ends", []ans{{checking, false, 0}, {checking, false, 30 * time.Second}, {stopped, false, 30 * time.Second}},
			[numResults]float64{resultStopped: 1}},
		{"0 -> 1", []ans{{succeeded, false, 0}, {checking, false, time.Minute}, {failed, false, time.Minute}},
			[numResults]float64{resultFailed: 1}},
		{"one result to another", []ans{{succeeded, false, 0}, {failed, false, time.Minute}, {succeeded, false, time.Minute}},
			[numResults]float64{resultFailed: 1, resultSucceeded: 1}},
		{"never checked to a result", []ans{{never, false, 0}, {succeeded, false, time.Minute}},
			[numResults]float64{resultSucceeded: 1}},
		{"a result to never checked is no check", []ans{{succeeded, false, 0}, {never, false, time.Minute}},
			[numResults]float64{}},
		{"a status unknown is no result", []ans{{succeeded, false, 0}, {7, false, time.Minute}},
			[numResults]float64{}},
		{"a moved time with the same result is held", []ans{{succeeded, false, 0}, {succeeded, true, time.Minute}, {succeeded, false, time.Minute}},
			[numResults]float64{}},
		{"... and counted when the follow window passed", []ans{{succeeded, false, 0}, {succeeded, true, time.Minute}, {succeeded, false, followWindow}},
			[numResults]float64{resultSucceeded: 1}},
		{"... once, though the time is read again", []ans{{succeeded, false, 0}, {succeeded, true, time.Minute}, {succeeded, false, time.Minute},
			{succeeded, false, followWindow}, {succeeded, false, followWindow}},
			[numResults]float64{resultSucceeded: 1}},
		{"... or when the time moves again", []ans{{succeeded, false, 0}, {succeeded, true, time.Minute}, {succeeded, true, time.Minute}},
			[numResults]float64{resultSucceeded: 1}},
		{"a held time was the check the status then shows", []ans{{succeeded, false, 0}, {succeeded, true, time.Minute}, {checking, false, time.Minute},
			{failed, false, followWindow}},
			[numResults]float64{resultFailed: 1}},
		{"a held time and a result change in one answer are one check", []ans{{succeeded, false, 0}, {succeeded, true, time.Minute}, {failed, false, time.Minute},
			{failed, false, followWindow}},
			[numResults]float64{resultFailed: 1}},
		{"a moved time with a result change is one check", []ans{{succeeded, false, 0}, {failed, true, time.Minute}, {failed, false, followWindow}},
			[numResults]float64{resultFailed: 1}},
	} {
		t.Run(c.name, func(t *testing.T) {
			for _, reads := range []bool{false, true} {
				var h historyMemory
				var last answer // recordProgress's taskMemory.answer
				now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
				for _, a := range c.answers {
					now = now.Add(a.after)
					h.seeProgress(last, a.status, a.moved, reads, now)
					last = answer{known: true, status: a.status, at: now}
				}
				if h.counts != c.want {
					t.Errorf("reads %v: counts %v, want %v", reads, h.counts, c.want)
				}
				revealed := 0
				for _, n := range c.want {
					revealed += int(n)
				}
				if wantPending := revealed * boolInt(reads); h.pending != wantPending || h.due != (wantPending > 0) {
					t.Errorf("reads %v: pending %d due %v, want %d", reads, h.pending, h.due, wantPending)
				}
			}
		})
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// What a history read takes, without HTTP: records that ended after the
// baseline, by until, and started after the newest accounted for; the
// newest of them, as many as progress revealed, are counted already; a
// read cut short matches none and stays due.
func TestHistoryRecordRead(t *testing.T) {
	base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	at := func(m int) time.Time { return base.Add(time.Duration(m) * time.Minute) }
	rec := func(start, end int) codearts.CheckRecord {
		r := codearts.CheckRecord{Start: at(start)}
		if end != 0 {
			r.End = at(end)
		}
		return r
	}
	until := at(60)
	for _, c := range []struct {
		name      string
		newest    time.Time
		pending   int
		records   []codearts.CheckRecord
		complete  bool
		unknown   float64
		observed  []float64 // minutes
		newestOut time.Time
		pendOut   int
		due       bool
	}{
		{name: "one check, revealed", pending: 1, records: []codearts.CheckRecord{rec(-30, -20), rec(10, 15)}, complete: true,
			observed: []float64{5}, newestOut: at(10)},
		{name: "two checks, one revealed", pending: 1, records: []codearts.CheckRecord{rec(10, 15), rec(20, 30)}, complete: true,
			unknown: 1, observed: []float64{5, 10}, newestOut: at(20)},
		{name: "two revealed, reads failed between", pending: 2, records: []codearts.CheckRecord{rec(10, 15), rec(20, 30)}, complete: true,
			observed: []float64{5, 10}, newestOut: at(20)},
		{name: "a check running is left for later", pending: 1, records: []codearts.CheckRecord{rec(10, 15), rec(50, 0)}, complete: true,
			observed: []float64{5}, newestOut: at(10)},
		{name: "a check that ended after until is left for later", pending: 1, records: []codearts.CheckRecord{rec(10, 15), rec(55, 61)}, complete: true,
			observed: []float64{5}, newestOut: at(10)},
		{name: "a check at or before the newest is not taken again", newest: at(10), pending: 1,
			records: []codearts.CheckRecord{rec(10, 15), rec(20, 30)}, complete: true, observed: []float64{10}, newestOut: at(20)},
		{name: "the history does not list the revealed check yet", pending: 1, records: []codearts.CheckRecord{rec(-30, -20)}, complete: true,
			pendOut: 1},
		{name: "cut short: all unknown, due still", pending: 1, records: []codearts.CheckRecord{rec(10, 15), rec(20, 30)}, complete: false,
			unknown: 2, observed: []float64{5, 10}, newestOut: at(20), pendOut: 1, due: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := historyMemory{baseline: base, newest: c.newest, pending: c.pending, due: true}
			var observed []float64
			ok := h.recordRead("a1", outcome{history: codearts.CheckHistory{Records: c.records, Complete: c.complete}}, until, until,
				func(s float64) { observed = append(observed, s/60) }, errorSummary{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
			if !ok {
				t.Fatal("a read that came back is recorded")
			}
			if h.counts[resultUnknown] != c.unknown || !slices.Equal(observed, c.observed) || !h.newest.Equal(c.newestOut) ||
				h.pending != c.pendOut || h.due != c.due {
				t.Errorf("unknown %v observed %v newest %v pending %d due %v; want %v %v %v %d %v",
					h.counts[resultUnknown], observed, h.newest, h.pending, h.due, c.unknown, c.observed, c.newestOut, c.pendOut, c.due)
			}
		})
	}

	// A failed read keeps everything and backs off; one never sent is
	// left for later.
	h := historyMemory{baseline: base, pending: 1, due: true}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	failed := &api.Error{Code: "CC.00050012"}
	if !h.recordRead("a1", outcome{err: failed}, until, until, nil, errorSummary{}, logger) ||
		!h.due || h.pending != 1 || !h.notBefore.Equal(until.Add(failedReadRetry)) {
		t.Errorf("after a failure: %+v", h)
	}
	if h.recordRead("a1", outcome{err: errNotStarted}, until, until, nil, errorSummary{}, logger) || h.failures != 1 {
		t.Errorf("a read not started is left for later: %+v", h)
	}
	if !h.recordRead("a1", outcome{err: &api.Error{Code: "CC.00050010"}}, until, until, nil, errorSummary{}, logger) ||
		!h.refused || !h.notBefore.Equal(until.Add(historyBackoffCap)) || !h.due {
		t.Errorf("after a refusal: %+v", h)
	}
}

// The plan's rule: a read for a task answered in this collection, with a
// project, due and not backing off, with history on; in the tasks' order.
// recordProgress stops the reads of a task with no project or with history
// off (stopReads), which is what keeps them from being due.
func TestHistoryDue(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tasks := []config.Task{{ID: "a", ProjectID: "p"}, {ID: "b", ProjectID: "p"}, {ID: "c"}, {ID: "d", ProjectID: "p"},
		{ID: "e", ProjectID: "p"}, {ID: "f", ProjectID: "p"}}
	newMems := func() []*taskMemory {
		return []*taskMemory{
			{history: historyMemory{due: true}},                                  // due
			{history: historyMemory{due: true, notBefore: now.Add(time.Second)}}, // backing off
			{history: historyMemory{due: true}},                                  // no project
			{history: historyMemory{due: false}},                                 // nothing revealed
			{history: historyMemory{due: true, notBefore: now}},                  // back-off over
			{history: historyMemory{due: true}},                                  // not answered
		}
	}
	answered := make([]outcome, 6)
	answered[5].err = errLate
	historyDue := func(on bool) []int {
		mems := newMems()
		for i, m := range mems {
			if !on || tasks[i].ProjectID == "" {
				m.history.stopReads(now)
			}
		}
		var due []int
		for _, c := range readsDue(mems, answered, now) {
			if c.kind != historyCall {
				t.Fatalf("call %+v is no history read of its task", c)
			}
			due = append(due, c.task)
		}
		return due
	}
	if got := historyDue(true); !slices.Equal(got, []int{0, 4}) {
		t.Errorf("due %v, want [0 4]", got)
	}
	if got := historyDue(false); got != nil {
		t.Errorf("history off: due %v, want none", got)
	}
}
