package exposition

import (
	"bytes"
	"math"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"google.golang.org/protobuf/proto"
)

// family is a family as a test writes it, a counter if its name ends in
// _total: its series are values and label values.
type family struct {
	name, help string
	labels     []string
	series     []series
}

type series struct {
	v      float64
	values []string
}

// formats are those a Writer writes itself, with the escaping schemes a
// scraper may ask for, and protobuf, which it leaves to expfmt.
var formats = []expfmt.Format{
	expfmt.FmtText, expfmt.FmtText_1_0_0, expfmt.FmtOpenMetrics_1_0_0, expfmt.FmtOpenMetrics_0_0_1,
	expfmt.FmtOpenMetrics_1_0_0.WithEscapingScheme(model.NoEscaping),
	expfmt.FmtText.WithEscapingScheme(model.ValueEncodingEscaping),
	expfmt.FmtOpenMetrics_2_0_0, expfmt.FmtProtoDelim, expfmt.FmtProtoText,
}

// written is what a Writer writes of fams in format, the dto family
// between them encoded by expfmt, and Close's error.
func written(format expfmt.Format, fams []family, between *dto.MetricFamily) ([]byte, error) {
	var b bytes.Buffer
	w := newWriter(&b, format)
	for i, f := range fams {
		if i == 1 && between != nil {
			if err := w.encode(between); err != nil {
				return nil, err
			}
		}
		w.Family(f.name, f.help, f.labels)
		for _, s := range f.series {
			w.Series(s.v, s.values...)
		}
	}
	err := w.close()
	return b.Bytes(), err
}

// expected is what expfmt's encoder writes of fams as dto families.
func expected(t *testing.T, format expfmt.Format, fams []family, between *dto.MetricFamily) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := expfmt.NewEncoder(&b, format)
	for i, f := range fams {
		if i == 1 && between != nil {
			if err := enc.Encode(between); err != nil {
				t.Fatal(err)
			}
		}
		if len(f.series) == 0 {
			continue // a registry gathers no family without series
		}
		typ, counter := dto.MetricType_GAUGE, strings.HasSuffix(f.name, "_total")
		if counter {
			typ = dto.MetricType_COUNTER
		}
		mf := &dto.MetricFamily{Name: proto.String(f.name), Help: proto.String(f.help), Type: &typ}
		for _, s := range f.series {
			m := &dto.Metric{}
			for i, l := range f.labels {
				m.Label = append(m.Label, &dto.LabelPair{Name: proto.String(l), Value: proto.String(s.values[i])})
			}
			if counter {
				m.Counter = &dto.Counter{Value: proto.Float64(s.v)}
			} else {
				m.Gauge = &dto.Gauge{Value: proto.Float64(s.v)}
			}
			mf.Metric = append(mf.Metric, m)
		}
		if err := enc.Encode(mf); err != nil {
			t.Fatal(err)
		}
	}
	if err := enc.(expfmt.Closer).Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// A Writer writes, in every format, what expfmt's encoder writes of the
// same families: counters (_total) and gauges, label values and help
// texts that need escaping, an empty help, NaN and infinities, integers, huge and tiny
// floats, a family without series, and a gathered family between.
func TestWriterIsExpfmt(t *testing.T) {
	fams := []family{
		{name: "a_up", help: "plain", series: []series{{v: 1}}},
		{name: "b_requests_total", help: `with "quotes", a back\slash and a` + "\nnewline",
			labels: []string{"code", "method"}, series: []series{
				{0, []string{"200", "get"}}, {1, []string{"", "x\\y"}}, {2, []string{`"q"`, "new\nline"}},
				{3.5, []string{"日本", "ünï"}}, {1e21, []string{"big", "z"}},
			}},
		{name: "c_no_help", help: "", series: []series{{3, nil}}},
		{name: "d_empty", help: "no series", labels: []string{"x"}},
		{name: "e_values", help: "h", labels: []string{"v"}, series: []series{
			{math.NaN(), []string{"nan"}}, {math.Inf(1), []string{"+inf"}}, {math.Inf(-1), []string{"-inf"}},
			{1e300, []string{"huge"}}, {-1.7976931348623157e308, []string{"max"}}, {5e-324, []string{"tiny"}},
			{1.5e-7, []string{"small"}}, {123456789, []string{"int"}}, {1e21, []string{"1e21"}},
			{0.1, []string{"tenth"}}, {-42, []string{"negative"}}, {1.8e9, []string{"unix"}},
			{-1, []string{"minus one"}}, {math.Copysign(0, -1), []string{"minus zero"}}, {0, []string{"zero"}},
		}},
	}
	gathered := &dto.MetricFamily{Name: proto.String("b_z_gathered"), Help: proto.String("h"),
		Type: dto.MetricType_GAUGE.Enum(), Metric: []*dto.Metric{{Gauge: &dto.Gauge{Value: proto.Float64(0.5)}}}}
	for _, format := range formats {
		got, err := written(format, fams, gathered)
		if err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		if want := expected(t, format, fams, gathered); !bytes.Equal(got, want) {
			t.Errorf("%s: written\n%s\nexpfmt's\n%s", format, got, want)
		}
	}
}

// Names the text formats would have to quote are refused, not written.
func TestWriterRefusesNames(t *testing.T) {
	for _, f := range []family{
		{name: "with.dot", series: []series{{1, nil}}},
		{name: "", series: []series{{1, nil}}},
		{name: "ok", labels: []string{"bad-label"}, series: []series{{1, []string{"v"}}}},
		{name: "ok", labels: []string{"__name__"}, series: []series{{1, []string{"v"}}}},
	} {
		for _, format := range formats {
			if got, err := written(format, []family{f}, nil); err == nil {
				t.Errorf("%s: %q %q written without an error:\n%s", format, f.name, f.labels, got)
			}
		}
	}
}

// A long answer is written out as it grows, not held whole.
func TestWriterFlushes(t *testing.T) {
	var b bytes.Buffer
	w := newWriter(&b, expfmt.FmtText)
	w.Family("long", "h", []string{"i"})
	value := strings.Repeat("x", 1000)
	for range 2 * flushAt / len(value) {
		w.Series(1, value)
	}
	before := b.Len()
	if err := w.close(); err != nil {
		t.Fatal(err)
	}
	if before < flushAt || b.Len()-before >= flushAt {
		t.Errorf("%d of %d bytes written before Close, want all but less than %d", before, b.Len(), flushAt)
	}
}

// Whatever the help, label value, value and name, a Writer writes what
// expfmt writes, or refuses a name expfmt would quote. The seeds in
// testdata/fuzz run with go test; go test -fuzz FuzzWriter searches more.
func FuzzWriter(f *testing.F) {
	f.Add("m", "help \\ \"", "v\n\"\\", 1.5, true)
	f.Add("m", "", "", math.Inf(-1), false)
	f.Fuzz(func(t *testing.T, name, help, value string, v float64, counter bool) {
		if counter {
			name += "_total"
		}
		fams := []family{{name: name, help: help, labels: []string{"a", "b"},
			series: []series{{v, []string{value, "x"}}, {-v, []string{value, value}}}}}
		for _, format := range formats[:6] {
			got, err := written(format, fams, nil)
			if !model.LegacyValidation.IsValidMetricName(name) {
				if err == nil {
					t.Fatalf("%s: %q written without an error", format, name)
				}
				continue
			}
			if want := expected(t, format, fams, nil); err != nil || !bytes.Equal(got, want) {
				t.Fatalf("%s: %v, written\n%q\nexpfmt's\n%q", format, err, got, want)
			}
		}
	})
}
