package fakecloud

import "sort"

// IssuedTokens returns every token value issued so far, revoked and expired
// ones included, sorted. Tests use it to assert that no token ever shows up
// in the exporter's logs, metrics or pages.
func (s *Server) IssuedTokens() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.tokens))
	for tok := range s.tokens {
		out = append(out, tok)
	}
	sort.Strings(out)
	return out
}
