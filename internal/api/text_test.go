package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// weight is a text's length as a log handler writes it quoted, less the
// quotes: what the bounds of text.go count.
func weight(s string) int {
	return len(s) + strings.Count(s, `"`) + strings.Count(s, `\`)
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

// The credentials a request carries and the configured secrets, in every
// form an API may echo them in.
const (
	echoToken     = `MIItoken"<tok>&`
	echoSTS       = "sts-Token/+="
	echoSignature = "abc123def456"
	echoPassword  = `pa"ss<wörd>&1 x/y`
	echoSecretKey = "sk-Secret/Key+="
)

var (
	echoAuthorization = "SDK-HMAC-SHA256 Access=AK1, SignedHeaders=host;x-sdk-date, Signature=" + echoSignature
	echoForms         = map[string]func(string) string{
		"as sent": func(s string) string { return s },
		"json": func(s string) string {
			b, _ := json.Marshal(s)
			return string(b[1 : len(b)-1])
		},
		"json without html escaping": func(s string) string {
			var b strings.Builder
			enc := json.NewEncoder(&b)
			enc.SetEscapeHTML(false)
			_ = enc.Encode(s)
			quoted := strings.TrimSpace(b.String())
			return quoted[1 : len(quoted)-1]
		},
		"query": url.QueryEscape,
		"path":  url.PathEscape,
	}
)

// echoServer answers every request with the text of its X-Echo header,
// repeated X-Echo-Repeat times, in the place of the answer X-Echo-Place
// names, with the status of X-Echo-Status: a backend echoing the request
// back, as hostile as can be.
func echoServer(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		repeat, _ := strconv.Atoi(r.Header.Get("X-Echo-Repeat"))
		text := strings.Repeat(r.Header.Get("X-Echo"), max(repeat, 1))
		status, _ := strconv.Atoi(r.Header.Get("X-Echo-Status"))
		body := map[string]any{"error_code": "CC.00050012", "error_msg": "retry later"}
		switch r.Header.Get("X-Echo-Place") {
		case "error_msg":
			body["error_msg"] = text
		case "request_id":
			body["request_id"] = text
		case "X-Request-Id":
			w.Header().Set("X-Request-Id", text)
			body = nil
		case "encoded_authorization_message":
			body["encoded_authorization_message"] = text
		case "keystone message":
			body = map[string]any{"error": map[string]any{"code": 401, "message": text}}
		case "decoding error":
			w.WriteHeader(status)
			fmt.Fprintf(w, "<html>%s</html>", text) // the decoder below quotes it
			return
		}
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

var errNotAnAnswer = errors.New("not an answer")

// Every text an *Error keeps of an answer, whatever the status, is
// bounded, marked when cut, and holds no secret in any form: neither the
// request's own credentials (IAM token, security token, AK/SK signature
// and its whole header) nor the configured ones (password, secret key).
func TestCallerScrubsEveryText(t *testing.T) {
	srv := echoServer(t)
	caller := &Caller{Client: srv.Client(), Secrets: func() []string { return []string{echoPassword, echoSecretKey} }}
	secrets := []string{echoToken, echoSTS, echoSignature, echoAuthorization, echoPassword, echoSecretKey}
	for _, place := range []struct {
		name   string
		status int
		kept   func(*Error) string
		bound  int
	}{
		{"error_msg", 200, func(e *Error) string { return e.Message }, MaxMessageLen},
		{"request_id", 429, func(e *Error) string { return e.RequestID }, MaxRequestIDLen},
		{"X-Request-Id", 403, func(e *Error) string { return e.RequestID }, MaxRequestIDLen},
		{"encoded_authorization_message", 400, func(e *Error) string { return e.EncodedAuthorizationMessage },
			MaxEncodedAuthorizationMessageLen},
		{"keystone message", 401, func(e *Error) string { return e.Message }, MaxMessageLen},
		{"decoding error", 200, func(e *Error) string { return e.Err.Error() }, maxErrTextLen},
	} {
		for _, secret := range secrets {
			for formName, form := range echoForms {
				// Half a megabyte of text only in the body: a header that long is
				// refused before the answer is read.
				for _, repeat := range []int{1, 5_000} {
					if repeat > 1 && (place.name == "X-Request-Id" || formName != "as sent") {
						continue
					}
					what := fmt.Sprintf("%.12s... %s, %d times in %s", secret, formName, repeat, place.name)
					req, err := http.NewRequest(http.MethodGet, srv.URL, nil)
					if err != nil {
						t.Fatal(err)
					}
					req.Header.Set("X-Auth-Token", echoToken)
					req.Header.Set("X-Security-Token", echoSTS)
					req.Header.Set("Authorization", echoAuthorization)
					req.Header.Set("X-Echo", "echo: "+form(secret)+" ")
					req.Header.Set("X-Echo-Repeat", strconv.Itoa(repeat))
					req.Header.Set("X-Echo-Place", place.name)
					req.Header.Set("X-Echo-Status", strconv.Itoa(place.status))
					err = caller.Do(req, "echo", func(r *Response) error { return fmt.Errorf("%w: %s", errNotAnAnswer, r.Body) })
					var e *Error
					if !errors.As(err, &e) || e.HTTPStatus != place.status {
						t.Fatalf("%s: err %v, want an *Error of HTTP %d", what, err, place.status)
					}
					kept := place.kept(e)
					// Cut after redacting, a long secret may take the mark with it.
					if repeat == 1 && !strings.Contains(kept, "echo: "+Redacted) {
						t.Errorf("%s: %q, want the secret marked %s", what, kept, Redacted)
					}
					for _, s := range secrets {
						for _, f := range echoForms {
							if strings.Contains(kept+err.Error(), f(s)) {
								t.Errorf("%s: %q holds %q", what, kept, f(s))
							}
						}
					}
					if weight(kept) > place.bound || strings.HasSuffix(kept, CutMark) != (repeat > 1) || len(err.Error()) > 900 {
						t.Errorf("%s: %d bytes (%.40q...), Error() %d bytes", what, len(kept), kept, len(err.Error()))
					}
					if place.name == "decoding error" && !errors.Is(err, errNotAnAnswer) {
						t.Errorf("%s: the bounded error no longer unwraps to the decoder's", what)
					}
				}
			}
		}
	}
}
