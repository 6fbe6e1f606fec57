// Package exposition answers scrapes with a caller's families of counters
// and gauges merged with a registry's, as promhttp.HandlerFor does with a
// registry's alone (handler.go). The caller's series go straight into the
// answer, no dto.MetricFamily built, names checked once per family, the
// text formats byte for byte as expfmt writes them, any other left to
// expfmt (BENCHMARKS.md, "Issue 24, item 9: the direct exposition").
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
)

// flushAt is the size of the buffer at which it is written out.
const flushAt = 64 << 10

// Writer writes the families of one answer to an io.Writer. A write error
// is sticky: nothing more is written, and close returns it.
type Writer struct {
	out io.Writer
	enc expfmt.Encoder
	// text: the format is written here, else by enc (flush).
	text, openMetrics bool
	buf               []byte
	err               error

	// The family being written; its header goes out with its first series.
	name, help string
	labels     []string
	started    bool
}

// newWriter returns a Writer of format to out.
func newWriter(out io.Writer, format expfmt.Format) *Writer {
	w := &Writer{out: out, enc: expfmt.NewEncoder(out, format), buf: make([]byte, 0, 2*flushAt)}
	switch format.FormatType() {
	case expfmt.TypeTextPlain:
		w.text = true
	case expfmt.TypeOpenMetrics:
		v := format.Version()
		w.text = v == expfmt.OpenMetricsVersion_1_0_0 || v == expfmt.OpenMetricsVersion_0_0_1
		w.openMetrics = w.text
	}
	return w
}

// Family starts a family, of counters if its name ends in _total, else of
// gauges, whose series have the label names labels, in this order. Names
// must be valid in the legacy scheme (the text formats would quote others;
// a Writer refuses them), label values valid UTF-8. A family without
// series is not written.
func (w *Writer) Family(name, help string, labels []string) {
	w.flush()
	badLabel := func(l string) bool { return !model.LabelName(l).IsValidLegacy() || strings.HasPrefix(l, "__") }
	if w.err == nil && (!model.LegacyValidation.IsValidMetricName(name) || slices.ContainsFunc(labels, badLabel)) {
		w.err = fmt.Errorf("exposition: family %q: a metric or label name not valid in the legacy scheme", name)
	}
	w.name, w.help, w.labels, w.started = name, help, labels, false
}

// Series writes a series of the family: its value and its label values,
// one per label name.
func (w *Writer) Series(v float64, values ...string) {
	if w.err != nil {
		return
	}
	if !w.started { // the HELP and TYPE lines; OpenMetrics names a counter without its _total
		w.started = true
		name, typ, help := w.name, "gauge", escaper.Replace(w.help)
		if strings.HasSuffix(name, "_total") {
			typ = "counter"
		}
		if w.openMetrics {
			name, help = strings.TrimSuffix(name, "_total"), quotedEscaper.Replace(w.help)
		}
		w.buf = fmt.Appendf(w.buf, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
	}
	b, sep := append(w.buf, w.name...), byte('{')
	for i, l := range w.labels {
		b = append(b, sep)
		b = append(b, l...)
		b = append(b, '=', '"')
		b = append(b, quotedEscaper.Replace(values[i])...)
		b = append(b, '"')
		sep = ','
	}
	if len(w.labels) > 0 {
		b = append(b, '}')
	}
	w.buf = append(w.appendFloat(append(b, ' '), v), '\n')
	if w.text && len(w.buf) >= flushAt {
		w.flush()
	}
}

// encode writes mf, a family gathered by a registry, through expfmt's
// encoder. An error here is mf's alone: what follows is still written.
func (w *Writer) encode(mf *dto.MetricFamily) error {
	w.flush()
	if w.err != nil {
		return w.err
	}
	return w.enc.Encode(mf)
}

// close writes what is left and ends the answer (OpenMetrics' # EOF).
func (w *Writer) close() error {
	w.flush()
	if w.err == nil {
		w.err = w.enc.(expfmt.Closer).Close()
	}
	return w.err
}

// flush writes out what is buffered: as it is in a text format, else as
// the one family it holds, parsed back and encoded by expfmt.
func (w *Writer) flush() {
	if len(w.buf) == 0 || w.err != nil {
		return
	}
	if w.text {
		_, w.err = w.out.Write(w.buf)
	} else {
		p := expfmt.NewTextParser(model.UTF8Validation)
		mfs, err := p.TextToMetricFamilies(bytes.NewReader(w.buf))
		if w.err = err; err == nil {
			mfs[w.name].Help = &w.help // the parser takes an empty help for none
			w.err = w.enc.Encode(mfs[w.name])
		}
	}
	w.buf = w.buf[:0]
}

// appendFloat appends v as expfmt writes a sample value: OpenMetrics marks
// an integer as a float (1.0), the text format does not, and neither
// writes -0's sign (which a family parsed back for another format keeps).
func (w *Writer) appendFloat(b []byte, v float64) []byte {
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
	if v == 0 && w.text {
		b = append(b[:n], '0')
	}
	if w.openMetrics && !bytes.ContainsAny(b[n:], "e.") {
		b = append(b, '.', '0')
	}
	return b
}

// The escapers of expfmt: label values and OpenMetrics help texts escape
// double quotes too.
var (
	escaper       = strings.NewReplacer("\\", `\\`, "\n", `\n`)
	quotedEscaper = strings.NewReplacer("\\", `\\`, "\n", `\n`, "\"", `\"`)
)
