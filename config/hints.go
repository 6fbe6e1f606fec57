package config

import (
	"cmp"
	"fmt"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/prometheus/common/model"
	"go.yaml.in/yaml/v3"
)

var (
	// durationParts is a duration as people write it: "20", "5 Minutes".
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
	switch z := reflect.Zero(t); {
	case t == durationType:
		return "a duration like 30s or 5m"
	case t == urlType:
		return "a URL"
	case z.CanInt() || z.CanUint():
		return "an integer"
	case z.CanFloat():
		return "a number"
	case t.Kind() == reflect.Bool:
		return "true or false"
	case t.Kind() == reflect.Slice || t.Kind() == reflect.Array:
		return "a list"
	case t.Kind() == reflect.Map || t.Kind() == reflect.Struct:
		return "a mapping"
	}
	return "a string"
}

// describe names what the file has where t was expected, never a secret.
func describe(node *yaml.Node, t reflect.Type) string {
	switch {
	case node.Kind == yaml.MappingNode:
		return "a mapping"
	case node.Kind == yaml.SequenceNode:
		return "a list"
	case t == secretType:
		return "a value of another kind"
	}
	return fmt.Sprintf("%q", shorten(node.Value))
}

// keyAliases are the names people give keys (from other tools, the
// console), mapped to the key meant where it exists.
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

// unknownKey says a key is not known, and which it is likely meant as: the
// same key elsewhere (an indentation slip), an alias, or within two edits.
func unknownKey(key string, fields map[string]reflect.Type) string {
	if where := misplaced(key); where != "" {
		return "unknown key (" + where + ")"
	}
	meant, bestDist := keyAliases[strings.ToLower(key)], 3
	if _, known := fields[meant]; !known {
		meant = ""
		for _, name := range slices.Sorted(maps.Keys(fields)) {
			if d := editDistance(key, name); d < bestDist {
				meant, bestDist = name, d
			}
		}
	}
	if meant == "" {
		return "unknown key"
	}
	return "unknown key (did you mean " + meant + "?)"
}

// editDistance is the Levenshtein distance between two short keys.
func editDistance(a, b string) int {
	prev, cur := make([]int, len(b)+1), make([]int, len(b)+1)
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

// keyPlaces maps every key of the schema to where it is valid: "" (the
// top level), "auth.iam", "tasks[]" (the items of tasks). A key unknown
// where it is but valid elsewhere is likely indented under the wrong parent.
var keyPlaces = sync.OnceValue(func() map[string][]string {
	places := map[string][]string{}
	var index func(t reflect.Type, at string)
	index = func(t reflect.Type, at string) {
		fields, _ := yamlFields(t)
		for name, ft := range fields {
			places[name] = append(places[name], at)
			for ft.Kind() == reflect.Pointer || ft.Kind() == reflect.Slice {
				if ft.Kind() == reflect.Slice {
					name += "[]"
				}
				ft = ft.Elem()
			}
			// A URL is a struct written as a scalar.
			if ft.Kind() == reflect.Struct && ft != urlType && strings.Count(at, ".") < 5 {
				index(ft, join(at, name))
			}
		}
	}
	index(reflect.TypeFor[Config](), "")
	return places
})

// misplaced says where key belongs instead, the exporter's own places over
// http_client_config's (whose username is not the IAM user), three at most,
// the shallowest first; "" when nowhere.
func misplaced(key string) string {
	places := slices.Clone(keyPlaces()[key])
	if len(places) == 0 {
		return ""
	}
	own := slices.DeleteFunc(slices.Clone(places), func(p string) bool {
		return strings.HasPrefix(p+".", "http_client_config.")
	})
	if len(own) > 0 {
		places = own
	}
	slices.SortFunc(places, func(a, b string) int {
		return cmp.Or(strings.Count(a, ".")-strings.Count(b, "."), strings.Compare(a, b))
	})
	said := places[:min(len(places), 3)]
	for i, p := range said {
		switch {
		case p == "":
			said[i] = "at the top level"
		case strings.HasSuffix(p, "[]"):
			said[i] = "in each item of " + strings.TrimSuffix(p, "[]")
		default:
			said[i] = "under " + p
		}
	}
	list := said[len(said)-1]
	if n := len(said); n > 1 {
		list = strings.Join(said[:n-1], ", ") + " or " + list
	}
	return key + " belongs " + list + ": check its indentation"
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
