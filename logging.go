package main

import (
	"fmt"
	"io"
	"log/slog"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"
	sloggokit "github.com/tjhop/slog-gokit"
)

// newLogger returns the project's go-kit logger and a *slog.Logger that
// writes through it, for exporter-toolkit and the packages that take slog:
// one stream, one format, one level.
func newLogger(w io.Writer, format, lvl string) (*slog.Logger, error) {
	var logger log.Logger
	switch format {
	case "json":
		logger = log.NewJSONLogger(log.NewSyncWriter(w))
	case "logfmt":
		logger = log.NewLogfmtLogger(log.NewSyncWriter(w))
	default:
		return nil, fmt.Errorf("unknown log format %q", format)
	}
	var slogLevel slog.Level
	switch lvl {
	case "debug":
		logger, slogLevel = level.NewFilter(logger, level.AllowDebug()), slog.LevelDebug
	case "info":
		logger, slogLevel = level.NewFilter(logger, level.AllowInfo()), slog.LevelInfo
	case "warn":
		logger, slogLevel = level.NewFilter(logger, level.AllowWarn()), slog.LevelWarn
	case "error":
		logger, slogLevel = level.NewFilter(logger, level.AllowError()), slog.LevelError
	default:
		return nil, fmt.Errorf("unknown log level %q", lvl)
	}
	// slog-gokit adds time and caller of the slog call itself.
	return slog.New(sloggokit.NewGoKitHandler(logger, slogLevel)), nil
}
