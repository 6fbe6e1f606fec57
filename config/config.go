// Package config owns the configuration file: reading it within bounds,
// its schema and defaults, errors that name file, line and key, and
// SafeConfig, the reloadable holder of the configuration in force.
package config

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	promconfig "github.com/prometheus/common/config"
	"github.com/prometheus/common/model"
	"go.yaml.in/yaml/v2"
)

// Defaults for keys the file leaves out.
const (
	DefaultConcurrency = 16
	DefaultTimeout     = model.Duration(30 * time.Second)
	// MaxTaskIDLength is the API reference's limit for task_id.
	MaxTaskIDLength = 32
	// MaxJobIDLength is generous: the reference gives no limit for job_id.
	MaxJobIDLength = 128
	// MaxTaskNameLength bounds tasks[].name, a label value on every
	// scrape: far above a real name, far below what would weigh on /metrics.
	MaxTaskNameLength = 256
	// maxConcurrency stays within the idle connections per host that
	// prometheus/common's transport keeps (1000), so that they are reused.
	maxConcurrency = 1000
)

// Config is the whole configuration file.
type Config struct {
	Region           string                      `yaml:"region,omitempty"`
	Endpoint         string                      `yaml:"endpoint,omitempty"`
	Auth             Auth                        `yaml:"auth"`
	Tasks            []Task                      `yaml:"tasks,omitempty"`
	Discovery        *Discovery                  `yaml:"discovery,omitempty"`
	Concurrency      int                         `yaml:"concurrency,omitempty"`
	Timeout          model.Duration              `yaml:"timeout,omitempty"`
	HTTPClientConfig promconfig.HTTPClientConfig `yaml:"http_client_config,omitempty"`
	// The keys of collection.go.
	MaxRequestsPerSecond float64         `yaml:"max_requests_per_second,omitempty"`
	MinInterval          model.Duration  `yaml:"min_interval,omitempty"`
	Quality              Quality         `yaml:"quality,omitempty"`
	History              History         `yaml:"history,omitempty"`
	ChangeDetection      ChangeDetection `yaml:"change_detection,omitempty"`
	Language             string          `yaml:"language,omitempty"`
}

// Task is one CodeArts Check task to report on.
type Task struct {
	ID    string `yaml:"id"`
	Name  string `yaml:"name,omitempty"`
	JobID string `yaml:"job_id,omitempty"`
	// ProjectID (set by discovery, or configured for change detection) and
	// GitBranch (discovered tasks only) label codearts_check_task_info.
	ProjectID string `yaml:"project_id,omitempty"`
	GitBranch string `yaml:"-"`
}

var (
	// idPattern is what task and job IDs may contain. Real IDs are hex; the
	// pattern is wider, but nothing in it can alter a URL path or query.
	idPattern     = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	regionPattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
)

// Load reads, defaults and validates a configuration file. Errors name the
// file and, where it can be found, the line of the key at fault. Warnings
// are about what loads but is likely not what was meant.
func Load(filename string) (*Config, []string, error) {
	data, err := readFile(filename)
	if errors.Is(err, fs.ErrNotExist) {
		where, _ := filepath.Abs(filename) // "" only when the working directory is gone
		return nil, nil, fmt.Errorf("config file: %w: copy %s (at the top of the repository) to %s and edit it, or run "+
			"with --demo to try the exporter against a built-in simulator", err, ExampleFile, cmp.Or(where, filename))
	}
	if err != nil {
		return nil, nil, fmt.Errorf("config file: %w", err)
	}
	// Absolute, so that the paths in force (on /config, in errors) name the
	// same files whatever the working directory of whoever reads them.
	dir, _ := filepath.Abs(filepath.Dir(filename))
	cfg, warnings, err := parse(data, dir)
	if err != nil {
		return nil, nil, fmt.Errorf("config file %s: %w", filename, err)
	}
	return cfg, warnings, nil
}

