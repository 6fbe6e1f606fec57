package main

import (
	"log/slog"
	"path/filepath"

	"github.com/codearts-check-exporter/codearts_check_exporter/config"
)

// logLoaded says, once a configuration file is put in force (at startup
// and at every reload), what is now in force: which file (absolute, as the
// working directory of a service is not where an operator stands), how
// many tasks, where the API and the credentials are, and whether change
// detection is on. The questions of a second day start from these.
func logLoaded(logger *slog.Logger, file string, cfg *config.Config) {
	if abs, err := filepath.Abs(file); err == nil {
		file = abs
	}
	attrs := []any{"file", file, "tasks", len(cfg.Tasks)}
	if cfg.Discovery != nil {
		attrs = append(attrs, "discovery_projects", len(cfg.Discovery.Projects))
	}
	attrs = append(attrs, "endpoint", cfg.Endpoint, "auth", authMode(cfg.Auth))
	if iam := cfg.IAMEndpoint(); iam != "" {
		attrs = append(attrs, "iam_endpoint", iam)
	}
	changeDetection := "off"
	if cfg.ChangeDetection.Enabled {
		changeDetection = "on"
	}
	attrs = append(attrs, "change_detection", changeDetection)
	logger.Info("Configuration loaded", attrs...)
}

// authMode names the auth section in force by its key.
func authMode(a config.Auth) string {
	switch {
	case a.IAM != nil:
		return "iam"
	case a.AKSK != nil:
		return "aksk"
	}
	return "token_file"
}
