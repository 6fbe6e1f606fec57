package deploy_test

import (
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// What Grafana does with the dashboard's query variables, for the tests
// that run its queries against a real Prometheus: list a variable's options
// from its query and regex, and put a selection into a query the way
// Grafana's Prometheus data source does.

// grafanaOption is one option of a variable's drop-down.
type grafanaOption struct{ text, value string }

// queryResultQuery matches Grafana's query_result(expr).
var queryResultQuery = regexp.MustCompile(`(?s)^query_result\((.+)\)$`)

// grafanaVarRef is a variable reference, $name.
var grafanaVarRef = regexp.MustCompile(`\$(\w+)`)

// substituteVariables puts values[name] in place of each $name; a name
// values does not have is left as it is, for the caller to notice.
func substituteVariables(expr string, values map[string]string) string {
	return grafanaVarRef.ReplaceAllStringFunc(expr, func(ref string) string {
		if v, ok := values[ref[1:]]; ok {
			return v
		}
		return ref
	})
}

// variableOptions lists the options of query variable v, its query run
// with values at the moment at (zero: now), as Grafana's Prometheus data
// source does: label_values gives the label's values, query_result one
// line per series, `name{label="value",...} value timestamp_ms`; a regex
// with named groups text and value then picks each option's text and
// value out of a line (a /g regex may find them in separate matches).
func variableOptions(api promAPI, v dashboardVariable, values map[string]string, at time.Time) ([]grafanaOption, error) {
	query := substituteVariables(fmt.Sprint(v.Query), values)
	var lines []string
	switch {
	case labelValuesQuery.MatchString(query):
		m := labelValuesQuery.FindStringSubmatch(query)
		// The label's values, without the series of every task to decode.
		samples, err := api.queryAt(fmt.Sprintf("group by (%s) (%s)", m[2], m[1]), at)
		if err != nil {
			return nil, fmt.Errorf("variable %s: %s: %v", v.Name, m[1], err)
		}
		seen := map[string]bool{}
		for _, s := range samples {
			if l := s.Metric[m[2]]; l != "" && !seen[l] {
				seen[l] = true
				lines = append(lines, l)
			}
		}
	case queryResultQuery.MatchString(query):
		expr := queryResultQuery.FindStringSubmatch(query)[1]
		samples, err := api.queryAt(expr, at)
		if err != nil {
			return nil, fmt.Errorf("variable %s: %s: %v", v.Name, expr, err)
		}
		for _, s := range samples {
			lines = append(lines, s.queryResultLine())
		}
	default:
		return nil, fmt.Errorf("variable %s: the test knows label_values(...) and query_result(...), not %s", v.Name, query)
	}

	options := []grafanaOption{}
	if v.Regex == "" {
		for _, l := range lines {
			options = append(options, grafanaOption{l, l})
		}
	} else {
		re, global, err := jsRegex(v.Regex)
		if err != nil {
			return nil, fmt.Errorf("variable %s: %v", v.Name, err)
		}
		if re.SubexpIndex("value") < 0 {
			return nil, fmt.Errorf("variable %s: regex %s has no named group value, which the test expects", v.Name, v.Regex)
		}
		for _, l := range lines {
			n := 1
			if global {
				n = -1
			}
			var o grafanaOption
			for _, m := range re.FindAllStringSubmatch(l, n) {
				if i := re.SubexpIndex("value"); m[i] != "" && o.value == "" {
					o.value = m[i]
				}
				if i := re.SubexpIndex("text"); i >= 0 && m[i] != "" && o.text == "" {
					o.text = m[i]
				}
			}
			if o.value == "" {
				continue // Grafana drops a line the regex does not match
			}
			if o.text == "" {
				o.text = o.value
			}
			options = append(options, o)
		}
	}
	// Grafana keeps the first option of each value, in the variable's
	// sort order (1: by text, ascending; 0: as the query returned them).
	seen := map[string]bool{}
	unique := options[:0]
	for _, o := range options {
		if !seen[o.value] {
			seen[o.value] = true
			unique = append(unique, o)
		}
	}
	if v.Sort == 1 {
		sort.SliceStable(unique, func(i, j int) bool { return unique[i].text < unique[j].text })
	}
	return unique, nil
}

// queryResultLine is the line Grafana's query_result makes of a sample:
// labels in the order Prometheus sends them (sorted by name).
func (s promSample) queryResultLine() string {
	names := make([]string, 0, len(s.Metric))
	for n := range s.Metric {
		if n != "__name__" {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	pairs := make([]string, len(names))
	for i, n := range names {
		pairs[i] = n + `="` + s.Metric[n] + `"`
	}
	var value string
	var ts float64
	if len(s.Value) == 2 {
		ts, _ = s.Value[0].(float64)
		value, _ = s.Value[1].(string)
	}
	return fmt.Sprintf("%s{%s} %s %s", s.Metric["__name__"], strings.Join(pairs, ","), value, strconv.FormatFloat(math.Round(ts*1000), 'f', -1, 64))
}

// jsRegex compiles Grafana's /pattern/flags. Go's syntax covers what the
// dashboard uses, (?<name>...) included.
func jsRegex(s string) (*regexp.Regexp, bool, error) {
	end := strings.LastIndex(s, "/")
	if !strings.HasPrefix(s, "/") || end < 1 {
		return nil, false, fmt.Errorf("regex %q is not /pattern/flags", s)
	}
	flags := s[end+1:]
	if strings.Trim(flags, "g") != "" {
		return nil, false, fmt.Errorf("regex %q: the test knows the flag g only", s)
	}
	re, err := regexp.Compile(s[1:end])
	return re, flags != "", err
}

// selectionValue is what Grafana's Prometheus data source puts in a query
// for a selection of a multi-value variable: "All" is the variable's
// allValue if it has one, else every option; several values are joined
// into a regex alternation, each escaped for a PromQL string holding a
// regex.
func selectionValue(v dashboardVariable, all bool, options []grafanaOption) string {
	if all && v.AllValue != nil {
		return *v.AllValue
	}
	values := make([]string, len(options))
	for i, o := range options {
		values[i] = strings.ReplaceAll(regexp.QuoteMeta(o.value), `\`, `\\`)
	}
	return "(" + strings.Join(values, "|") + ")"
}

// resolveVariables fills the dashboard's query variables in order, each
// from the values of those before it, its query run at the moment at
// (zero: now): all of every variable's options unless choose names some
// of them for that variable. It returns the values for
// substituteVariables and the options each variable listed.
func resolveVariables(api promAPI, d dashboard, at time.Time, choose map[string][]string) (map[string]string, map[string][]grafanaOption, error) {
	values := map[string]string{}
	listed := map[string][]grafanaOption{}
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		options, err := variableOptions(api, v, values, at)
		if err != nil {
			return nil, nil, err
		}
		listed[v.Name] = options
		chosen, ok := choose[v.Name]
		if !ok {
			values[v.Name] = selectionValue(v, true, options)
			continue
		}
		var picked []grafanaOption
		for _, c := range chosen {
			found := false
			for _, o := range options {
				if o.value == c {
					picked, found = append(picked, o), true
				}
			}
			if !found {
				return nil, nil, fmt.Errorf("variable %s has no option %q", v.Name, c)
			}
		}
		values[v.Name] = selectionValue(v, false, picked)
	}
	return values, listed, nil
}
