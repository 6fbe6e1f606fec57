package codearts

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The decoders take nothing on trust: a field that is absent, null, or not
// what the API reference says is unknown, never 0, so that the exporter
// leaves the series out instead of reporting a clean task. Every field of
// the SDK's models is optional, so {} (or an object of nulls) is a valid
// answer with no values. Only an answer that is not a JSON object, a field
// of the wrong JSON type where an object or a list is needed, or an object
// of which no member is the call's (what an unrelated page looks like) is
// an error. Error bodies, in every shape, are ruled out before decoding by
// api.Caller.Do.

var jsonNull = []byte("null")

// decodeObject unmarshals body, which must be a JSON object, into v; what
// names the answer in the error.
func decodeObject(body []byte, what string, v any) error {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return fmt.Errorf("%s answer is not a JSON object: %s", what, truncate(trimmed))
	}
	if err := json.Unmarshal(trimmed, v); err != nil {
		return fmt.Errorf("%s answer: %w", what, err)
	}
	return nil
}

func hasAny(fields map[string]json.RawMessage, keys []string) bool {
	for _, k := range keys {
		if _, ok := fields[k]; ok {
			return true
		}
	}
	return false
}

// pick reads the first of names in fields that parse finds usable.
func pick[T any](fields map[string]json.RawMessage, parse func(json.RawMessage) (T, bool), names ...string) (T, bool) {
	for _, name := range names {
		if v, ok := parse(fields[name]); ok {
			return v, true
		}
	}
	var zero T
	return zero, false
}

// maxCount is the largest count kept: every integer up to it is exact in
// the float64 a metric carries.
const maxCount = 1 << 53

// plainDecimal is what a count in a JSON string may be: digits and at most
// one point (no sign, exponent, hex or Inf, which ParseFloat would take).
var plainDecimal = regexp.MustCompile(`^(\d+\.?\d*|\.\d+)$`)

// parseCount reads a count: a JSON number or a string of one, an integer
// from 0 to maxCount ("12", 12, 12.0 and " 12 " are 12). Anything else,
// null included, is not a count.
func parseCount(raw json.RawMessage) (int64, bool) {
	s := string(bytes.TrimSpace(raw))
	if text, ok := jsonString(raw); ok {
		if s = strings.TrimSpace(text); !plainDecimal.MatchString(s) {
			return 0, false
		}
	} else if s == "" || s[0] != '-' && (s[0] < '0' || s[0] > '9') {
		return 0, false
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n < 0 || n > maxCount {
			return 0, false
		}
		return n, true
	}
	// 12.0 or 1.2e1: above 2^53 the float may already be rounded, so the
	// bound is strict here.
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v < 0 || v >= maxCount || v != math.Trunc(v) {
		return 0, false
	}
	return int64(v), true
}

// parsePercent reads a ratio given as a percentage string, "3.25%", into
// 0..1 (as ParseRatio).
func parsePercent(raw json.RawMessage) (float64, bool) {
	s, _ := jsonString(raw)
	return ParseRatio(s) // "" is no ratio
}

// beijing is the zone of the times the API writes without one (China
// Standard Time, UTC+8, no daylight saving), fixed so as not to depend on
// the tz database being installed.
var beijing = time.FixedZone("UTC+8", 8*60*60)

// timeLayouts are the forms a time comes in: RFC 3339 with its zone
// ("2020-09-25T12:05:00Z"), and without a zone in Beijing time, as in the
// summary's example ("2019-09-24 15:00:41"). Fractional seconds are
// accepted after the seconds of any of them.
var timeLayouts = []struct {
	layout string
	loc    *time.Location
}{
	{time.RFC3339, time.UTC},
	{"2006-01-02 15:04:05", beijing},
	{"2006-01-02T15:04:05", beijing},
}

// latestTime is the last instant RFC 3339 can write (a four-digit year).
var latestTime = time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC)

// maxTimeLength bounds the JSON value of a time: the service writes
// yyyy-MM-ddTHH:mm:ssZ (20 bytes); a much longer value is damage or
// hostility, and decoding it would only cost time.
const maxTimeLength = 40

// parseTime reads a time from a JSON string, in UTC. A time not after
// 1970-01-01 (a placeholder such as "0001-01-01T00:00:00Z") is not a time:
// no check ran then; nor is one after latestTime, which only a zone offset
// past 9999-12-31 can give.
func parseTime(raw json.RawMessage) (time.Time, bool) {
	if len(raw) > maxTimeLength+2 {
		return time.Time{}, false
	}
	s, ok := jsonString(raw)
	if !ok {
		return time.Time{}, false
	}
	s = strings.TrimSpace(s)
	for _, l := range timeLayouts {
		if t, err := time.ParseInLocation(l.layout, s, l.loc); err == nil {
			if t.Unix() <= 0 || t.After(latestTime) {
				return time.Time{}, false
			}
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// jsonString decodes raw as a JSON string; false for anything else
// (absent, null, a number).
func jsonString(raw json.RawMessage) (string, bool) {
	if len(raw) > 1 && raw[0] == '"' && bytes.IndexByte(raw, '\\') < 0 && utf8.Valid(raw) {
		return string(raw[1 : len(raw)-1]), true // raw is JSON: without escapes, the string is its bytes
	}
	var s string
	return s, len(raw) > 0 && raw[0] == '"' && json.Unmarshal(raw, &s) == nil
}

// truncate is the start of b, for an error message.
func truncate(b []byte) string {
	const max = 40
	if len(b) > max {
		return string(b[:max]) + "..."
	}
	return string(b)
}

// scanner is what is left to read of a JSON text, in the few forms that
// scanProgress knows. Each method skips whitespace first, and at anything
// else returns false without moving past it.
type scanner []byte

// trimSpace is b without the JSON whitespace it starts with.
func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t' || b[0] == '\r' || b[0] == '\n') {
		b = b[1:]
	}
	return b
}

// word reads w, a byte or a literal such as null.
func (s *scanner) word(w string) bool {
	rest, ok := bytes.CutPrefix(trimSpace(*s), []byte(w))
	if ok {
		*s = rest
	}
	return ok
}

// str reads a string of valid UTF-8 without escapes or control characters.
func (s *scanner) str() ([]byte, bool) {
	was := *s
	if s.word(`"`) {
		v, rest, ok := bytes.Cut(*s, []byte(`"`))
		if ok && bytes.IndexFunc(v, func(r rune) bool { return r < ' ' || r == '\\' || r == utf8.RuneError }) < 0 {
			*s = rest
			return v, true
		}
	}
	*s = was // nothing else is read from inside a string
	return nil, false
}

// status reads one to nine digits without a leading zero into n.
func (s *scanner) status(n *int) bool {
	t := trimSpace(*s)
	d := 0
	for d < len(t) && d < 10 && t[d] >= '0' && t[d] <= '9' {
		d++
	}
	if d == 0 || d > 9 || d > 1 && t[0] == '0' {
		return false
	}
	*n, _ = strconv.Atoi(string(t[:d]))
	*s = t[d:]
	return true
}

// object reads an object, handing each member's key to member, which
// reads its value.
func (s *scanner) object(member func(key []byte) bool) bool {
	if !s.word("{") {
		return false
	}
	if s.word("}") {
		return true
	}
	for {
		key, ok := s.str()
		if !ok || !s.word(":") || !member(key) {
			return false
		}
		if s.word("}") {
			return true
		}
		if !s.word(",") {
			return false
		}
	}
}
