package main

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/codearts-check-exporter/codearts_check_exporter/config"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/codearts"
)

// checkConfig is --config.check: it validates file and says what is in
// force, or what is wrong. Like a start, it reads the secret files the
// file names: a missing or empty one fails the check.
func checkConfig(file string) int {
	cfg, warnings, err := config.Load(file)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	for _, w := range warnings {
		fmt.Fprintf(os.Stderr, "config file %s: warning: %s\n", file, w)
	}
	fmt.Printf("%s is valid: %d task(s)", file, len(cfg.Tasks))
	if cfg.Discovery != nil {
		fmt.Printf(", discovery in %d project(s)", len(cfg.Discovery.Projects))
	}
	// The hosts in force, defaulted from the region or not: a region
	// served through another region's host is no surprise later.
	fmt.Printf("; API endpoint %s", cfg.Endpoint)
	if iam := cfg.IAMEndpoint(); iam != "" {
		fmt.Printf(", IAM endpoint %s", iam)
	}
	fmt.Println()
	if cfg.History.On() {
		// The API reference's pages disagree on the permission, and a
		// missing one only shows at the first history read: say it now.
		fmt.Printf("history.enabled: the check history (CheckRecord) needs the IAM permission %s "+
			"(the API reference's English page) or %s (its Chinese page); without it the API answers CC.00050010\n",
			codearts.CheckRecordPermissions[0], codearts.CheckRecordPermissions[1])
	}
	return 0
}

// logLoaded says what a configuration file just put in force (at startup
// and every reload) holds: the questions of a second day start from these.
// The file is absolute: a service's working directory is not the operator's.
func logLoaded(logger *slog.Logger, file string, cfg *config.Config) {
	if abs, err := filepath.Abs(file); err == nil {
		file = abs
	}
	attrs := []any{"file", file, "tasks", len(cfg.Tasks)}
	if cfg.Discovery != nil {
		attrs = append(attrs, "discovery_projects", len(cfg.Discovery.Projects))
	}
	auth := "token_file"
	switch {
	case cfg.Auth.IAM != nil:
		auth = "iam"
	case cfg.Auth.AKSK != nil:
		auth = "aksk"
	}
	attrs = append(attrs, "endpoint", cfg.Endpoint, "auth", auth)
	if iam := cfg.IAMEndpoint(); iam != "" {
		attrs = append(attrs, "iam_endpoint", iam)
	}
	changeDetection := map[bool]string{false: "off", true: "on"}[cfg.ChangeDetection.Enabled]
	logger.Info("Configuration loaded", append(attrs, "change_detection", changeDetection)...)
}
