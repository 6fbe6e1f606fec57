package auth

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"sync"
	"time"
)

// statInterval bounds how often the token file is checked for changes: a
// scrape of thousands of tasks should not stat the file thousands of times.
var statInterval = time.Second

// TokenFile reads a token issued elsewhere (by a sidecar, a vault agent)
// from a file, and reads it again whenever the file changes.
type TokenFile struct {
	path  string
	label string // the config key, for errors: token_file, secret_key_file, ...
	now   func() time.Time

	mu        sync.Mutex
	token     string
	modTime   time.Time
	size      int64
	checkedAt time.Time
	err       error
}

// NewTokenFile reads the file once and fails if it is missing or empty, so a
// broken deployment is reported at startup rather than at the first scrape.
func NewTokenFile(path string) (*TokenFile, error) {
	return newSecretFile(path, "token_file")
}

// newSecretFile is NewTokenFile for any secret kept in a file (the AK/SK
// secret key, an STS security token); label names its config key in errors.
func newSecretFile(path, label string) (*TokenFile, error) {
	f := &TokenFile{path: path, label: label, now: time.Now}
	if _, err := f.Token(); err != nil {
		return nil, err
	}
	return f, nil
}

// Authorize implements Authenticator.
func (f *TokenFile) Authorize(_ context.Context, req *http.Request) error {
	token, err := f.Token()
	if err != nil {
		return err
	}
	req.Header.Set(TokenHeader, token)
	return nil
}

// Done implements Authenticator. On a refusal the file is read again at
// once (not after statInterval), and the request is worth sending again
// only if the file now holds another token.
func (f *TokenFile) Done(req *http.Request, v Verdict) bool {
	if v != Refused {
		return false
	}
	f.recheck()
	token, err := f.Token()
	return err == nil && req != nil && token != req.Header.Get(TokenHeader)
}

// recheck makes the next Token look at the file at once.
func (f *TokenFile) recheck() {
	f.mu.Lock()
	f.checkedAt = time.Time{}
	f.mu.Unlock()
}

// Token returns the file's token, re-reading the file if it changed.
func (f *TokenFile) Token() (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.now()
	if !f.checkedAt.IsZero() && now.Sub(f.checkedAt) < statInterval {
		return f.token, f.err
	}
	f.checkedAt = now
	fi, err := os.Stat(f.path)
	if err != nil {
		f.token, f.err = "", credentialsError(fmt.Errorf("%s: %w", f.label, err))
		return "", f.err
	}
	if f.err == nil && f.token != "" && fi.ModTime().Equal(f.modTime) && fi.Size() == f.size {
		return f.token, nil
	}
	f.modTime, f.size = fi.ModTime(), fi.Size()
	f.token, f.err = readSecret(f.label, f.path)
	return f.token, f.err
}
