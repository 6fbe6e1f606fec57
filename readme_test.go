package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v2"

	"github.com/codearts-check-exporter/codearts_check_exporter/config"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit"
)

// The examples of the README, of the pages under docs/ and of
// deploy/README.md are what a newcomer copies first, so they are tested
// like code:
//
//   - a ```yaml block whose first key is a top-level key of the
//     configuration file is an exporter configuration, whole or a part: it
//     is laid over the example file (its keys replace the example's) and the
//     result must pass the binary's --config.check. Any other yaml block
//     (the web configuration) is told apart by its first key.
//   - a ```promql block holds expressions separated by blank lines (comment
//     lines allowed); each must parse, which promtool checks as a recording
//     rule, and each join on task_id must also match on job and instance,
//     as the shipped alerts do (taskJoinProblems).
//
// Fences indented under a list item count too. The example configuration
// file itself must pass --config.check as it is.

const exampleConfig = "codearts_check_exporter.example.yml"

// docSets are the Markdown files whose examples are checked, with how many
// configuration blocks and PromQL expressions each set holds at least: a
// set that came out lower has lost examples, or its fences are no longer
// seen, and would pass vacuously. deploy/README.md has no such block today;
// it is checked so that one added later is.
var docSets = []struct {
	glob               string
	minConfigs, minExp int
}{
	{"README.md", 2, 12},
	{"docs/*.md", 7, 3},
	{"deploy/README.md", 0, 0},
}

func TestReadmeExamples(t *testing.T) {
	for _, set := range docSets {
		files := globDocs(t, set.glob)
		configs, exprs := 0, 0
		for _, file := range files {
			md, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			problems, c, e := docProblems(t, file, string(md))
			for _, p := range problems {
				t.Error(file + ": " + p)
			}
			configs, exprs = configs+c, exprs+e
		}
		if configs < set.minConfigs || exprs < set.minExp {
			t.Errorf("%s: checked %d configuration blocks and %d PromQL expressions, want at least %d and %d: is the fence syntax still ```yaml / ```promql?",
				set.glob, configs, exprs, set.minConfigs, set.minExp)
		}
		t.Logf("%s (%d files): %d configuration blocks and %d PromQL expressions checked", set.glob, len(files), configs, exprs)
	}
}

// globDocs returns the files of glob, failing if there are none: a set
// that matched nothing would check nothing.
func globDocs(t *testing.T, glob string) []string {
	t.Helper()
	files, err := filepath.Glob(glob)
	if err != nil || len(files) == 0 {
		t.Fatalf("%s matches no file (%v)", glob, err)
	}
	return files
}

// The README's first run copies the example file: it must be valid as it
// is, its secret file aside (the user writes that one).
func TestExampleConfigIsValid(t *testing.T) {
	example, err := os.ReadFile(exampleConfig)
	if err != nil {
		t.Fatal(err)
	}
	if out, err := configCheck(t, string(example)); err != nil {
		t.Errorf("%s fails --config.check: %v\n%s", exampleConfig, err, out)
	}
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "cp "+exampleConfig+" codearts_check_exporter.yml") {
		t.Errorf("README.md's first run does not start from %s", exampleConfig)
	}
}

// The check catches a config block the exporter refuses (a key it does
// not know), a PromQL expression that does not parse and one that joins on
// task_id alone, naming the line of each; it leaves yaml that is not an
// exporter configuration alone, and checks a block indented under a list
// item like any other.
func TestReadmeCheckCatchesBrokenExamples(t *testing.T) {
	md := "# Title\n\n```yaml\nauth:\n  token_file: /run/secrets/token\n```\n\n" + // line 3: valid part
		"```yaml\ntasks:\n  - id: abc\n    job_id: \"...\"\n```\n\n" + // line 8: job_id is no task key
		"```yaml\ntls_server_config:\n  cert_file: x\nbasic_auth_users: {a: b}\n```\n\n" + // line 14: a web config
		"```promql\n# fine\nup\n\n# * binds tighter than ==, so on() meets the scalar 1\ncodearts_check_task_status == 1\n  * on(task_id) group_left(task_name) codearts_check_task_info\n```\n" + // line 20; the failing expression starts on line 24, and joins on task_id alone
		// Joins that match on the exporter too, or not on task_id: fine.
		"\n```promql\n(codearts_check_task_status == 1)\n  * on(job, instance, task_id) group_left(task_name) codearts_check_task_info\n\nsum by (job, instance) (codearts_check_up) / on (job,instance) group_left count by (job, instance) (up)\n```\n" +
		// A valid block under a list item, whose secret file is named like
		// its key: checked, and passes.
		"\n1. The configuration:\n\n   ```yaml\n   auth:\n     iam:\n       domain_name: acme\n       username: monitor\n       password_file: password\n   ```\n"
	problems, configs, exprs := docProblems(t, "README.md", md)
	if configs != 3 || exprs != 4 {
		t.Errorf("checked %d configuration blocks and %d expressions, want 3 and 4", configs, exprs)
	}
	all := strings.Join(problems, "\n")
	if len(problems) != 3 {
		t.Fatalf("%d problems, want 3 (the job_id block, the expression's join and its parse):\n%s", len(problems), all)
	}
	for i, want := range [][]string{
		{"line 8", "--config.check", "tasks[0].job_id"},
		{"line 24", "on(task_id)", "on(job, instance, task_id)", "many-to-many"},
		{"readme_line_24", "vector matching only allowed between instant vectors"},
	} {
		for _, w := range want {
			if !strings.Contains(problems[i], w) {
				t.Errorf("problem %d does not say %q:\n%s", i, w, problems[i])
			}
		}
	}
}

