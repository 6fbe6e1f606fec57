package main

import (
	"fmt"
	"io"
	"log/slog"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"
	"github.com/prometheus/common/promslog"
	sloggokit "github.com/tjhop/slog-gokit"
)

// newLogger returns a *slog.Logger, for exporter-toolkit and every package
// here, that writes through a go-kit logger (the design card's logging
// library): one stream, one format, one level. promslog/flag only parses
// --log.level and --log.format into cfg.
func newLogger(w io.Writer, cfg *promslog.Config) (*slog.Logger, error) {
	var logger log.Logger
	switch cfg.Format.String() {
	case "json":
		logger = log.NewJSONLogger(log.NewSyncWriter(w))
	case "logfmt":
		logger = log.NewLogfmtLogger(log.NewSyncWriter(w))
	default:
		return nil, fmt.Errorf("unknown log format %q", cfg.Format)
	}
	allowed, err := level.Parse(cfg.Level.String())
	if err != nil {
		return nil, fmt.Errorf("unknown log level %q", cfg.Level)
	}
	// slog-gokit adds the time and the caller of the slog call itself.
	return slog.New(sloggokit.NewGoKitHandler(level.NewFilter(logger, level.Allow(allowed)), cfg.Level.Level())), nil
}
