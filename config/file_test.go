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
