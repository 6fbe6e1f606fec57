package fakecloud

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

// API Gateway's AK/SK signature check (SDK-HMAC-SHA256), written from
// API Gateway's public signing guide ("AK/SK-based authentication") and NOT
// from the SDK: it is the oracle the exporter's SDK-signed requests are tested
// against, so sharing code with the signer would prove nothing.
// aksk_test.go checks it against the SDK signer once more.

const (
	signAlgorithm = "SDK-HMAC-SHA256"
	sdkDateFormat = "20060102T150405Z"
	// maxClockSkew is how far X-Sdk-Date may be from the gateway's clock.
	maxClockSkew = 15 * time.Minute
	// unsignedPayload in X-Sdk-Content-Sha256 exempts the body.
	unsignedPayload = "UNSIGNED-PAYLOAD"
)

// AccessKey is an access key pair the simulated gateway accepts.
type AccessKey struct {
	ID     string // AK
	Secret string // SK
	// SecurityToken, when set, makes these temporary credentials: requests
	// must carry it, signed, in X-Security-Token.
	SecurityToken string
	// ProjectID, when set, is the IAM project requests must name, signed,
	// in X-Project-Id.
	ProjectID string
}

// akskState is the gateway's AK/SK side, guarded by Server.mu.
type akskState struct {
	keys map[string]AccessKey // by ID
}

// AddAccessKey makes the gateway accept requests signed with k (replacing
// a key with the same ID).
func (s *Server) AddAccessKey(k AccessKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.aksk.keys == nil {
		s.aksk.keys = map[string]AccessKey{}
	}
	s.aksk.keys[k.ID] = k
}

// RemoveAccessKey makes the gateway refuse the key from now on.
func (s *Server) RemoveAccessKey(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.aksk.keys, id)
}

// authorize checks the credentials of a CodeArts Check request and returns
// the error to send, or nil to let it through. As API Gateway does, it
// tells the two ways to authenticate apart by the request itself: one
// carrying an SDK-HMAC-SHA256 Authorization header is checked as signed;
// any other goes to the token check, which refuses it when it has no token
// either (so a request with neither is refused with APIGW.0301).
func (s *Server) authorize(r *http.Request) *Error {
	if isSigned(r) {
		return s.authorizeSignature(r)
	}
	return s.authorizeToken(r)
}

// isSigned reports whether r carries an SDK-HMAC-SHA256 signature.
func isSigned(r *http.Request) bool {
	return strings.HasPrefix(r.Header.Get("Authorization"), signAlgorithm+" ")
}

func signatureError(msg string) *Error {
	return GatewayError(http.StatusUnauthorized, "APIGW.0301", "Incorrect IAM authentication information: "+msg)
}

// authorizeSignature checks a signed request and records the outcome.
func (s *Server) authorizeSignature(r *http.Request) *Error {
	return s.recordSignature(s.checkSignature(r, true))
}

// authorizeSignatureNoProject is authorizeSignature for the IAM project
// list, which a client calls to learn its project: X-Project-Id is not
// required there, but checked like any signed header when sent.
func (s *Server) authorizeSignatureNoProject(r *http.Request) *Error {
	return s.recordSignature(s.checkSignature(r, r.Header.Get("X-Project-Id") != ""))
}

// recordSignature tells Hooks.Signed the outcome of a signature check.
func (s *Server) recordSignature(signed []string, e *Error) *Error {
	if s.hooks.Signed != nil {
		s.hooks.Signed(signed, e == nil)
	}
	return e
}

// checkSignature returns the signed header names of a valid request.
// withProject: the request must name the key's project, if it has one.
func (s *Server) checkSignature(r *http.Request, withProject bool) ([]string, *Error) {
	access, signedList, signature, ok := parseAuthorization(r.Header.Get("Authorization"))
	if !ok {
		return nil, signatureError("malformed Authorization header")
	}
	s.mu.Lock()
	key, known := s.aksk.keys[access]
	now := s.now()
	s.mu.Unlock()
	if !known {
		return nil, signatureError("AK not found")
	}
	signed := strings.Split(signedList, ";")
	isSigned := func(name string) bool {
		for _, h := range signed {
			if h == name {
				return true
			}
		}
		return false
	}
	date := r.Header.Get("X-Sdk-Date")
	t, err := time.Parse(sdkDateFormat, date)
	if err != nil || !isSigned("x-sdk-date") {
		return nil, signatureError("X-Sdk-Date missing, unsigned or malformed")
	}
	if skew := now.Sub(t); skew > maxClockSkew || skew < -maxClockSkew {
		return nil, signatureError("request expired: X-Sdk-Date is more than 15 minutes from the server's time")
	}
	if key.SecurityToken != "" && (r.Header.Get("X-Security-Token") != key.SecurityToken || !isSigned("x-security-token")) {
		return nil, signatureError("security token missing, unsigned or wrong")
	}
	if withProject && key.ProjectID != "" && (r.Header.Get("X-Project-Id") != key.ProjectID || !isSigned("x-project-id")) {
		return nil, signatureError("X-Project-Id missing, unsigned or not the key's project")
	}
	bodyHash, err := payloadHash(r)
	if err != nil {
		return nil, signatureError("unreadable body")
	}
	canonical := canonicalRequest(r, signed, bodyHash)
	want := sign(key.Secret, date, canonical)
	if !hmac.Equal([]byte(want), []byte(signature)) {
		return nil, signatureError("verify aksk signature fail")
	}
	return signed, nil
}