func parse(data []byte, dir string) (*Config, []string, error) {
	cfg := &Config{}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, nil, errors.New("the file is empty")
	}
	if err := decode(data, cfg); err != nil {
		return nil, nil, err
	}
	cfg.setDirectory(dir)
	if err := cfg.Validate(); err != nil {
		if fe, ok := errors.AsType[*FieldError](err); ok {
			fe.Line = lineOf(document(data), fe.Path)
		}
		return nil, nil, err
	}
	ws := cfg.warnings()
	if len(ws) > 0 {
		doc := document(data)
		for _, w := range ws {
			w.Line = lineOf(doc, w.Path)
		}
	}
	// In the order of the file, as someone reading it down would meet them.
	slices.SortStableFunc(ws, func(a, b *FieldError) int { return a.Line - b.Line })
	var warnings []string
	for _, w := range ws {
		warnings = append(warnings, w.Error())
	}
	return cfg, warnings, nil
}

func (c *Config) warnings() []*FieldError {
	var out []*FieldError
	if d := c.Discovery; d != nil {
		for _, f := range [][2]string{{"discovery.include", d.Include}, {"discovery.exclude", d.Exclude}} {
			if globStar.MatchString(f[1]) {
				out = append(out, &FieldError{Path: f[0], Msg: globWarning(f[1])})
			}
		}
	}
	// A task ID copied a character short loads (1 to 32 characters are
	// valid), and would fail at every scrape as a task not found.
	const hint = "a real task ID is 32 hex characters (in the task's URL in the CodeArts console)"
	// A file of thousands of short IDs (a test's) gets a few lines.
	const maxTaskIDWarnings = 3
	named, more, lastID := 0, 0, ""
	for n, t := range c.Tasks {
		if hexID.MatchString(t.ID) {
			continue
		}
		if named > maxTaskIDWarnings {
			more++
			continue
		}
		msg := fmt.Sprintf("%q is not hex; %s", t.ID, hint)
		if hexRun.FindString(t.ID) == t.ID {
			msg = fmt.Sprintf("%q is %d characters; %s: is it cut short?", t.ID, len(t.ID), hint)
		}
		out = append(out, &FieldError{Path: fmt.Sprintf("tasks[%d].id", n), Msg: msg})
		named, lastID = named+1, t.ID
	}
	if more > 0 {
		out[len(out)-1].Msg = fmt.Sprintf("%q and %d more task IDs after it are not 32 hex characters either", lastID, more)
	}
	// An IAM project of another region (left from an example) would scope
	// the token to that region's project, not the tasks' own (IAM.validate).
	if i := c.Auth.IAM; i != nil && c.Region != "" && i.ProjectName != c.Region && regionish.MatchString(i.ProjectName) {
		out = append(out, &FieldError{Path: "auth.iam.project_name", Msg: fmt.Sprintf(
			"%q names another region than region (%s): the token would be scoped to %s's project; "+
				"remove project_name (it defaults to %s) or set it to %s",
			i.ProjectName, c.Region, i.ProjectName, c.Region, c.Region)})
	}
	return out
}

// FieldError is an error or warning about one key, or one line.
type FieldError struct {
	Path   string // dotted key, e.g. tasks[2].id
	Msg    string
	Line   int // 0 when not known
	Column int // 0 when not known; only given where a line holds no key to name
}

func (e *FieldError) Error() string {
	msg := e.Msg
	if e.Path != "" {
		msg = e.Path + ": " + msg
	}
	switch {
	case e.Line > 0 && e.Column > 0:
		return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, msg)
	case e.Line > 0:
		return fmt.Sprintf("line %d: %s", e.Line, msg)
	}
	return msg
}

func fieldErr(path, format string, args ...any) error {
	return &FieldError{Path: path, Msg: fmt.Sprintf(format, args...)}
}

// check is fieldErr(path, format, args...) when bad, nil otherwise.
func check(bad bool, path, format string, args ...any) error {
	if bad {
		return fieldErr(path, format, args...)
	}
	return nil
}

