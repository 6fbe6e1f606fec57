package auth

import (
	"context"
	"net/http"
)

// FileToken authenticates with an IAM token issued elsewhere and kept in a
// file (auth.token_file), read again whenever the file changes.
type FileToken struct {
	file *SecretFile
}

// NewFileToken reads the file once and fails if it is missing or empty.
func NewFileToken(path string) (*FileToken, error) {
	f, err := NewSecretFile(path, "token_file")
	if err != nil {
		return nil, err
	}
	return &FileToken{file: f}, nil
}

// Authorize implements Authenticator.
func (t *FileToken) Authorize(_ context.Context, req *http.Request) error {
	token, err := t.file.Value()
	if err != nil {
		return err
	}
	req.Header.Set(TokenHeader, token)
	return nil
}

// Done implements Authenticator. On a refusal the file is read again at
// once (not after statInterval), and the request is worth sending again
// only if the file now holds another token.
func (t *FileToken) Done(req *http.Request, v Verdict) bool {
	if v != Refused {
		return false
	}
	t.file.recheck()
	token, err := t.file.Value()
	return err == nil && req != nil && token != req.Header.Get(TokenHeader)
}