// parseAuthorization splits
// "SDK-HMAC-SHA256 Access=AK, SignedHeaders=a;b, Signature=hex".
func parseAuthorization(v string) (access, signedHeaders, signature string, ok bool) {
	rest, ok := strings.CutPrefix(v, signAlgorithm+" ")
	if !ok {
		return "", "", "", false
	}
	for _, part := range strings.Split(rest, ",") {
		name, value, found := strings.Cut(strings.TrimSpace(part), "=")
		if !found {
			return "", "", "", false
		}
		switch name {
		case "Access":
			access = value
		case "SignedHeaders":
			signedHeaders = value
		case "Signature":
			signature = value
		}
	}
	return access, signedHeaders, signature, access != "" && signedHeaders != "" && signature != ""
}

// payloadHash is hex(sha256(body)), or UNSIGNED-PAYLOAD when the request
// says so. The body is read whole; the simulator's routes take no body.
func payloadHash(r *http.Request) (string, error) {
	if r.Header.Get("X-Sdk-Content-Sha256") == unsignedPayload {
		return unsignedPayload, nil
	}
	var body []byte
	if r.Body != nil {
		var err error
		if body, err = io.ReadAll(io.LimitReader(r.Body, 1<<20)); err != nil {
			return "", err
		}
	}
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:]), nil
}

// canonicalRequest builds the canonical request of r as the gateway sees
// it on the wire:
//
//	METHOD \n URI \n QUERY \n HEADERS \n \n SIGNED_HEADERS \n BODY_HASH
//
// URI: each path segment unescaped then escaped again (RFC 3986 unreserved
// characters kept), with a trailing "/". QUERY: keys, and the values of
// each key, sorted, escaped the same way, joined with "&". HEADERS: one
// "name:trimmed value" line per signed header, in SignedHeaders order; the
// value of host is the Host the request was sent to.
func canonicalRequest(r *http.Request, signedHeaders []string, bodyHash string) string {
	segments := strings.Split(r.URL.EscapedPath(), "/")
	for i, seg := range segments {
		if u, err := url.PathUnescape(seg); err == nil {
			seg = u
		}
		segments[i] = escapeRFC3986(seg)
	}
	uri := strings.Join(segments, "/")
	if !strings.HasSuffix(uri, "/") {
		uri += "/"
	}

	query := r.URL.Query()
	keys := make([]string, 0, len(query))
	for k := range query {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var pairs []string
	for _, k := range keys {
		values := append([]string(nil), query[k]...)
		sort.Strings(values)
		for _, v := range values {
			pairs = append(pairs, escapeRFC3986(k)+"="+escapeRFC3986(v))
		}
	}

	var headers strings.Builder
	for _, name := range signedHeaders {
		values := r.Header.Values(name)
		if name == "host" {
			values = []string{r.Host}
		}
		values = append([]string(nil), values...)
		sort.Strings(values)
		for _, v := range values {
			headers.WriteString(name + ":" + strings.TrimSpace(v) + "\n")
		}
	}
	return strings.Join([]string{
		r.Method, uri, strings.Join(pairs, "&"), headers.String(), strings.Join(signedHeaders, ";"), bodyHash,
	}, "\n")
}

// sign is hex(HMAC-SHA256(secret, string to sign)), the string to sign
// being "SDK-HMAC-SHA256 \n X-Sdk-Date \n hex(sha256(canonical request))".
func sign(secret, sdkDate, canonicalRequest string) string {
	sum := sha256.Sum256([]byte(canonicalRequest))
	stringToSign := signAlgorithm + "\n" + sdkDate + "\n" + hex.EncodeToString(sum[:])
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(stringToSign))
	return hex.EncodeToString(mac.Sum(nil))
}

// escapeRFC3986 percent-encodes every byte but A-Z a-z 0-9 - _ . ~, in
// upper-case hex.
func escapeRFC3986(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteString("%" + strings.ToUpper(hex.EncodeToString([]byte{c})))
	}
	return b.String()
}
