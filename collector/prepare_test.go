package collector

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/codearts-check-exporter/codearts_check_exporter/config"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/api"
)

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// The warning that TLS verification is off comes when the session is built,
// which Prepare does before any scrape; with verification on there is none.
func TestPrepareWarnsAboutInsecureTLSBeforeAnyScrape(t *testing.T) {
	for _, insecure := range []bool{true, false} {
		cfg := &config.Config{
			Endpoint: "https://127.0.0.1:1",
			Auth: config.Auth{IAM: &config.IAM{
				Endpoint: "https://127.0.0.1:1", DomainName: "d", Username: "u", Password: "p", ProjectName: "cn-north-4",
			}},
			Tasks: []config.Task{{ID: taskID(0)}},
		}
		cfg.HTTPClientConfig.TLSConfig.InsecureSkipVerify = insecure
		if err := cfg.Validate(); err != nil {
			t.Fatal(err)
		}
		logs := &lockedBuffer{}
		coll := New(func() *config.Config { return cfg }, StaticTasks{}, api.NewMetrics(), slog.New(slog.NewTextHandler(logs, nil)))
		if err := coll.Prepare(); err != nil {
			t.Fatalf("Prepare: %v", err)
		}
		coll.Close()
		warned := strings.Contains(logs.String(), "level=WARN") && strings.Contains(logs.String(), "insecure_skip_verify")
		if warned != insecure {
			t.Errorf("insecure_skip_verify %v: warned %v; logs:\n%s", insecure, warned, logs)
		}
	}
}