// fence is one fenced code block of a Markdown text.
type fence struct {
	lang string
	line int // of the opening ```, 1-based
	text string
}

func fences(md string) []fence {
	var (
		out    []fence
		cur    *fence
		indent int
		body   strings.Builder
	)
	sc := bufio.NewScanner(strings.NewReader(md))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		trimmed := strings.TrimLeft(line, " ")
		if !strings.HasPrefix(trimmed, "```") {
			if cur != nil {
				// A block under a list item is indented as its fence is.
				cut := min(indent, len(line)-len(trimmed))
				body.WriteString(line[cut:] + "\n")
			}
			continue
		}
		if cur == nil {
			cur = &fence{lang: strings.TrimSpace(strings.TrimPrefix(trimmed, "```")), line: n}
			indent = len(line) - len(trimmed)
			body.Reset()
			continue
		}
		cur.text = body.String()
		out = append(out, *cur)
		cur = nil
	}
	return out
}

// configKeys are the top-level keys of the configuration file, from the
// yaml tags of config.Config (inline structs included), so that a key added
// later is recognised without touching this test.
func configKeys() map[string]bool {
	keys := map[string]bool{}
	var walk func(reflect.Type)
	walk = func(t reflect.Type) {
		for i := range t.NumField() {
			name, opts, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
			switch {
			case strings.Contains(opts, "inline"):
				walk(t.Field(i).Type)
			case name != "" && name != "-":
				keys[name] = true
			}
		}
	}
	walk(reflect.TypeFor[config.Config]())
	return keys
}

// docProblems checks the yaml and promql blocks of md, the text of file, as
// described at the top of this file and returns what is wrong, each naming
// the line, and how many configuration blocks and expressions it checked.
func docProblems(t *testing.T, file, md string) (problems []string, configs, exprs int) {
	t.Helper()
	raw, err := os.ReadFile(exampleConfig)
	if err != nil {
		t.Fatal(err)
	}
	var example yaml.MapSlice
	if err := yaml.Unmarshal(raw, &example); err != nil {
		t.Fatalf("%s: %v", exampleConfig, err)
	}
	keys := configKeys()
	var rules []promRule
	for _, f := range fences(md) {
		switch f.lang {
		case "yaml":
			var block yaml.MapSlice
			if err := yaml.Unmarshal([]byte(f.text), &block); err != nil || len(block) == 0 {
				problems = append(problems, fmt.Sprintf("line %d: the yaml block is not a YAML mapping: %v", f.line, err))
				continue
			}
			if !keys[fmt.Sprint(block[0].Key)] {
				continue // not an exporter configuration
			}
			configs++
			merged, err := yaml.Marshal(overlay(example, block))
			if err != nil {
				t.Fatal(err)
			}
			if out, err := configCheck(t, string(merged)); err != nil {
				problems = append(problems, fmt.Sprintf("line %d: the configuration block, laid over %s, fails --config.check: %v\n%s", f.line, exampleConfig, err, out))
			}
		case "promql":
			exprs := promqlRules(rulePrefix(file), f)
			for _, r := range exprs {
				problems = append(problems, taskJoinProblems(r)...)
			}
			rules = append(rules, exprs...)
		}
	}
	exprs = len(rules)
	if len(rules) > 0 {
		if out, err := promtoolCheckRules(t, rules); err != nil {
			problems = append(problems, fmt.Sprintf("a PromQL expression does not parse (%s_line_N is the line of %s it starts on): %v\n%s", rulePrefix(file), file, err, out))
		}
	}
	return problems, configs, exprs
}

