package auth

// SecretSource is an Authenticator that can list the secrets it uses, so
// that they can be redacted from what an API sends back (api.Caller's
// Secrets): an API that echoes a request, or a proxy that quotes one,
// must not put a password or a key in an error or a log line.
type SecretSource interface {
	// Secrets returns the secrets in use now; it is cheap (no file is read
	// that was not changed) and safe for concurrent use.
	Secrets() []string
}

var (
	_ SecretSource = (*IAM)(nil)
	_ SecretSource = (*AKSK)(nil)
	_ SecretSource = (*FileToken)(nil)
)

// Secrets implements SecretSource: the password, inline or the one last
// read from password_file (the one an IAM answer could echo).
func (s *IAM) Secrets() []string {
	s.secretMu.Lock()
	defer s.secretMu.Unlock()
	return []string{string(s.cfg.Password), s.usedPassword}
}

// notePassword records the password a token request is about to carry.
func (s *IAM) notePassword(password string) {
	s.secretMu.Lock()
	defer s.secretMu.Unlock()
	s.usedPassword = password
}

// Secrets implements SecretSource: the secret key and the security token.
func (a *AKSK) Secrets() []string {
	sk, token, _ := a.secrets()
	return []string{a.secretKey, a.securityToken, sk, token}
}

// Secrets implements SecretSource: the token.
func (t *FileToken) Secrets() []string {
	token, _ := t.file.Value()
	return []string{token}
}
