package fakecloud

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"time"
)

// IAM side of the simulator: POST /v3/auth/tokens with the password method,
// the token store, and the calls tests use to invalidate tokens.
//
// Choices where the IAM API reference (KeystoneCreateUserTokenByPassword)
// leaves room:
//   - A scope is required (project by name or id, or domain by name or id).
//     Real IAM would issue an unscoped token, but such a token cannot call a
//     regional service, so a request without a scope is a client bug and is
//     answered 400 IAM.0011 to make it visible.
//   - An unknown project (or a domain other than the user's) is answered
//     401 in keystone style, as keystone does for scoping failures; the
//     credentials are checked first, so a wrong password always reads as such.
//   - The only project is DefaultProject / DefaultProjectID; every domain has it.
//   - User and domain IDs are derived from their names (see nameID).

// tokenTimeLayout is IAM's timestamp format: microseconds and a literal Z.
const tokenTimeLayout = "2006-01-02T15:04:05.000000Z"

// maxTokenRequestBody bounds what the token endpoint reads; real bodies are
// a few hundred bytes.
const maxTokenRequestBody = 64 << 10

type userKey struct{ domain, name string }

// tokenRecord is what the simulator remembers about an issued token. Token
// values are only ever map keys and header values: never logged or printed.
type tokenRecord struct {
	user      userKey
	expiresAt time.Time
	revoked   bool // RevokeTokens or a password change: 401 APIGW.0301
	expired   bool // ExpireTokens: 401 CC.00000003, as if expires_at had passed
}

// nameOrID is the {"name"} / {"id"} object IAM uses for domains and projects.
type nameOrID struct {
	ID   string `json:"id,omitempty"`
	Name string `json:"name,omitempty"`
}

type tokenRequest struct {
	Auth *struct {
		Identity *struct {
			Methods  []string `json:"methods"`
			Password *struct {
				User *struct {
					Domain   *nameOrID `json:"domain"`
					Name     string    `json:"name"`
					Password string    `json:"password"`
				} `json:"user"`
			} `json:"password"`
		} `json:"identity"`
		Scope *struct {
			Project *nameOrID `json:"project"`
			Domain  *nameOrID `json:"domain"`
		} `json:"scope"`
	} `json:"auth"`
}

// credentials is a syntactically valid token request.
type credentials struct {
	domain      nameOrID
	user        string
	password    string
	project     *nameOrID // exactly one of project and scopeDomain is set
	scopeDomain *nameOrID
}

func (s *Server) serveToken(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeKeystoneError(w, http.StatusMethodNotAllowed, "Method Not Allowed",
			"The method is not allowed for the requested URL.")
		return
	}
	if s.intercept(w, r, CallIAMToken, "") {
		return
	}

	creds, ok := parseTokenRequest(http.MaxBytesReader(w, r.Body, maxTokenRequestBody))
	if !ok {
		ServiceError(http.StatusBadRequest, "IAM.0011", "Request body is invalid.").Write(w)
		return
	}

	key, tok, issued, expires, status := s.issueToken(creds)
	switch status {
	case issueBadCredentials:
		writeKeystoneError(w, http.StatusUnauthorized, "Unauthorized", "The username or password is wrong.")
	case issueBadScope:
		writeKeystoneError(w, http.StatusUnauthorized, "Unauthorized",
			"The request you have made requires authentication.")
	default:
		w.Header().Set("X-Subject-Token", tok)
		WriteJSON(w, http.StatusCreated, tokenResponse(key, creds, issued, expires))
	}
}

type issueStatus int

const (
	issueOK issueStatus = iota
	issueBadCredentials
	issueBadScope
)

// issueToken checks the credentials and scope and, if they are good,
// records a new token. It only holds the lock for the bookkeeping, never
// while a response is written to a possibly slow client.
func (s *Server) issueToken(c credentials) (key userKey, tok string, issued, expires time.Time, st issueStatus) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key = userKey{c.domain.Name, c.user}
	if c.domain.Name == "" {
		key.domain = s.domainByID(c.domain.ID)
	}
	if pw, known := s.users[key]; !known || key.domain == "" || pw != c.password {
		return key, "", issued, expires, issueBadCredentials
	}
	if !scopeAllowed(key.domain, c) {
		return key, "", issued, expires, issueBadScope
	}
	issued = s.now()
	expires = issued.Add(s.tokenTTL)
	tok = newTokenValue()
	s.tokens[tok] = &tokenRecord{user: key, expiresAt: expires}
	return key, tok, issued, expires, issueOK
}

// parseTokenRequest accepts exactly the password method with a user named
// inside a domain and one scope; anything else is "Request body is invalid."
func parseTokenRequest(body io.Reader) (credentials, bool) {
	var req tokenRequest
	if err := json.NewDecoder(body).Decode(&req); err != nil {
		return credentials{}, false
	}
	a := req.Auth
	if a == nil || a.Identity == nil || a.Identity.Password == nil || a.Identity.Password.User == nil || a.Scope == nil {
		return credentials{}, false
	}
	hasPassword := false
	for _, m := range a.Identity.Methods {
		if m == "password" {
			hasPassword = true
		}
	}
	u := a.Identity.Password.User
	if !hasPassword || u.Domain == nil || (u.Domain.Name == "" && u.Domain.ID == "") || u.Name == "" || u.Password == "" {
		return credentials{}, false
	}
	p, d := a.Scope.Project, a.Scope.Domain
	if (p == nil) == (d == nil) {
		return credentials{}, false // no scope, or both
	}
	if sc := firstNonNil(p, d); sc.Name == "" && sc.ID == "" {
		return credentials{}, false
	}
	return credentials{
		domain:      *u.Domain,
		user:        u.Name,
		password:    u.Password,
		project:     p,
		scopeDomain: d,
	}, true
}