// Validate fills in defaults and checks every key, reporting the first
// error. It reads secret files, so that a missing one is reported now.
func (c *Config) Validate() error {
	iamEndpoint, err := c.applyRegion()
	if err != nil {
		return err
	}
	c.Concurrency = cmp.Or(c.Concurrency, DefaultConcurrency)
	c.Timeout = cmp.Or(c.Timeout, DefaultTimeout)
	httpErr := c.HTTPClientConfig.Validate()
	return cmp.Or(
		checkURL("endpoint", c.Endpoint),
		c.Auth.validate(c.Region, iamEndpoint),
		c.Discovery.validate(),
		// With discovery, the static list may be empty: discovery fills it.
		validateTasks(c.Tasks, c.Discovery != nil),
		check(c.Concurrency < 1 || c.Concurrency > maxConcurrency,
			"concurrency", "%d is outside 1..%d", c.Concurrency, maxConcurrency),
		check(c.Timeout < 0, "timeout", "must be positive"),
		check(httpErr != nil, "http_client_config", "%v", httpErr),
		c.validateCollection(),
	)
}

func validateTasks(tasks []Task, discovery bool) error {
	if len(tasks) == 0 && !discovery {
		return fieldErr("tasks", "no task configured: list tasks, or set discovery")
	}
	seen := make(map[string]int, len(tasks))
	for n, t := range tasks {
		path := fmt.Sprintf("tasks[%d]", n)
		first, dup := seen[t.ID]
		seen[t.ID] = n
		name := utf8.RuneCountInString(t.Name)
		err := cmp.Or(
			checkTaskID(path+".id", t.ID),
			check(dup, path+".id", "%q is already tasks[%d].id", t.ID, first),
			check(name > MaxTaskNameLength, path+".name", "%d characters, more than %d", name, MaxTaskNameLength),
			checkProjectID(path+".project_id", t.ProjectID, codeArtsProject),
		)
		if err == nil && t.JobID != "" {
			err = checkID(path+".job_id", t.JobID, MaxJobIDLength)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// checkID checks an ID that travels in a URL path or query.
func checkID(path, id string, maxLen int) error {
	switch {
	case id == "":
		return fieldErr(path, "missing or empty")
	case len(id) > maxLen:
		return fieldErr(path, "%d characters, more than %d", len(id), maxLen)
	case !idPattern.MatchString(id):
		return fieldErr(path, "%q has characters other than letters, digits, '-' and '_'", id)
	}
	return nil
}

// checkURL checks an API or IAM endpoint; "" is no URL to check.
func checkURL(path, raw string) error {
	u, err := url.Parse(raw)
	switch {
	case raw == "":
	case err != nil:
		return fieldErr(path, "%v", err)
	case u.Scheme != "https" && u.Scheme != "http":
		return fieldErr(path, "%q: want an http:// or https:// URL", raw)
	case u.Host == "":
		return fieldErr(path, "%q has no host", raw)
	case u.RawQuery != "" || u.Fragment != "" || u.User != nil:
		return fieldErr(path, "%q: no query, fragment or user info allowed", raw)
	}
	return nil
}

// String renders the configuration as YAML with every secret shown as
// <secret>, for /config. The tasks are marshalled a chunk at a time:
// yaml.v2 holds a whole document's events until it is written, which for
// a large file would set the process's peak memory (BENCHMARKS.md).
func (c *Config) String() string {
	head := *c
	head.Tasks = nil
	b, err := yaml.Marshal(&head)
	if err != nil {
		return fmt.Sprintf("<config: %v>", err)
	}
	var out strings.Builder
	out.Write(b)
	if len(c.Tasks) > 0 {
		out.WriteString("tasks:\n")
	}
	for tasks := range slices.Chunk(c.Tasks, 256) {
		b, err := yaml.Marshal(tasks)
		if err != nil {
			return fmt.Sprintf("<config: %v>", err)
		}
		out.Write(b)
	}
	return out.String()
}
