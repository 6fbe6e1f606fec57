package main

import (
	"errors"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"slices"
	"time"

	"github.com/prometheus/common/model"

	"github.com/codearts-check-exporter/codearts_check_exporter/config"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/simulator/fakecloud"
)

// startDemo serves the simulator's demo on a loopback port and puts in
// force a configuration pointing at it: every demo task, and discovery of
// their project. It returns a function that stops the simulator.
func startDemo(sc *config.SafeConfig, logger *slog.Logger) (func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	server := &http.Server{Handler: fakecloud.NewDemo(fakecloud.Options{}), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := server.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("Demo simulator stopped", "err", err)
		}
	}()
	endpoint := "http://" + ln.Addr().String()
	cfg := &config.Config{
		Endpoint: endpoint,
		Auth: config.Auth{IAM: &config.IAM{
			Endpoint:    endpoint,
			DomainName:  fakecloud.DefaultDomain,
			Username:    fakecloud.DefaultUser,
			Password:    fakecloud.DefaultPassword,
			ProjectName: fakecloud.DefaultProject,
		}},
		// Discovering the project too adds the tasks' project_id and
		// git_branch and shows the discovery metrics.
		Discovery: &config.Discovery{Projects: []string{fakecloud.DemoProjectID}},
		Timeout:   model.Duration(10 * time.Second),
		// The simulator's last_check_time moves when a check starts, so the
		// demo shows tasks answered by progress queries while they check and
		// by the listing while they idle.
		ChangeDetection: config.ChangeDetection{Enabled: true},
	}
	names := fakecloud.DemoTaskNames()
	for _, id := range slices.Sorted(maps.Keys(names)) {
		cfg.Tasks = append(cfg.Tasks, config.Task{ID: id, Name: names[id]})
	}
	if err := cfg.Validate(); err != nil {
		server.Close()
		return nil, err
	}
	sc.Set(cfg)
	logger.Info("Demo mode: querying the built-in simulator", "endpoint", endpoint, "tasks", len(cfg.Tasks))
	return func() { server.Close() }, nil
}
