package main

import (
	"errors"
	"os/exec"
	"strings"
	"testing"

	"github.com/codearts-check-exporter/codearts_check_exporter/internal/shard"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/simulator"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit"
)

// --shard / --total-shards: the binary exports its shard and queries only
// the tasks that hash to it.
func TestShardFlags(t *testing.T) {
	const total = 2
	ids := simulator.DemoTaskIDs()
	mine := 0
	for _, id := range ids {
		if shard.Of(id, total) == 1 {
			mine++
		}
	}
	if mine == 0 || mine == len(ids) {
		t.Fatalf("the demo's %d tasks all fall in one shard of %d; the test needs both", len(ids), total)
	}
	e := startExporter(t, "--demo", "--shard=1", "--total-shards=2")
	body := e.get(t, "/metrics")
	for _, want := range []string{"codearts_check_shard_ordinal 1\n", "codearts_check_total_shards 2\n"} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	for _, id := range ids {
		has := strings.Contains(body, `codearts_check_task_query_success{task_id="`+id+`"}`)
		if want := shard.Of(id, total) == 1; has != want {
			t.Errorf("task %s: exported %v, want %v (shard %d)", id, has, want, shard.Of(id, total))
		}
	}
}

func TestBadShardFlagsExit2(t *testing.T) {
	for _, args := range [][]string{
		{"--shard=2", "--total-shards=2"},
		{"--shard=-1"},
		{"--total-shards=0"},
	} {
		out, err := exec.Command(testkit.Binary(t), append(args, "--demo")...).CombinedOutput()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 2 {
			t.Errorf("%v: %v, want exit status 2\n%s", args, err, out)
		}
		if !strings.Contains(string(out), "shard") {
			t.Errorf("%v: the error does not name the flag:\n%s", args, out)
		}
	}
}
