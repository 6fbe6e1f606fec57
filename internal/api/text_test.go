package api

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"
)

// weight is a text's length as a log handler writes it quoted, less the
// quotes: what the bounds of text.go count.
func weight(s string) int {
	return len(s) + strings.Count(s, `"`) + strings.Count(s, `\`)
}

func TestBoundRedactsEveryForm(t *testing.T) {
	const pw = `pa"ss<wörd>&1`
	r := newRedactor([]string{pw, "tok-123"})
	for _, text := range []string{
		"wrong password " + pw,
		`{"auth":{"password":"pa\"ss\u003cwörd\u003e\u00261"}}`, // json.Marshal, HTML-escaped
		`{"password":"pa\"ss<wörd>&1"}`,                         // JSON without HTML escaping
		"password=pa%22ss%3Cw%C3%B6rd%3E%261",                   // URL-encoded
		"X-Auth-Token: tok-123",
	} {
		got := r.bound(text, MaxMessageLen)
		if strings.Contains(got, "pa") && strings.Contains(got, "wörd") || strings.Contains(got, "tok-123") {
			t.Errorf("bound(%q) = %q: the secret is still there", text, got)
		}
		if !strings.Contains(got, Redacted) {
			t.Errorf("bound(%q) = %q: no %s", text, got, Redacted)
		}
	}
}

// A secret that runs across the cut is not left half there, whatever was
// redacted before it.
func TestBoundCutsNoSecretInHalf(t *testing.T) {
	secret := strings.Repeat("S", 40)
	r := newRedactor([]string{secret})
	for pad := 0; pad < 400; pad++ {
		text := strings.Repeat(secret+" ", 5) + strings.Repeat("x", pad) + secret + strings.Repeat("y", 1000)
		got := r.bound(text, MaxMessageLen)
		if strings.Contains(got, "SSSS") {
			t.Fatalf("pad %d: %q keeps part of the secret", pad, got)
		}
		if weight(got) > MaxMessageLen || !strings.HasSuffix(got, CutMark) {
			t.Fatalf("pad %d: %q (weight %d) not cut to %d", pad, got, weight(got), MaxMessageLen)
		}
	}
}

func TestBoundCutsAndMarks(t *testing.T) {
	r := newRedactor(nil)
	for _, tc := range []struct{ in, want string }{
		{"short", "short"},
		{"", ""},
		{"tab\tand\nnewline", "tab and newline"},
		{"nul\x00 bell\a esc\x1b", "nul\uFFFD bell\uFFFD esc\uFFFD"},
		{"bad \xff utf8", "bad \uFFFD utf8"},
		{strings.Repeat("a", MaxMessageLen), strings.Repeat("a", MaxMessageLen)},
		{strings.Repeat("a", MaxMessageLen+1), strings.Repeat("a", MaxMessageLen-len(CutMark)) + CutMark},
		{strings.Repeat(`"`, MaxMessageLen), strings.Repeat(`"`, (MaxMessageLen-len(CutMark))/2) + CutMark},
		{strings.Repeat("界", 200), strings.Repeat("界", (MaxMessageLen-len(CutMark))/3) + CutMark},
	} {
		got := r.bound(tc.in, MaxMessageLen)
		if got != tc.want {
			t.Errorf("bound(%.40q...) = %.60q..., want %.60q...", tc.in, got, tc.want)
		}
		if !utf8.ValidString(got) || weight(got) > MaxMessageLen {
			t.Errorf("bound(%.40q...): weight %d, valid %v", tc.in, weight(got), utf8.ValidString(got))
		}
	}
}

// The request's own credentials are redacted: the IAM token, the security
// token, the AK/SK signature and its whole header.
func TestRequestSecrets(t *testing.T) {
	req, _ := http.NewRequest(http.MethodGet, "https://h/v2/tasks/a/progress", nil)
	req.Header.Set("X-Auth-Token", "MIItoken")
	req.Header.Set("X-Security-Token", "stsTOKEN")
	req.Header.Set("Authorization", "SDK-HMAC-SHA256 Access=AK1, SignedHeaders=host;x-sdk-date, Signature=abc123def")
	r := newRedactor(requestSecrets(req))
	got := r.bound("echo: MIItoken stsTOKEN sig abc123def", MaxMessageLen)
	if got != "echo: <secret> <secret> sig <secret>" {
		t.Errorf("got %q", got)
	}
}

func TestScrubKeepsTheErrorChain(t *testing.T) {
	base := errors.New(`json: cannot unmarshal number ` + strings.Repeat("9", 5000) + ` into Go value of type int`)
	e := &Error{Code: CodeInvalidResponse, Message: strings.Repeat("m", 10000), RequestID: strings.Repeat("r", 50000),
		EncodedAuthorizationMessage: strings.Repeat("e", 5000), Err: base}
	newRedactor(nil).scrub(e)
	if !errors.Is(e, base) {
		t.Error("the bounded error no longer unwraps to the original")
	}
	if len(e.Err.Error()) > maxErrTextLen || weight(e.Message) > MaxMessageLen || weight(e.RequestID) > MaxRequestIDLen ||
		weight(e.EncodedAuthorizationMessage) > MaxEncodedAuthorizationMessageLen {
		t.Errorf("not bounded: err %d, message %d, request id %d, encoded %d bytes",
			len(e.Err.Error()), len(e.Message), len(e.RequestID), len(e.EncodedAuthorizationMessage))
	}
	if n := len(e.Error()); n > 900 {
		t.Errorf("Error() is %d bytes", n)
	}
}

// FuzzBound: whatever text and secret, the result is valid, printable
// UTF-8 within its bound, and holds no secret of 4 bytes or more.
func FuzzBound(f *testing.F) {
	f.Add("wrong password hunter2", "hunter2", 64)
	f.Add(strings.Repeat(`"\`, 300), `\"`, 256)
	f.Add("a\x00b\xffc"+strings.Repeat("界", 100), "界界", 16)
	f.Fuzz(func(t *testing.T, text, secret string, limit int) {
		limit = len(CutMark) + (limit&0x3ff+0x3ff)%0x3ff
		got := newRedactor([]string{secret}).bound(text, limit)
		if !utf8.ValidString(got) || weight(got) > limit {
			t.Fatalf("bound(%q, %d) = %q: weight %d, valid %v", text, limit, got, weight(got), utf8.ValidString(got))
		}
		for _, r := range got {
			if r != ' ' && (r < ' ' || r == 0x7f) {
				t.Fatalf("bound(%q) = %q keeps a control character", text, got)
			}
		}
		if len(secret) >= 4 && utf8.ValidString(secret) && !strings.ContainsAny(secret, "\t\n\r") && strings.Contains(got, secret) &&
			!strings.Contains(Redacted+CutMark, secret) {
			t.Fatalf("bound(%q) = %q keeps the secret %q", text, got, secret)
		}
	})
}
