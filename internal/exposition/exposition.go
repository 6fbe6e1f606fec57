// Package exposition writes metric families, series by series, in the
// format a scrape negotiated. The text formats (OpenMetrics 1.0 and text
// 0.0.4) are appended straight from the caller's values, byte for byte as
// expfmt's encoder writes them, without building a dto.MetricFamily first
// and with names checked once per family rather than once per series; any
// other format goes through expfmt, a family at a time.
package exposition

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"google.golang.org/protobuf/proto"
)

// flushAt is the size of the buffer at which it is written out.
const flushAt = 64 << 10

// Writer writes the families of one answer to an io.Writer. A write error
// is sticky: nothing more is written, and Close returns it.
type Writer struct {
	out io.Writer
	enc expfmt.Encoder
	// text: the format is written here; else families are built as dto
	// and encoded by enc.
	text, openMetrics bool
	buf               []byte
	err               error

	// The family being written; its header goes out with its first series.
	name, help string
	counter    bool
	labels     []string
	started    bool
	mf         *dto.MetricFamily
}

// NewWriter returns a Writer of format to out.
func NewWriter(out io.Writer, format expfmt.Format) *Writer {
	w := &Writer{out: out, enc: expfmt.NewEncoder(out, format)}
	switch format.FormatType() {
	case expfmt.TypeTextPlain:
		w.text = true
	case expfmt.TypeOpenMetrics:
		v := format.Version()
		w.text = v == expfmt.OpenMetricsVersion_1_0_0 || v == expfmt.OpenMetricsVersion_0_0_1
		w.openMetrics = true
	}
	if w.text {
		w.buf = make([]byte, 0, 2*flushAt)
	}
	return w
}

// Family starts a family of gauges, or of counters, whose series have the
// label names labels, in this order. The names must be valid in the legacy
// scheme: the text formats would quote or escape anything else, and a
// Writer does not. A family without series is not written.
func (w *Writer) Family(name, help string, counter bool, labels []string) {
	w.endFamily()
	if w.err == nil && (!model.LegacyValidation.IsValidMetricName(name) || slices.ContainsFunc(labels, badLabel)) {
		w.err = fmt.Errorf("exposition: family %q: a metric or label name not valid in the legacy scheme", name)
	}
	w.name, w.help, w.counter, w.labels, w.started = name, help, counter, labels, false
}

func badLabel(l string) bool {
	return !model.LabelName(l).IsValidLegacy() || strings.HasPrefix(l, "__")
}

// Series writes a series of the family: its value and its label values,
// one per label name.
func (w *Writer) Series(v float64, values ...string) {
	if w.err != nil {
		return
	}
	if !w.text {
		w.addMetric(v, values)
		return
	}
	if !w.started {
		w.header()
	}
	b, sep := append(w.buf, w.name...), byte('{')
	for i, l := range w.labels {
		b = append(b, sep)
		sep = ','
		b = append(b, l...)
		b = append(b, '=', '"')
		b = appendEscaped(b, values[i], true)
		b = append(b, '"')
	}
	if len(w.labels) > 0 {
		b = append(b, '}')
	}
	b = appendFloat(append(b, ' '), v, w.openMetrics)
	w.buf = append(b, '\n')
	if len(w.buf) >= flushAt {
		w.flush()
	}
}

// header appends the family's HELP and TYPE lines. OpenMetrics names a
// counter without its _total suffix, and types one without it unknown.
func (w *Writer) header() {
	w.started = true
	name, typ := w.name, " gauge\n"
	if w.counter {
		typ = " counter\n"
		if w.openMetrics {
			var ok bool
			if name, ok = strings.CutSuffix(name, "_total"); !ok {
				typ = " unknown\n"
			}
		}
	}
	w.buf = append(append(w.buf, "# HELP "...), name...)
	w.buf = appendEscaped(append(w.buf, ' '), w.help, w.openMetrics)
	w.buf = append(append(append(w.buf, "\n# TYPE "...), name...), typ...)
}

// addMetric adds a series to the family built for expfmt.
func (w *Writer) addMetric(v float64, values []string) {
	if w.mf == nil {
		typ := dto.MetricType_GAUGE
		if w.counter {
			typ = dto.MetricType_COUNTER
		}
		w.mf = &dto.MetricFamily{Name: proto.String(w.name), Help: proto.String(w.help), Type: &typ}
	}
	m := &dto.Metric{Label: make([]*dto.LabelPair, len(w.labels))}
	for i := range w.labels {
		m.Label[i] = &dto.LabelPair{Name: &w.labels[i], Value: proto.String(values[i])}
	}
	if w.counter {
		m.Counter = &dto.Counter{Value: proto.Float64(v)}
	} else {
		m.Gauge = &dto.Gauge{Value: proto.Float64(v)}
	}
	w.mf.Metric = append(w.mf.Metric, m)
}

// endFamily encodes the family built for expfmt, if any.
func (w *Writer) endFamily() {
	if w.mf != nil && w.err == nil {
		w.err = w.enc.Encode(w.mf)
	}
	w.mf = nil
}

// Encode writes mf, a family gathered by a registry, through expfmt's
// encoder. An error here is mf's alone: what follows is still written.
func (w *Writer) Encode(mf *dto.MetricFamily) error {
	w.endFamily()
	w.flush()
	if w.err != nil {
		return w.err
	}
	return w.enc.Encode(mf)
}

// Close writes what is left and ends the answer (OpenMetrics' # EOF).
func (w *Writer) Close() error {
	w.endFamily()
	w.flush()
	if w.err == nil {
		w.err = w.enc.(expfmt.Closer).Close()
	}
	return w.err
}

func (w *Writer) flush() {
	if len(w.buf) > 0 && w.err == nil {
		_, w.err = w.out.Write(w.buf)
	}
	w.buf = w.buf[:0]
}

// appendFloat appends v as expfmt writes a sample value: OpenMetrics marks
// an integer as a float (1.0), the text format does not.
func appendFloat(b []byte, v float64, openMetrics bool) []byte {
	switch {
	case math.IsNaN(v):
		return append(b, "NaN"...)
	case math.IsInf(v, 1):
		return append(b, "+Inf"...)
	case math.IsInf(v, -1):
		return append(b, "-Inf"...)
	}
	n := len(b)
	b = strconv.AppendFloat(b, v, 'g', -1, 64)
	if v == 0 {
		b = append(b[:n], '0') // -0 too
	}
	if openMetrics && !bytes.ContainsAny(b[n:], "e.") {
		b = append(b, '.', '0')
	}
	return b
}

// appendEscaped appends s with backslash and newline escaped, and double
// quotes if quote.
func appendEscaped(b []byte, s string, quote bool) []byte {
	if !strings.ContainsAny(s, "\\\n\"") {
		return append(b, s...)
	}
	for i := range len(s) {
		switch c := s[i]; {
		case c == '\\':
			b = append(b, '\\', '\\')
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '"' && quote:
			b = append(b, '\\', '"')
		default:
			b = append(b, c)
		}
	}
	return b
}
