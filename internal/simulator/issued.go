package simulator

import (
	"net/http"
	"slices"
)

// IssuedTokens returns every token value issued so far, revoked and expired
// ones included, sorted. Tests use it to assert that no token ever shows up
// in the exporter's logs, metrics or pages.
func (s *Server) IssuedTokens() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Sorted(slices.Values(s.issued))
}

// recordIssued keeps the token a token call answered, if it issued one.
// ResetStats leaves them alone: a token stays a secret.
func (s *Server) recordIssued(w http.ResponseWriter) {
	tok := w.Header().Get("X-Subject-Token")
	if tok == "" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.issued = append(s.issued, tok)
}