func firstNonNil(a, b *nameOrID) *nameOrID {
	if a != nil {
		return a
	}
	return b
}

// domainByID maps a derived domain ID back to a known domain name, or "".
// Requires s.mu.
func (s *Server) domainByID(id string) string {
	for k := range s.users {
		if nameID("domain", k.domain) == id {
			return k.domain
		}
	}
	return ""
}

// scopeAllowed reports whether the requested scope exists for the user's
// domain. Given fields must all match (a name and an id that disagree fail).
func scopeAllowed(domain string, c credentials) bool {
	if p := c.project; p != nil {
		return (p.Name == "" || p.Name == DefaultProject) && (p.ID == "" || p.ID == DefaultProjectID)
	}
	d := c.scopeDomain
	return (d.Name == "" || d.Name == domain) && (d.ID == "" || d.ID == nameID("domain", domain))
}

func tokenResponse(key userKey, c credentials, issued, expires time.Time) any {
	type ref struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	}
	type project struct {
		ID     string `json:"id"`
		Name   string `json:"name"`
		Domain ref    `json:"domain"`
	}
	type user struct {
		ID                string `json:"id"`
		Name              string `json:"name"`
		Domain            ref    `json:"domain"`
		PasswordExpiresAt string `json:"password_expires_at"`
	}
	type token struct {
		ExpiresAt string   `json:"expires_at"`
		IssuedAt  string   `json:"issued_at"`
		Methods   []string `json:"methods"`
		Project   *project `json:"project,omitempty"`
		Domain    *ref     `json:"domain,omitempty"`
		User      user     `json:"user"`
		Roles     []ref    `json:"roles"`
		Catalog   []any    `json:"catalog"`
	}
	dom := ref{ID: nameID("domain", key.domain), Name: key.domain}
	t := token{
		ExpiresAt: expires.UTC().Format(tokenTimeLayout),
		IssuedAt:  issued.UTC().Format(tokenTimeLayout),
		Methods:   []string{"password"},
		User:      user{ID: nameID("user", key.domain+"/"+key.name), Name: key.name, Domain: dom},
		Roles:     []ref{},
		Catalog:   []any{},
	}
	if c.project != nil {
		t.Project = &project{ID: DefaultProjectID, Name: DefaultProject, Domain: dom}
	} else {
		t.Domain = &dom
	}
	return struct {
		Token token `json:"token"`
	}{t}
}

func writeKeystoneError(w http.ResponseWriter, status int, title, msg string) {
	type detail struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
		Title   string `json:"title"`
	}
	WriteJSON(w, status, struct {
		Error detail `json:"error"`
	}{detail{status, msg, title}})
}

// newTokenValue returns a long opaque token shaped like IAM's (they start
// with "MII" and run to thousands of characters), so clients that cap or
// log header sizes are exercised realistically.
func newTokenValue() string {
	var b [600]byte
	_, _ = rand.Read(b[:])
	return "MIIT" + base64.RawURLEncoding.EncodeToString(b[:])
}

// DomainID is the ID of the domain named name.
func DomainID(name string) string { return nameID("domain", name) }

// nameID derives a stable 32-hex ID for a domain or user name.
func nameID(kind, name string) string {
	sum := sha256.Sum256([]byte(kind + "\x00" + name))
	return hex.EncodeToString(sum[:16])
}

// SetPassword changes a user's password, adding the user if needed. As in
// real IAM, changing an existing user's password to a different value makes
// that user's tokens stop working at once (401 APIGW.0301); setting the same
// password, or adding a new user, leaves tokens alone.
func (s *Server) SetPassword(domain, user, password string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := userKey{domain, user}
	if old, ok := s.users[key]; ok && old != password {
		for _, rec := range s.tokens {
			if rec.user == key {
				rec.revoked = true
			}
		}
	}
	s.users[key] = password
}

// RevokeTokens makes every token issued so far stop working (401
// APIGW.0301), as after a permission change. Tokens issued later work.
func (s *Server) RevokeTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, rec := range s.tokens {
		rec.revoked = true
	}
}

// ExpireTokens makes every token issued so far expired (401 CC.00000003)
// without moving the clock. Tokens issued later work.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, rec := range s.tokens {
		rec.expired = true
	}
}

// authorizeToken checks the X-Auth-Token of a request (see authorize).
func (s *Server) authorizeToken(r *http.Request) *Error {
	tok := r.Header.Get("X-Auth-Token")
	if tok == "" {
		return GatewayError(http.StatusUnauthorized, "APIGW.0301",
			"Incorrect IAM authentication information: x-auth-token not found")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.tokens[tok]
	switch {
	case !ok:
		return GatewayError(http.StatusUnauthorized, "APIGW.0301",
			"Incorrect IAM authentication information: decrypt token fail")
	case rec.revoked:
		return GatewayError(http.StatusUnauthorized, "APIGW.0301",
			"Incorrect IAM authentication information: verify token fail")
	case rec.expired || !s.now().Before(rec.expiresAt):
		return ServiceError(http.StatusUnauthorized, "CC.00000003", Text(r, "认证信息过期", "Authentication information expired"))
	}
	return nil
}
