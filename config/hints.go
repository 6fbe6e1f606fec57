package config

import (
	"fmt"
	"reflect"
	"regexp"
	"strings"

	"github.com/prometheus/common/model"
	"go.yaml.in/yaml/v3"
)

// What a refused file's messages suggest: the right unit, the key meant,
// what a value should have been.

var (
	// durationParts is a number and a unit as people write them: "20",
	// "20 sec", "5 Minutes".
	durationParts = regexp.MustCompile(`^\s*([0-9]+)\s*([A-Za-z]*)\s*$`)
	unitAliases   = map[string]string{
		"ms": "ms", "msec": "ms", "millisecond": "ms", "milliseconds": "ms",
		"s": "s", "sec": "s", "secs": "s", "second": "s", "seconds": "s",
		"m": "m", "min": "m", "mins": "m", "minute": "m", "minutes": "m",
		"h": "h", "hr": "h", "hrs": "h", "hour": "h", "hours": "h",
		"d": "d", "day": "d", "days": "d",
		"w": "w", "week": "w", "weeks": "w",
	}
)

// durationHint says how to write a duration that is a number without a
// unit, or with a unit spelt as people do; "" when it has no better form.
func durationHint(v string) string {
	m := durationParts.FindStringSubmatch(v)
	if m == nil {
		return ""
	}
	if m[2] == "" {
		return "a duration needs a unit: use " + m[1] + "s"
	}
	unit, ok := unitAliases[strings.ToLower(m[2])]
	if better := m[1] + unit; ok && better != v {
		if _, err := model.ParseDuration(better); err == nil {
			return "use " + better
		}
	}
	return ""
}

// want says in the file's terms what a value of type t looks like.
func want(t reflect.Type) string {
	switch t {
	case durationType:
		return "a duration like 30s or 5m"
	case urlType:
		return "a URL"
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Map, reflect.Struct:
		return "a mapping"
	}
	return "a string"
}

// describe names what the file has where t was expected. A scalar is
// quoted, unless t holds secrets.
func describe(node *yaml.Node, t reflect.Type) string {
	switch node.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	if t == secretType {
		return "a value of another kind"
	}
	return fmt.Sprintf("%q", shorten(node.Value))
}

// keyAliases are the names people give keys, from other tools and the
// console, mapped to the key they mean. One is only suggested where that
// key exists.
var keyAliases = map[string]string{
	"domain": "domain_name", "account": "domain_name", "account_name": "domain_name",
	"user": "username", "login": "username",
	"pass": "password", "passwd": "password", "pwd": "password",
	"pass_file": "password_file", "passwd_file": "password_file",
	"ak": "access_key", "access_key_id": "access_key", "accesskey": "access_key",
	"sk": "secret_key", "secret_access_key": "secret_key", "secretkey": "secret_key", "secret": "secret_key",
	"sk_file": "secret_key_file", "secret_file": "secret_key_file",
	"sts_token": "security_token", "session_token": "security_token", "token": "token_file",
	"task_id": "id", "taskid": "id", "task_name": "name",
	"job": "job_id", "jobid": "job_id",
	"region_id": "region", "region_name": "region",
	"url": "endpoint", "api_endpoint": "endpoint", "endpoint_url": "endpoint",
	"workers": "concurrency", "parallelism": "concurrency", "scrape_timeout": "timeout",
	"rate_limit": "max_requests_per_second", "qps": "max_requests_per_second", "project_ids": "projects",
}

// unknownKey says a key is not known, and which known key it is likely
// meant as: the same key at another level (an indentation slip), an
// alias, or a misspelling.
func unknownKey(key string, fields map[string]reflect.Type) string {
	if where := misplaced(key); where != "" {
		return "unknown key (" + where + ")"
	}
	if real, ok := keyAliases[strings.ToLower(key)]; ok {
		if _, known := fields[real]; known {
			return "unknown key (did you mean " + real + "?)"
		}
	}
	best, bestDist := "", 3 // suggest only within two edits
	for name := range fields {
		if d := editDistance(key, name); d < bestDist || (d == bestDist && name < best) {
			best, bestDist = name, d
		}
	}
	if best == "" {
		return "unknown key"
	}
	return "unknown key (did you mean " + best + "?)"
}

// editDistance is the Levenshtein distance between two short keys.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func join(path, key string) string {
	key = shorten(key)
	if path == "" {
		return key
	}
	return path + "." + key
}

// shorten cuts what the file has to a length fit for an error message.
func shorten(s string) string {
	const max = 64
	if len(s) <= max {
		return s
	}
	return strings.ToValidUTF8(s[:max], "") + "..."
}
