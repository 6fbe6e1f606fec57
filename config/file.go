package config

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// MaxFileSize bounds the configuration file: far above the file of any
// real task set, it keeps a mistaken path (a log, a disk image) from being
// read into memory whole.
const MaxFileSize = 16 << 20

// readFile reads a configuration file that must be a regular file (after
// symlinks) of at most MaxFileSize bytes.
func readFile(filename string) ([]byte, error) {
	return readBounded(filename, MaxFileSize, "16 MiB")
}

// readBounded reads a file that must be a regular file (after symlinks) of
// at most limit bytes (limitText says it for people). Anything else is
// refused before a byte is read: /dev/zero never ends and a FIFO blocks
// until a writer comes, which would hang startup or a reload.
func readBounded(filename string, limit int64, limitText string) ([]byte, error) {
	// O_NONBLOCK: should the path be swapped for a FIFO between a check and
	// the open, the open still returns at once; the check below, on the
	// opened file, then refuses it. Regular files ignore the flag.
	f, err := os.OpenFile(filename, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file (%s)", filename, fileKind(fi.Mode()))
	}
	if fi.Size() > limit {
		return nil, fmt.Errorf("%s is %d bytes, more than the limit of %d (%s)", filename, fi.Size(), limit, limitText)
	}
	// The file may grow between Stat and the read: the reader is bounded too.
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s is more than the limit of %d bytes (%s)", filename, limit, limitText)
	}
	return data, nil
}

func fileKind(m os.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&os.ModeNamedPipe != 0:
		return "a FIFO"
	case m&os.ModeSocket != 0:
		return "a socket"
	case m&os.ModeCharDevice != 0:
		return "a character device"
	case m&os.ModeDevice != 0:
		return "a device"
	}
	return "mode " + m.String()
}

// ExampleFile is the example configuration, at the top of the repository:
// where a first configuration starts.
const ExampleFile = "codearts_check_exporter.example.yml"

// missingFileHint adds to err, the failure to open filename, what a first
// run without a file should do, when the file does not exist.
func missingFileHint(filename string, err error) error {
	if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	where := filename
	if abs, absErr := filepath.Abs(filename); absErr == nil {
		where = abs
	}
	return fmt.Errorf("%w: copy %s (at the top of the repository) to %s and edit it, or run with --demo to try the exporter against a built-in simulator",
		err, ExampleFile, where)
}
