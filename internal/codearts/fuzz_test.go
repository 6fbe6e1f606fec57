package codearts

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"testing"
)

// The progress answer and its ratio are outside input: whatever the API (or
// anything between it and the exporter) sends, decoding must not panic,
// must only ever produce values the metrics can carry, and must read back
// what it produced when that is written out again in the documented shape.
// Seed corpora are in testdata/fuzz/.

func FuzzDecodeProgress(f *testing.F) {
	f.Add([]byte(`{"task_status":0,"progress":{"ratio":"50%","info":"running"}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := DecodeProgress(body)
		// The one-pass reading agrees with the field-by-field one.
		if trimmed := bytes.TrimLeft(body, " \t\r\n"); len(trimmed) > 0 && trimmed[0] == '{' {
			slow, slowErr := decodeProgressFields(trimmed)
			if p != slow || (err == nil) != (slowErr == nil) || err != nil && err.Error() != slowErr.Error() {
				t.Fatalf("DecodeProgress(%q) = %+v, %v; field by field: %+v, %v", body, p, err, slow, slowErr)
			}
		}
		if err != nil {
			if p != (Progress{}) {
				t.Fatalf("DecodeProgress(%q) = %+v with error %v, want the zero Progress", body, p, err)
			}
			return
		}
		// Only a JSON object is an answer (null decodes into a nil map).
		var object map[string]json.RawMessage
		if json.Unmarshal(body, &object) != nil || object == nil {
			t.Fatalf("DecodeProgress(%q) = %+v, want an error for a body that is not a JSON object", body, p)
		}
		if p.Status < StatusNeverChecked {
			t.Fatalf("DecodeProgress(%q): status %d", body, p.Status)
		}
		if p.HasRatio && (math.IsNaN(p.Ratio) || p.Ratio < 0 || p.Ratio > 1) {
			t.Fatalf("DecodeProgress(%q): ratio %v", body, p.Ratio)
		}
		if !p.HasRatio && p.Ratio != 0 {
			t.Fatalf("DecodeProgress(%q): ratio %v without HasRatio", body, p.Ratio)
		}
		// What was read, written out again as the API documents it, reads
		// back the same.
		again, err := DecodeProgress(encodeProgress(t, p))
		if err != nil || again.Status != p.Status || again.Info != p.Info || again.HasRatio != p.HasRatio || math.Abs(again.Ratio-p.Ratio) > 1e-12 {
			t.Fatalf("DecodeProgress(%q) = %+v; written out and read again: %+v, %v", body, p, again, err)
		}
	})
}

// encodeProgress writes p as a ShowProgressDetailV2 answer.
func encodeProgress(t *testing.T, p Progress) []byte {
	var answer struct {
		TaskStatus *int `json:"task_status"`
		Progress   struct {
			Ratio *string `json:"ratio"`
			Info  string  `json:"info"`
		} `json:"progress"`
	}
	if p.Status != StatusNeverChecked {
		answer.TaskStatus = &p.Status
	}
	if p.HasRatio {
		ratio := strconv.FormatFloat(p.Ratio*100, 'g', -1, 64) + "%"
		answer.Progress.Ratio = &ratio
	}
	answer.Progress.Info = p.Info
	b, err := json.Marshal(answer)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func FuzzParseRatio(f *testing.F) {
	f.Add("50%")
	f.Fuzz(func(t *testing.T, s string) {
		v, ok := ParseRatio(s)
		if !ok {
			if v != 0 {
				t.Fatalf("ParseRatio(%q) = %v, false", s, v)
			}
			return
		}
		if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 || v > 1 {
			t.Fatalf("ParseRatio(%q) = %v", s, v)
		}
	})
}
