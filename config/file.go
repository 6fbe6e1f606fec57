package config

import (
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"

	promconfig "github.com/prometheus/common/config"
)

const (
	// MaxFileSize is far above any real task set's file, and keeps a
	// mistaken path (a log, a disk image) from being read whole.
	MaxFileSize = 16 << 20
	// maxSecretFileSize is far above an IAM token (up to 100,000 characters).
	maxSecretFileSize = 256 << 10
	// ExampleFile, at the top of the repository, is where to start.
	ExampleFile = "codearts_check_exporter.example.yml"
)

func readFile(filename string) ([]byte, error) {
	return readBounded(filename, MaxFileSize, "16 MiB")
}

// ReadSecretFile returns the content of a password, key or token file
// without its line ending: Validate reads it so that a missing secret is
// reported at load time, package auth so that a rotated one is picked up.
// Its errors name the file, never the content.
func ReadSecretFile(path string) (string, error) {
	b, err := readBounded(path, maxSecretFileSize, "256 KiB")
	if err != nil {
		return "", err
	}
	// Only the line ending is cut: a password may begin or end with a space.
	s := strings.TrimRight(string(b), "\r\n")
	if strings.TrimSpace(s) == "" {
		return "", fmt.Errorf("%s is empty", path)
	}
	return s, nil
}

// readBounded reads a regular file (after symlinks) of at most limit bytes
// (limitText for people). Anything else is refused before a byte is read:
// /dev/zero never ends and a FIFO blocks, which would hang a (re)load.
func readBounded(filename string, limit int64, limitText string) ([]byte, error) {
	// O_NONBLOCK: opening a FIFO returns at once, to be refused below.
	// Regular files ignore the flag.
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
	if err == nil && int64(len(data)) > limit {
		err = fmt.Errorf("%s is more than the limit of %d bytes (%s)", filename, limit, limitText)
	}
	return data, err
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

// setDirectory makes every relative file path of the configuration
// relative to dir, the file's directory, as Prometheus does.
func (c *Config) setDirectory(dir string) {
	a := &c.Auth
	a.TokenFile = promconfig.JoinDir(dir, a.TokenFile)
	if a.IAM != nil {
		a.IAM.PasswordFile = promconfig.JoinDir(dir, a.IAM.PasswordFile)
	}
	if k := a.AKSK; k != nil {
		k.SecretKeyFile = promconfig.JoinDir(dir, k.SecretKeyFile)
		k.SecurityTokenFile = promconfig.JoinDir(dir, k.SecurityTokenFile)
	}
	c.HTTPClientConfig.SetDirectory(dir)
}
