// Package config owns the exporter's configuration file: reading it within
// bounds, its schema, the defaults derived from the region, validation with
// errors that name the file, line and key path, and SafeConfig, the
// reloadable holder the rest of the exporter reads the current
// configuration from, which also serves it on /config.
package config

import (
	"bytes"
	"errors"
	"fmt"
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
	// scrape: far above a real task name, far below what would weigh on
	// /metrics.
	MaxTaskNameLength = 256
	// maxConcurrency stays within the idle connections prometheus/common's
	// transport keeps per host (1000): beyond, every scrape would open new
	// connections instead of reusing them.
	maxConcurrency = 1000
	// maxMinInterval bounds min_interval: a result older than this is not
	// "recent" in any sense an alert rule would accept.
	maxMinInterval = model.Duration(time.Hour)
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
	// RateLimit's key (max_requests_per_second) is top-level.
	RateLimit `yaml:",inline"`
	// MinInterval lets a scrape that comes less than this long after the
	// last collection started serve that collection's result instead of
	// querying the API again. 0, the default, is off: every scrape that does
	// not overlap another one queries the API. For HA pairs of Prometheus
	// servers, set it a little below the scrape interval.
	MinInterval model.Duration `yaml:"min_interval,omitempty"`
	// Quality says whether each task's report is read (collector/reports.go).
	Quality Quality `yaml:"quality,omitempty"`
	// History says whether each task's check history is read (history.go).
	History History `yaml:"history,omitempty"`
	// ChangeDetection reads progress only where the task list shows a
	// change (collector/plan.go).
	ChangeDetection ChangeDetection `yaml:"change_detection,omitempty"`
	// Language is the X-Language of every CodeArts Check call (language.go).
	Language string `yaml:"language,omitempty"`
}

// Auth holds exactly one way to authenticate.
type Auth struct {
	IAM       *IAM   `yaml:"iam,omitempty"`
	TokenFile string `yaml:"token_file,omitempty"`
	AKSK      *AKSK  `yaml:"aksk,omitempty"`
}

// IAM is a password login to IAM.
type IAM struct {
	Endpoint     string            `yaml:"endpoint,omitempty"`
	DomainName   string            `yaml:"domain_name"`
	Username     string            `yaml:"username"`
	Password     promconfig.Secret `yaml:"password,omitempty"`
	PasswordFile string            `yaml:"password_file,omitempty"`
	ProjectName  string            `yaml:"project_name,omitempty"`
	ProjectID    string            `yaml:"project_id,omitempty"`
}

// Task is one CodeArts Check task to report on.
type Task struct {
	ID    string `yaml:"id"`
	Name  string `yaml:"name,omitempty"`
	JobID string `yaml:"job_id,omitempty"`
	// ProjectID is the CodeArts project of the task: discovery sets it for
	// the tasks it lists; configured, it lets change detection track the
	// task. GitBranch is known for discovered tasks only. Both label
	// codearts_check_task_info.
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
// file and, where it can be found, the line of the key at fault. Relative
// file paths in it (password_file, token_file, TLS files...) are taken
// relative to the file's directory, as Prometheus does. Warnings are about
// what loads but is likely not what was meant; each names its line and key.
func Load(filename string) (*Config, []string, error) {
	data, err := readFile(filename)
	if err != nil {
		return nil, nil, missingFileHint(filename, fmt.Errorf("config file: %w", err))
	}
	// The directory is made absolute, so that the paths in force (on
	// /config, in errors) name the same files whatever the working
	// directory of whoever reads them.
	dir := filepath.Dir(filename)
	if abs, err := filepath.Abs(filename); err == nil {
		dir = filepath.Dir(abs)
	}
	cfg, warnings, err := parse(data, dir)
	if err != nil {
		return nil, nil, fmt.Errorf("config file %s: %w", filename, err)
	}
	return cfg, warnings, nil
}

// Parse is Load without the file and its warnings: it decodes, defaults and
// validates data. Relative paths stay relative to the working directory.
func Parse(data []byte) (*Config, error) {
	cfg, _, err := parse(data, "")
	return cfg, err
}

// parse decodes data, resolves its relative paths against dir ("" leaves
// them as they are) and validates it.
func parse(data []byte, dir string) (*Config, []string, error) {
	cfg := &Config{}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, nil, errors.New("the file is empty")
	}
	if err := decode(data, cfg); err != nil {
		return nil, nil, err
	}
	if dir != "" {
		cfg.setDirectory(dir)
	}
	if err := cfg.Validate(); err != nil {
		var fe *FieldError
		if errors.As(err, &fe) && fe.Line == 0 {
			fe.Line = lineOf(data, fe.Path)
		}
		return nil, nil, err
	}
	var warnings []string
	if ws := cfg.warnings(); len(ws) > 0 {
		line := lineFinder(data)
		for _, w := range ws {
			w.Line = line(w.Path)
		}
		// In the order of the file, as someone reading it down would meet them.
		slices.SortStableFunc(ws, func(a, b *FieldError) int { return a.Line - b.Line })
		for _, w := range ws {
			warnings = append(warnings, w.Error())
		}
	}
	return cfg, warnings, nil
}

