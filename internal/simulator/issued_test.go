package simulator

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

func TestIssuedTokens(t *testing.T) {
	e := newEnv(t, Options{})
	if got := e.sim.IssuedTokens(); len(got) != 0 {
		t.Fatalf("IssuedTokens before any request = %d tokens", len(got))
	}
	var issued []string
	for range 2 {
		resp, err := e.client.Post(e.ts.URL+"/v3/auth/tokens", "application/json", strings.NewReader(
			`{"auth":{"identity":{"methods":["password"],"password":{"user":{"domain":{"name":"`+DefaultDomain+
				`"},"name":"`+DefaultUser+`","password":"`+DefaultPassword+`"}}},"scope":{"project":{"name":"`+DefaultProject+`"}}}}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("token request: HTTP %d", resp.StatusCode)
		}
		issued = append(issued, resp.Header.Get("X-Subject-Token"))
	}
	e.sim.RevokeTokens()
	slices.Sort(issued)
	if got := e.sim.IssuedTokens(); !slices.Equal(got, issued) {
		t.Errorf("IssuedTokens() = %d tokens, want the %d issued (revoked ones too)", len(got), len(issued))
	}
}
