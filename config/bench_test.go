package config

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// tasksFile is a configuration of n tasks.
func tasksFile(n int) []byte {
	var doc strings.Builder
	doc.WriteString("region: cn-north-4\nauth:\n  iam:\n    domain_name: d\n    username: u\n    password: p\ntasks:\n")
	for i := range n {
		fmt.Fprintf(&doc, "  - id: %016x%016x\n    name: task-%d\n", uint64(i)*0x9e3779b97f4a7c15, i, i)
	}
	return []byte(doc.String())
}

// BenchmarkParse10000Tasks is the cost of loading a file of 10,000 tasks,
// the size BENCHMARKS.md measures the binary at: loading it sets the
// process's first memory peak.
func BenchmarkParse10000Tasks(b *testing.B) {
	data := tasksFile(10000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := parseYAML(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAutoReloadCheck10000Tasks is what --config.auto-reload-interval
// costs at every interval while the file does not change: reading and
// hashing it. BENCHMARKS.md compares it with BenchmarkParse10000Tasks.
func BenchmarkAutoReloadCheck10000Tasks(b *testing.B) {
	data := tasksFile(10000)
	file := filepath.Join(b.TempDir(), "config.yml")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		b.Fatal(err)
	}
	sc := NewSafeConfig(prometheus.NewRegistry())
	if _, err := sc.ReloadConfig(file); err != nil {
		b.Fatal(err)
	}
	w, err := NewWatcher(sc, file, time.Minute, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	reload := func() error {
		b.Fatal("the unchanged file was reloaded")
		return errors.New("unreachable")
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		w.check(reload)
	}
}
