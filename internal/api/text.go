package api

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// What an *Error keeps of the text an API sent back is bounded and redacted
// before the error exists, because errors are logged and kept: an API that
// answers with a megabyte of error_msg must not cost a megabyte per task,
// and one that echoes the request (the IAM password in its body, its token
// headers) must not put a credential in a log. Each bound counts bytes as a
// log handler writes them quoted ('"' and '\' twice), after what it would
// escape is replaced by a space or U+FFFD: an Error() stays under about
// 900 bytes, and a log line carrying one under 2 KiB.
const (
	MaxMessageLen   = 256
	MaxRequestIDLen = 256 // API Gateway's are 32 hex characters
	// MaxEncodedAuthorizationMessageLen: it is logged at debug level with
	// the error, on one line that must stay under 2 KiB.
	MaxEncodedAuthorizationMessageLen = 768
	// maxErrTextLen bounds the text of Error.Err (a transport error naming
	// the URL, a decoding error quoting a few bytes of the body).
	maxErrTextLen = 256
)

const (
	CutMark  = "...[cut]" // ends a text cut to its bound
	Redacted = "<secret>" // replaces a secret in text an API sent back
)

// redactor redacts a set of secrets in every form an API may echo them in:
// as sent, JSON-escaped with and without HTML escaping (an echoed request
// body), and URL-escaped.
type redactor struct {
	longest int // of the forms
	repl    *strings.Replacer
}

func newRedactor(secrets []string) *redactor {
	var forms []string
	for _, s := range secrets {
		if s == "" {
			continue
		}
		var b strings.Builder
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(s) // a string always encodes
		plain := strings.TrimSpace(b.String())
		html, _ := json.Marshal(s)
		forms = append(forms, s, url.QueryEscape(s), url.PathEscape(s), plain[1:len(plain)-1], string(html[1:len(html)-1]))
	}
	// Longest first: of the forms found at one place the Replacer takes
	// the first, and a form containing another must be replaced whole.
	slices.SortFunc(forms, func(a, b string) int { return len(b) - len(a) })
	r := &redactor{}
	pairs := make([]string, 0, 2*len(forms))
	for _, f := range forms {
		r.longest = max(r.longest, len(f))
		pairs = append(pairs, f, Redacted)
	}
	r.repl = strings.NewReplacer(pairs...)
	return r
}

// requestSecrets are the credentials req carried: the IAM token, the
// security token of temporary access keys, and the AK/SK signature (and
// the whole Authorization header it is part of).
func requestSecrets(req *http.Request) []string {
	var out []string
	for _, h := range []string{"X-Auth-Token", "X-Security-Token", "Authorization"} {
		out = append(out, req.Header.Values(h)...)
	}
	for _, v := range req.Header.Values("Authorization") {
		if _, sig, ok := strings.Cut(v, "Signature="); ok {
			sig, _, _ = strings.Cut(sig, ",")
			out = append(out, strings.TrimSpace(sig))
		}
	}
	return out
}

// bound returns s redacted, made printable and cut to limit bytes as
// weighed above, marked with CutMark when cut. The result never shares
// memory with s, so a huge answer is not kept alive by a short excerpt.
func (r *redactor) bound(s string, limit int) string {
	cut := false
	if window := limit + r.longest; len(s) > window {
		// Only the start can be kept. A secret that starts in the window
		// and runs past it cannot be recognised there: the window's last
		// longest-1 bytes are dropped after redacting, which removes it.
		s, cut = s[:window], true
	}
	s = r.repl.Replace(s)
	if cut && r.longest > 1 {
		s = s[:max(0, len(s)-(r.longest-1))]
	}
	return printable(s, limit, cut)
}

// printable is s with non-printable characters replaced, cut to limit
// bytes weighed as quoted (see above); cut marks it cut even if it fits.
func printable(s string, limit int, cut bool) string {
	var b strings.Builder
	b.Grow(min(len(s), limit))
	weight, markAt := 0, -1 // markAt: b.Len() when a CutMark would first not fit after it
	for _, r := range s {   // invalid UTF-8 reads as utf8.RuneError
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			r = ' '
		case !unicode.IsPrint(r) && r != ' ':
			r = utf8.RuneError
		}
		w := utf8.RuneLen(r)
		if r == '"' || r == '\\' {
			w = 2
		}
		if markAt < 0 && weight+w > limit-len(CutMark) {
			markAt = b.Len()
		}
		if weight += w; weight > limit {
			cut = true
			break
		}
		b.WriteRune(r)
	}
	if !cut {
		return b.String()
	}
	if markAt < 0 {
		markAt = b.Len()
	}
	return b.String()[:markAt] + CutMark
}

// textError is an error whose text was redacted or bounded; it still
// unwraps to the original, so errors.Is and errors.As see through it.
type textError struct {
	text string
	err  error
}

func (e *textError) Error() string { return e.text }
func (e *textError) Unwrap() error { return e.err }

// scrub bounds and redacts every text field of e in place.
func (r *redactor) scrub(e *Error) {
	e.Message = r.bound(e.Message, MaxMessageLen)
	e.RequestID = r.bound(e.RequestID, MaxRequestIDLen)
	e.EncodedAuthorizationMessage = r.bound(e.EncodedAuthorizationMessage, MaxEncodedAuthorizationMessageLen)
	if e.Err != nil {
		text := e.Err.Error()
		if bounded := r.bound(text, maxErrTextLen); bounded != text {
			e.Err = &textError{text: bounded, err: e.Err}
		}
	}
}