// overlay returns base with every key of top replaced or added.
func overlay(base, top yaml.MapSlice) yaml.MapSlice {
	out := append(yaml.MapSlice{}, base...)
	for _, item := range top {
		replaced := false
		for i := range out {
			if out[i].Key == item.Key {
				out[i].Value, replaced = item.Value, true
			}
		}
		if !replaced {
			out = append(out, item)
		}
	}
	return out
}

var secretFileKey = regexp.MustCompile(`(?m)(_file:\s*)(\S+)`)

// configCheck runs the binary's --config.check on cfg, with the secret
// files it names pointed at dummy files. Only the values are replaced: a
// file named like a key ("password_file: password") leaves the key alone.
func configCheck(t *testing.T, cfg string) (string, error) {
	t.Helper()
	dir := t.TempDir()
	n := 0
	cfg = secretFileKey.ReplaceAllStringFunc(cfg, func(m string) string {
		sub := secretFileKey.FindStringSubmatch(m)
		local := filepath.Join(dir, fmt.Sprintf("secret-%d", n))
		n++
		if err := os.WriteFile(local, []byte("dummy-secret\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		return sub[1] + local
	})
	file := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(file, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(testkit.Binary(t), "--config.check", "--config.file="+file).CombinedOutput()
	return string(out), err
}

type promRule struct {
	Record string `yaml:"record"`
	Expr   string `yaml:"expr"`
	line   int    // of the Markdown file the expression starts on
}

// onClause matches the label list of a vector matching on(...).
var onClause = regexp.MustCompile(`\bon\s*\(([^)]*)\)`)

// taskJoinProblems reports each on(...) of r that matches on task_id
// without job and instance. Two exporters watching the same task (replicas,
// an HA pair) export series that differ only in instance: a join on task_id
// alone then matches many-to-many and the whole query fails.
func taskJoinProblems(r promRule) []string {
	var problems []string
	for _, m := range onClause.FindAllStringSubmatch(r.Expr, -1) {
		labels := map[string]bool{}
		for _, l := range strings.Split(m[1], ",") {
			labels[strings.TrimSpace(l)] = true
		}
		if labels["task_id"] && !(labels["job"] && labels["instance"]) {
			problems = append(problems, fmt.Sprintf("line %d: %s joins on task_id without job and instance; write on(job, instance, task_id), as the alerts do, or two exporters watching one task make it fail (many-to-many)", r.line, m[0]))
		}
	}
	return problems
}

// rulePrefix names the recording rules of file's expressions:
// "readme" for README.md, "docs_api_errors" for docs/api-errors.md.
func rulePrefix(file string) string {
	name := strings.ToLower(strings.TrimSuffix(filepath.ToSlash(file), ".md"))
	return strings.Map(func(r rune) rune {
		if ('a' <= r && r <= 'z') || ('0' <= r && r <= '9') {
			return r
		}
		return '_'
	}, name)
}

// promqlRules makes a recording rule of every paragraph of a promql block
// that is more than comments, named prefix_line_N after the line it
// starts on.
func promqlRules(prefix string, f fence) []promRule {
	var rules []promRule
	lines := strings.Split(f.text, "\n")
	for i := 0; i < len(lines); {
		if strings.TrimSpace(lines[i]) == "" {
			i++
			continue
		}
		start, code := i, false
		for ; i < len(lines) && strings.TrimSpace(lines[i]) != ""; i++ {
			code = code || !strings.HasPrefix(strings.TrimSpace(lines[i]), "#")
		}
		if code {
			rules = append(rules, promRule{
				Record: fmt.Sprintf("%s_line_%d", prefix, f.line+1+start),
				Expr:   strings.Join(lines[start:i], "\n"),
				line:   f.line + 1 + start,
			})
		}
	}
	return rules
}

// promtoolCheckRules parses the rules' expressions with a real PromQL
// parser: promtool's, which the project's scripts install.
func promtoolCheckRules(t *testing.T, rules []promRule) (string, error) {
	t.Helper()
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		msg := "promtool is not on PATH (make tools installs it): the README's PromQL is not checked"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	file := map[string]any{"groups": []map[string]any{{"name": "readme", "rules": rules}}}
	data, err := yaml.Marshal(file)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "readme_rules.yml")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(promtool, "check", "rules", "--lint=none", path).CombinedOutput()
	return string(out), err
}
