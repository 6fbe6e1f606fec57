package auth

import (
	"fmt"
	"os"
	"sync"
	"time"
)

// statInterval bounds how often a secret file is checked for changes: a
// scrape of thousands of tasks should not stat the file thousands of times.
var statInterval = time.Second

// SecretFile is a secret kept in a file by someone else (a sidecar, a
// vault agent, a Kubernetes Secret): an IAM token (token_file), an AK/SK
// secret key (secret_key_file) or an STS security token
// (security_token_file). It reads the file again whenever the file
// changes, so rotated secrets are picked up without a restart.
type SecretFile struct {
	path  string
	label string // the config key, for errors: token_file, secret_key_file, ...
	now   func() time.Time

	mu        sync.Mutex
	value     string
	modTime   time.Time
	size      int64
	checkedAt time.Time
	err       error
}

// NewSecretFile reads the file once and fails if it is missing or empty, so
// a broken deployment is reported at startup rather than at the first
// scrape. label names the file's config key in errors.
func NewSecretFile(path, label string) (*SecretFile, error) {
	f := &SecretFile{path: path, label: label, now: time.Now}
	if _, err := f.Value(); err != nil {
		return nil, err
	}
	return f, nil
}

// recheck makes the next Value look at the file at once.
func (f *SecretFile) recheck() {
	f.mu.Lock()
	f.checkedAt = time.Time{}
	f.mu.Unlock()
}

// Value returns the file's secret, re-reading the file if it changed.
func (f *SecretFile) Value() (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.now()
	if !f.checkedAt.IsZero() && now.Sub(f.checkedAt) < statInterval {
		return f.value, f.err
	}
	f.checkedAt = now
	fi, err := os.Stat(f.path)
	if err != nil {
		f.value, f.err = "", credentialsError(fmt.Errorf("%s: %w", f.label, err))
		return "", f.err
	}
	if f.err == nil && f.value != "" && fi.ModTime().Equal(f.modTime) && fi.Size() == f.size {
		return f.value, nil
	}
	f.modTime, f.size = fi.ModTime(), fi.Size()
	f.value, f.err = readSecret(f.label, f.path)
	return f.value, f.err
}