// FieldError is a validation error about one key.
type FieldError struct {
	Path   string // dotted key, e.g. tasks[2].id
	Msg    string
	Line   int // 0 when not known
	Column int // 0 when not known; only given where a line holds no key to name
}

func (e *FieldError) Error() string {
	switch {
	case e.Path == "" && e.Line > 0 && e.Column > 0:
		return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Msg)
	case e.Path == "" && e.Line > 0:
		return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
	case e.Path == "":
		return e.Msg
	case e.Line > 0:
		return fmt.Sprintf("line %d: %s: %s", e.Line, e.Path, e.Msg)
	}
	return e.Path + ": " + e.Msg
}

func fieldErr(path, format string, args ...any) error {
	return &FieldError{Path: path, Msg: fmt.Sprintf(format, args...)}
}

// Validate fills in defaults and checks every key. It reads password and
// token files, so that a missing secret is reported at load time.
func (c *Config) Validate() error {
	iamEndpoint, err := c.applyRegion()
	if err != nil {
		return err
	}
	if err := checkURL("endpoint", c.Endpoint); err != nil {
		return err
	}
	if err := c.Auth.validate(c.Region, iamEndpoint); err != nil {
		return err
	}
	if c.Discovery != nil {
		if err := c.Discovery.validate(); err != nil {
			return err
		}
	}
	// With discovery, the static list may be empty: discovery fills it.
	if err := validateTasks(c.Tasks, c.Discovery != nil); err != nil {
		return err
	}
	if err := checkTaskProjectIDs(c.Tasks); err != nil {
		return err
	}
	if err := c.ChangeDetection.validate(); err != nil {
		return err
	}
	if c.Concurrency == 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.Concurrency < 1 || c.Concurrency > maxConcurrency {
		return fieldErr("concurrency", "%d is outside 1..%d", c.Concurrency, maxConcurrency)
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.Timeout < 0 {
		return fieldErr("timeout", "must be positive")
	}
	if err := c.HTTPClientConfig.Validate(); err != nil {
		return fieldErr("http_client_config", "%v", err)
	}
	if err := c.RateLimit.validate(); err != nil {
		return err
	}
	if c.MinInterval < 0 || c.MinInterval > maxMinInterval {
		return fieldErr("min_interval", "%v is outside 0s..%v", c.MinInterval, maxMinInterval)
	}
	if err := c.validateLanguage(); err != nil {
		return err
	}
	if err := c.Quality.validate(); err != nil {
		return err
	}
	return c.History.validate()
}

// validate checks the auth section. iamEndpoint is the region's IAM, ""
// when no region is set.
func (a *Auth) validate(region, iamEndpoint string) error {
	modes := 0
	for _, set := range []bool{a.IAM != nil, a.TokenFile != "", a.AKSK != nil} {
		if set {
			modes++
		}
	}
	switch {
	case modes > 1:
		return fieldErr("auth", "set exactly one of iam, token_file, aksk")
	case a.IAM != nil:
		return a.IAM.validate(region, iamEndpoint)
	case a.TokenFile != "":
		return checkSecretFile("auth.token_file", a.TokenFile)
	case a.AKSK != nil:
		return a.AKSK.validate(region, iamEndpoint)
	}
	return fieldErr("auth", "missing: set one of iam, token_file, aksk")
}

func (i *IAM) validate(region, iamEndpoint string) error {
	if i.Endpoint == "" {
		if iamEndpoint == "" {
			return fieldErr("auth.iam.endpoint", "set it, or set region")
		}
		i.Endpoint = iamEndpoint
	}
	if err := checkURL("auth.iam.endpoint", i.Endpoint); err != nil {
		return err
	}
	if i.DomainName == "" {
		return fieldErr("auth.iam.domain_name", "missing: the account (domain) name")
	}
	if i.Username == "" {
		return fieldErr("auth.iam.username", "missing: the IAM user name")
	}
	switch {
	case i.Password != "" && i.PasswordFile != "":
		return fieldErr("auth.iam", "set exactly one of password, password_file")
	case i.PasswordFile != "":
		if err := checkSecretFile("auth.iam.password_file", i.PasswordFile); err != nil {
			return err
		}
	case i.Password == "":
		return fieldErr("auth.iam", "missing: set one of password, password_file")
	}
	switch {
	case i.ProjectName != "" && i.ProjectID != "":
		return fieldErr("auth.iam", "set at most one of project_name, project_id")
	case i.ProjectID != "":
		return checkProjectID("auth.iam.project_id", i.ProjectID, iamProject)
	case i.ProjectName == "" && i.ProjectID == "":
		if region == "" {
			return fieldErr("auth.iam.project_name", "missing: set project_name or project_id (or region, its default)")
		}
		// In Huawei Cloud the default project of a region is named after
		// it. The token is for the task's own region even where another
		// region's host serves the API (cn-north-1 through cn-north-4's).
		i.ProjectName = region
	}
	return nil
}

func validateTasks(tasks []Task, discovery bool) error {
	if len(tasks) == 0 && !discovery {
		return fieldErr("tasks", "no task configured: list tasks, or set discovery")
	}
	seen := make(map[string]int, len(tasks))
	for n, t := range tasks {
		path := fmt.Sprintf("tasks[%d]", n)
		if err := checkTaskID(path+".id", t.ID); err != nil {
			return err
		}
		if first, dup := seen[t.ID]; dup {
			return fieldErr(path+".id", "%q is already tasks[%d].id", t.ID, first)
		}
		seen[t.ID] = n
		if l := utf8.RuneCountInString(t.Name); l > MaxTaskNameLength {
			return fieldErr(path+".name", "%d characters, more than %d", l, MaxTaskNameLength)
		}
		if t.JobID != "" {
			if err := checkID(path+".job_id", t.JobID, MaxJobIDLength); err != nil {
				return err
			}
		}
	}
	return nil
}

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

func checkURL(path, raw string) error {
	u, err := url.Parse(raw)
	switch {
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
// <secret>, for the /config page. The task list comes last, marshalled a
// chunk at a time: yaml.v2 holds a whole document's events until it is
// written, so the tasks of a large file in one document would set the
// process's peak memory at startup (BENCHMARKS.md, "Measuring the real
// binary's RSS").
func (c *Config) String() string {
	const chunk = 256
	head := *c
	head.Tasks = nil
	b, err := yaml.Marshal(&head)
	if err != nil {
		return fmt.Sprintf("<config: %v>", err)
	}
	if len(c.Tasks) == 0 {
		return string(b)
	}
	var out strings.Builder
	out.Write(b)
	out.WriteString("tasks:\n")
	for i := 0; i < len(c.Tasks); i += chunk {
		b, err := yaml.Marshal(c.Tasks[i:min(i+chunk, len(c.Tasks))])
		if err != nil {
			return fmt.Sprintf("<config: %v>", err)
		}
		out.Write(b)
	}
	return out.String()
}
