package codearts

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"testing"
)

// The progress answer and its ratio are outside input: whatever the API (or
// anything between it and the exporter) sends, decoding must not panic and
// must only ever produce values the metrics can carry. Seed corpora are in
// testdata/fuzz/.

func FuzzDecodeProgress(f *testing.F) {
	f.Add([]byte(`{"task_status":0,"progress":{"ratio":"50%","info":"running"}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := DecodeProgress(body)
		if want, wantErr := decodeProgressReference(body); (err == nil) != (wantErr == nil) || p != want {
			t.Fatalf("DecodeProgress(%q) = %+v, %v; the reference decoder says %+v, %v", body, p, err, want, wantErr)
		}
		if err != nil {
			if p != (Progress{}) {
				t.Fatalf("DecodeProgress(%q) = %+v with error %v, want the zero Progress", body, p, err)
			}
			return
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
	})
}

// decodeProgressReference is DecodeProgress written the plain way, every
// field through json.Unmarshal. DecodeProgress skips that second decoding
// where it can (for speed) and must agree with it on every input.
func decodeProgressReference(body []byte) (Progress, error) {
	// Only a JSON object is an answer (null decodes into a nil map).
	var object map[string]json.RawMessage
	if err := json.Unmarshal(body, &object); err != nil || object == nil {
		return Progress{}, errors.New("not an object")
	}
	var b progressBody
	if err := json.Unmarshal(body, &b); err != nil {
		return Progress{}, err
	}
	p := Progress{Status: StatusNeverChecked}
	switch {
	case b.TaskStatus == nil, bytes.Equal(b.TaskStatus, jsonNull):
	default:
		var status int
		if err := json.Unmarshal(b.TaskStatus, &status); err != nil || status < 0 {
			return Progress{}, errors.New("not a status")
		}
		p.Status = status
	}
	if b.Progress == nil {
		return p, nil
	}
	var ratio, info string
	if json.Unmarshal(b.Progress.Ratio, &ratio) == nil {
		p.Ratio, p.HasRatio = ParseRatio(ratio)
	}
	if json.Unmarshal(b.Progress.Info, &info) == nil {
		p.Info = info
	}
	return p, nil
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
