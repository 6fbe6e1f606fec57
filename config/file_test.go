package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit/stdkit"
)

// The configuration file must be a regular file (after symlinks) within
// MaxFileSize: anything else is refused at once, before a byte is read.
// Without the checks, /dev/zero would be read until memory ran out and a
// FIFO would block Load forever: a test that hangs here has lost them.
func TestLoadRefusesWhatIsNotAConfigFile(t *testing.T) {
	dir := t.TempDir()
	zero := filepath.Join(dir, "zero.yml")
	stdkit.DevZero(t, zero)
	fifo := filepath.Join(dir, "fifo.yml")
	stdkit.FIFO(t, fifo)
	big := filepath.Join(dir, "big.yml")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	// Sparse: costs no disk, and the size is what is checked.
	if err := f.Truncate(MaxFileSize + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()
	cases := []struct{ file, want string }{
		{zero, "zero.yml is not a regular file (a character device)"},
		{fifo, "fifo.yml is not a regular file (a FIFO)"},
		{dir, "is not a regular file (a directory)"},
		{big, "big.yml is 16777217 bytes, more than the limit of 16777216 (16 MiB)"},
	}
	for _, c := range cases {
		_, _, err := Load(c.file)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "config file: "+c.file) {
			t.Errorf("Load(%s) = %v, want an error saying %q", c.file, err, c.want)
		}
	}
}

// A file just within the limit is read, whatever it holds.
func TestLoadReadsAFileAtTheLimit(t *testing.T) {
	file := filepath.Join(t.TempDir(), "limit.yml")
	content := "# " + strings.Repeat("x", MaxFileSize-3) + "\n"
	if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	data, err := readFile(file)
	if err != nil || len(data) != MaxFileSize {
		t.Fatalf("readFile: %d bytes, %v; want %d bytes", len(data), err, MaxFileSize)
	}
	// A symlink to a regular file is fine: Kubernetes mounts ConfigMaps so.
	link := filepath.Join(t.TempDir(), "link.yml")
	if err := os.Symlink(file, link); err != nil {
		t.Fatal(err)
	}
	if data, err := readFile(link); err != nil || len(data) != MaxFileSize {
		t.Fatalf("readFile through a symlink: %d bytes, %v", len(data), err)
	}
}

// A configuration file that does not exist is the first thing a new user
// meets: the error says where to start (the example, or --demo), and where
// the file was looked for. Other failures to read get no such hint.
func TestMissingFileSaysWhereToStart(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	_, _, err := Load("codearts_check_exporter.yml")
	want := "config file: open codearts_check_exporter.yml: no such file or directory: copy codearts_check_exporter.example.yml (at the top of the repository) to " +
		filepath.Join(dir, "codearts_check_exporter.yml") + " and edit it, or run with --demo to try the exporter against a built-in simulator"
	if err == nil || err.Error() != want {
		t.Errorf("Load of a missing file:\n got %v\nwant %s", err, want)
	}
	if _, _, err := Load(dir); err == nil || strings.Contains(err.Error(), "--demo") {
		t.Errorf("Load of a directory: %v, want an error without the hint", err)
	}
}
