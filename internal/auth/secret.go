package auth

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/codearts-check-exporter/codearts_check_exporter/config"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/api"
)

// statInterval bounds how often a secret file is checked for changes: a
// scrape of thousands of tasks should not stat the file thousands of times.
var statInterval = time.Second

// secret is a credential given inline, or kept in a file by someone else (a
// sidecar, a vault agent, a Kubernetes Secret) and read again whenever the
// file changes, so that a rotated secret is picked up without a restart.
type secret struct {
	path  string // "": the value is inline
	label string // the config key, for errors: token_file, secret_key_file, ...
	now   func() time.Time

	mu        sync.Mutex
	value     string
	err       error
	modTime   time.Time
	size      int64
	checkedAt time.Time
}

func newSecret(inline, path, label string) *secret {
	return &secret{value: inline, path: path, label: label, now: time.Now}
}

// Value returns the secret, reading the file again if it changed.
func (f *secret) Value() (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.now()
	if f.path == "" || !f.checkedAt.IsZero() && now.Sub(f.checkedAt) < statInterval {
		return f.value, f.err
	}
	f.checkedAt = now
	fi, err := os.Stat(f.path)
	if err == nil && f.err == nil && f.value != "" && fi.ModTime().Equal(f.modTime) && fi.Size() == f.size {
		return f.value, nil
	}
	if err == nil {
		f.modTime, f.size = fi.ModTime(), fi.Size()
		f.value, err = config.ReadSecretFile(f.path)
	}
	f.err = nil
	if err != nil {
		// Coded credentials: no API call failed, none is counted.
		f.value, f.err = "", &api.Error{Code: api.CodeCredentials, Err: fmt.Errorf("%s: %w", f.label, err)}
	}
	return f.value, f.err
}

// last is the value last read, without looking at the file: the one that
// requests carry, for Secrets.
func (f *secret) last() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.value
}

// recheck makes the next Value read the file again at once.
func (f *secret) recheck() {
	f.mu.Lock()
	f.checkedAt, f.modTime = time.Time{}, time.Time{}
	f.mu.Unlock()
}

// FileToken authenticates with an IAM token issued elsewhere and kept in a
// file (auth.token_file), read again whenever the file changes.
type FileToken struct {
	token *secret
}

// NewFileToken reads the file once and fails if it is missing or empty.
func NewFileToken(path string) (*FileToken, error) {
	t := &FileToken{token: newSecret("", path, "token_file")}
	if _, err := t.token.Value(); err != nil {
		return nil, err
	}
	return t, nil
}

// Authorize implements Authenticator.
func (t *FileToken) Authorize(_ context.Context, req *http.Request) error {
	token, err := t.token.Value()
	if err != nil {
		return err
	}
	req.Header.Set(TokenHeader, token)
	return nil
}

// Done implements Authenticator. On a refusal the file is read again at
// once, and the request is worth sending again only if it now holds
// another token.
func (t *FileToken) Done(req *http.Request, v Verdict) bool {
	if v != Refused {
		return false
	}
	t.token.recheck()
	token, err := t.token.Value()
	return err == nil && req != nil && token != req.Header.Get(TokenHeader)
}

// Secrets implements Authenticator.
func (t *FileToken) Secrets() []string { return []string{t.token.last()} }
