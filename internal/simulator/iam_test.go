package simulator

import (
	"context"
	"encoding/json"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/simulator/fakecloud"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit/stdkit"
)

var tokenTimeRE = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$`)

type tokenResp struct {
	Token struct {
		ExpiresAt string   `json:"expires_at"`
		IssuedAt  string   `json:"issued_at"`
		Methods   []string `json:"methods"`
		Project   *struct {
			ID, Name string
			Domain   struct{ ID, Name string }
		} `json:"project"`
		Domain *struct{ ID, Name string } `json:"domain"`
		User   struct {
			ID, Name string
			Domain   struct{ ID, Name string }
		} `json:"user"`
		Roles   []any `json:"roles"`
		Catalog []any `json:"catalog"`
	} `json:"token"`
}

func TestTokenIssued(t *testing.T) {
	clock := stdkit.NewClock(time.Date(2026, 11, 28, 9, 5, 22, 701_000_000, time.UTC))
	e := newEnv(t, Options{Now: clock.Now})

	r := e.postToken(tokenJSON(DefaultDomain, DefaultUser, DefaultPassword))
	if r.status != http.StatusCreated {
		t.Fatalf("status = %d, want 201; body %s", r.status, r.body)
	}
	tok := r.header.Get("X-Subject-Token")
	if !strings.HasPrefix(tok, "MIIT") || len(tok) < 500 {
		t.Fatalf("X-Subject-Token: want a long MIIT... value, got %d chars", len(tok))
	}
	if strings.Contains(string(r.body), tok) {
		t.Fatal("the token must only travel in the X-Subject-Token header")
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("Content-Type = %q", ct)
	}
	if r.header.Get("X-Request-Id") == "" {
		t.Fatal("missing X-Request-Id")
	}
	var body tokenResp
	if err := json.Unmarshal(r.body, &body); err != nil {
		t.Fatalf("body %s: %v", r.body, err)
	}
	tk := body.Token
	if tk.ExpiresAt != "2026-11-29T09:05:22.701000Z" {
		t.Errorf("expires_at = %q, want 2026-11-29T09:05:22.701000Z (now + 24h)", tk.ExpiresAt)
	}
	if tk.IssuedAt != "2026-11-28T09:05:22.701000Z" {
		t.Errorf("issued_at = %q", tk.IssuedAt)
	}
	if len(tk.Methods) != 1 || tk.Methods[0] != "password" {
		t.Errorf("methods = %v", tk.Methods)
	}
	if tk.Project == nil || tk.Project.ID != DefaultProjectID || tk.Project.Name != DefaultProject || tk.Project.Domain.Name != DefaultDomain {
		t.Errorf("project = %+v", tk.Project)
	}
	if tk.User.Name != DefaultUser || tk.User.Domain.Name != DefaultDomain || len(tk.User.ID) != 32 {
		t.Errorf("user = %+v", tk.User)
	}
	if tk.Roles == nil || tk.Catalog == nil {
		t.Errorf("roles and catalog must be arrays, got %s", r.body)
	}

	// Every login gets its own token, and the old one keeps working.
	tok2 := e.token()
	if tok2 == tok {
		t.Fatal("two logins returned the same token")
	}
	e.sim.SetTask(Task{ID: "t1", Status: IntPtr(2)})
	for _, tk := range []string{tok, tok2} {
		if r := e.progress("t1", tk); r.status != http.StatusOK {
			t.Fatalf("progress with issued token: %d %s", r.status, r.body)
		}
	}
}

func TestTokenTTLAndScopes(t *testing.T) {
	clock := stdkit.NewClock(time.Date(2026, 1, 2, 3, 4, 5, 6_000, time.UTC))
	e := newEnv(t, Options{Now: clock.Now, TokenTTL: 90 * time.Minute,
		Users: []User{{Domain: "acme", Name: "ops", Password: "s3cret"}}})
	domainID := fakecloud.DomainID("acme")

	scopes := map[string]map[string]any{
		"project name":   {"project": map[string]any{"name": DefaultProject}},
		"project id":     {"project": map[string]any{"id": DefaultProjectID}},
		"project both":   {"project": map[string]any{"id": DefaultProjectID, "name": DefaultProject}},
		"domain name":    {"domain": map[string]any{"name": "acme"}},
		"domain id":      {"domain": map[string]any{"id": domainID}},
		"unknown extras": {"project": map[string]any{"name": DefaultProject}, "x": 1},
	}
	for name, scope := range scopes {
		t.Run(name, func(t *testing.T) {
			r := e.postToken(tokenJSONScope("acme", "ops", "s3cret", scope))
			if r.status != http.StatusCreated {
				t.Fatalf("status %d body %s", r.status, r.body)
			}
			var body tokenResp
			if err := json.Unmarshal(r.body, &body); err != nil {
				t.Fatal(err)
			}
			if body.Token.ExpiresAt != "2026-01-02T04:34:05.000006Z" {
				t.Errorf("expires_at = %q", body.Token.ExpiresAt)
			}
			if !tokenTimeRE.MatchString(body.Token.IssuedAt) {
				t.Errorf("issued_at = %q", body.Token.IssuedAt)
			}
			if _, isDomain := scope["domain"]; isDomain != (body.Token.Domain != nil) || isDomain == (body.Token.Project != nil) {
				t.Errorf("scope in body does not match request: %s", r.body)
			}
		})
	}

	// The user's domain may be given by id too.
	body := strings.Replace(tokenJSON("acme", "ops", "s3cret"), `{"name":"acme"}`, `{"id":"`+domainID+`"}`, 1)
	if r := e.postToken(body); r.status != http.StatusCreated {
		t.Fatalf("user domain by id: %d %s", r.status, r.body)
	}
}

func wantKeystone(t *testing.T, r response, status int, title, message string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d, want %d (%s)", r.status, status, r.body)
	}
	var b struct {
		Error struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
			Title   string `json:"title"`
		} `json:"error"`
	}
	if err := json.Unmarshal(r.body, &b); err != nil {
		t.Fatalf("body %s: %v", r.body, err)
	}
	if b.Error.Code != status || b.Error.Title != title || b.Error.Message != message {
		t.Fatalf("keystone error = %+v, want %d %q %q", b.Error, status, title, message)
	}
	if r.header.Get("X-Subject-Token") != "" {
		t.Fatal("an error must not carry a token")
	}
}

func TestTokenWrongCredentials(t *testing.T) {
	e := newEnv(t, Options{})
	for name, body := range map[string]string{
		"wrong password": tokenJSON(DefaultDomain, DefaultUser, "nope"),
		"unknown user":   tokenJSON(DefaultDomain, "someone", DefaultPassword),
		"unknown domain": tokenJSON("other", DefaultUser, DefaultPassword),
		// Credentials are checked before the scope.
		"wrong password, bad scope": tokenJSONScope(DefaultDomain, DefaultUser, "nope",
			map[string]any{"project": map[string]any{"name": "xx-nowhere-1"}}),
	} {
		t.Run(name, func(t *testing.T) {
			wantKeystone(t, e.postToken(body), http.StatusUnauthorized, "Unauthorized", "The username or password is wrong.")
		})
	}
}

func TestTokenUnknownScope(t *testing.T) {
	e := newEnv(t, Options{})
	for name, scope := range map[string]map[string]any{
		"project name":     {"project": map[string]any{"name": "xx-nowhere-1"}},
		"project id":       {"project": map[string]any{"id": "ffffffffffffffffffffffffffffffff"}},
		"name/id disagree": {"project": map[string]any{"name": DefaultProject, "id": "ffffffffffffffffffffffffffffffff"}},
		"other domain":     {"domain": map[string]any{"name": "other"}},
	} {
		t.Run(name, func(t *testing.T) {
			wantKeystone(t, e.postToken(tokenJSONScope(DefaultDomain, DefaultUser, DefaultPassword, scope)),
				http.StatusUnauthorized, "Unauthorized", "The request you have made requires authentication.")
		})
	}
}

func TestTokenMalformed(t *testing.T) {
	e := newEnv(t, Options{})
	good := tokenJSON(DefaultDomain, DefaultUser, DefaultPassword)
	cases := map[string]string{
		"not json":         `{"auth":`,
		"empty":            ``,
		"array":            `[]`,
		"no auth":          `{}`,
		"token method":     strings.Replace(good, `["password"]`, `["token"]`, 1),
		"no password blob": `{"auth":{"identity":{"methods":["password"]},"scope":{"project":{"name":"cn-north-4"}}}}`,
		"no user name":     strings.Replace(good, `"name":"demo-user"`, `"name":""`, 1),
		"no domain":        strings.Replace(good, `"domain":{"name":"demo-domain"},`, ``, 1),
		"no password":      strings.Replace(good, `"password":"demo-password"`, `"password":""`, 1),
		"no scope":         strings.Replace(good, `,"scope":{"project":{"name":"cn-north-4"}}`, ``, 1),
		"empty scope":      strings.Replace(good, `{"project":{"name":"cn-north-4"}}`, `{"project":{}}`, 1),
		"two scopes":       strings.Replace(good, `{"project":{"name":"cn-north-4"}}`, `{"project":{"name":"cn-north-4"},"domain":{"name":"demo-domain"}}`, 1),
		"wrong types":      strings.Replace(good, `"password":"demo-password"`, `"password":42`, 1),
	}
	if !strings.Contains(good, `"password":"demo-password"`) || !strings.Contains(good, `,"scope":{"project":{"name":"cn-north-4"}}`) {
		t.Fatalf("test fixture changed shape: %s", good)
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			r := e.postToken(body)
			b := wantErr(t, r, http.StatusBadRequest, "IAM.0011", false)
			if b.ErrorMsg != "Request body is invalid." {
				t.Fatalf("error_msg = %q", b.ErrorMsg)
			}
		})
	}
}

func TestTokenMethodNotAllowed(t *testing.T) {
	e := newEnv(t, Options{})
	r := e.do(e.newRequest(context.Background(), http.MethodGet, "/v3/auth/tokens", ""))
	if r.status != http.StatusMethodNotAllowed || r.header.Get("Allow") != http.MethodPost {
		t.Fatalf("GET token: %d Allow=%q", r.status, r.header.Get("Allow"))
	}
	if e.sim.IAMRequests() != 1 {
		t.Fatalf("IAMRequests = %d, want 1 (any outcome counts)", e.sim.IAMRequests())
	}
}

func TestSetPasswordRevokesThatUsersTokens(t *testing.T) {
	e := newEnv(t, Options{})
	e.sim.SetTask(Task{ID: "t", Status: IntPtr(2)})
	e.sim.SetPassword("acme", "bob", "pw1") // new user
	old := e.token()
	bobBody := tokenJSON("acme", "bob", "pw1")
	r := e.postToken(bobBody)
	if r.status != http.StatusCreated {
		t.Fatalf("new user login: %d %s", r.status, r.body)
	}
	bob := r.header.Get("X-Subject-Token")

	e.sim.SetPassword(DefaultDomain, DefaultUser, DefaultPassword) // unchanged: tokens survive
	if r := e.progress("t", old); r.status != http.StatusOK {
		t.Fatalf("same password must not revoke: %d %s", r.status, r.body)
	}

	e.sim.SetPassword(DefaultDomain, DefaultUser, "rotated")
	wantErr(t, e.progress("t", old), http.StatusUnauthorized, "APIGW.0301", true)
	if r := e.progress("t", bob); r.status != http.StatusOK {
		t.Fatalf("another user's token must survive: %d %s", r.status, r.body)
	}
	wantKeystone(t, e.postToken(tokenJSON(DefaultDomain, DefaultUser, DefaultPassword)),
		http.StatusUnauthorized, "Unauthorized", "The username or password is wrong.")
	if r := e.postToken(tokenJSON(DefaultDomain, DefaultUser, "rotated")); r.status != http.StatusCreated {
		t.Fatalf("login with the new password: %d %s", r.status, r.body)
	}
}
