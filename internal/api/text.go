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

// What an *Error keeps of the text an API sent back (error_msg, request
// IDs, the encoded authorization message, body text quoted in a decoding
// error) is bounded and redacted before the error exists, because errors
// are logged and kept until a collection ends: a hostile or broken API
// that answers every task with a megabyte of error_msg must not cost a
// megabyte per task, nor write a megabyte log line; and an API that echoes
// the request (its body with the IAM password, its token headers) must not
// put a credential in a log.
//
// Each bound counts bytes as a log handler writes them quoted: '"' and
// '\' count twice, and characters that a handler would escape (control
// and other non-printable characters, invalid UTF-8) are replaced by a
// space or U+FFFD first. So an Error() stays under about 900 bytes however
// the API writes, and a log line carrying one stays under 2 KiB.
const (
	// MaxMessageLen bounds Error.Message.
	MaxMessageLen = 256
	// MaxRequestIDLen bounds Error.RequestID (API Gateway's are 32 hex
	// characters).
	MaxRequestIDLen = 256
	// MaxEncodedAuthorizationMessageLen bounds
	// Error.EncodedAuthorizationMessage. It is logged at debug level with
	// the error, on one line that must stay under 2 KiB.
	MaxEncodedAuthorizationMessageLen = 768
	// maxErrTextLen bounds the text of Error.Err (a transport error naming
	// the URL, a decoding error quoting a few bytes of the body).
	maxErrTextLen = 256
)

// CutMark ends a text cut to its bound.
const CutMark = "...[cut]"

// Redacted replaces a secret in text an API sent back.
const Redacted = "<secret>"

// Credential headers whose values are redacted from what the API answers
// to the request that carried them.
const (
	headerAuthToken     = "X-Auth-Token"
	headerSecurityToken = "X-Security-Token"
	headerAuthorization = "Authorization"
)

// redactor redacts a set of secrets, in every form an API may echo them
// in: as sent, JSON-escaped (in an echoed request body) and URL-escaped.
type redactor struct {
	forms   []string // longest first, none empty
	longest int
	repl    *strings.Replacer // nil when forms is empty
}

func newRedactor(secrets []string) *redactor {
	r := &redactor{}
	for _, s := range secrets {
		if s == "" {
			continue
		}
		r.forms = append(r.forms, s, url.QueryEscape(s), url.PathEscape(s))
		if b, err := json.Marshal(s); err == nil {
			r.forms = append(r.forms, string(b[1:len(b)-1]))
		}
		var b strings.Builder
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if enc.Encode(s) == nil {
			out := strings.TrimSuffix(b.String(), "\n")
			r.forms = append(r.forms, out[1:len(out)-1])
		}
	}
	slices.SortFunc(r.forms, func(a, b string) int { return len(b) - len(a) })
	r.forms = slices.Compact(r.forms)
	if len(r.forms) == 0 {
		return r
	}
	r.longest = len(r.forms[0])
	pairs := make([]string, 0, 2*len(r.forms))
	for _, f := range r.forms {
		pairs = append(pairs, f, Redacted)
	}
	r.repl = strings.NewReplacer(pairs...)
	return r
}

// requestSecrets are the credentials req carried: the IAM token, the
// security token of temporary access keys, and the AK/SK signature (and
// the whole Authorization header it is part of).
func requestSecrets(req *http.Request) []string {
	if req == nil {
		return nil
	}
	var out []string
	for _, h := range []string{headerAuthToken, headerSecurityToken, headerAuthorization} {
		out = append(out, req.Header.Values(h)...)
	}
	for _, v := range req.Header.Values(headerAuthorization) {
		if _, sig, ok := strings.Cut(v, "Signature="); ok {
			sig, _, _ = strings.Cut(sig, ",")
			out = append(out, strings.TrimSpace(sig))
		}
	}
	return out
}

// bound returns s redacted, made printable and cut to max bytes as
// weighed above, marked with CutMark when cut. The result never shares
// memory with s, so a huge answer is not kept alive by a short excerpt.
func (r *redactor) bound(s string, limit int) string {
	cut := false
	if window := limit + r.longest; len(s) > window {
		// Only the start can be kept; redacting all of a huge text would
		// cost time for nothing. A secret that starts within the window
		// and runs past it is partly in the window, where the redaction
		// cannot recognise it: the window's last longest-1 bytes are
		// dropped after redacting, which removes any such part.
		s, cut = s[:window], true
	}
	if r.repl != nil {
		s = r.repl.Replace(s)
	}
	if cut && r.longest > 1 {
		s = s[:max(0, len(s)-(r.longest-1))]
	}
	return printable(s, limit, cut)
}

// printable is s with non-printable characters replaced, cut to limit
// bytes weighed as quoted (see above); forceMark marks it cut even if it
// fits.
func printable(s string, limit int, forceMark bool) string {
	var b strings.Builder
	b.Grow(min(len(s), limit))
	weight := 0
	markLimit := limit - len(CutMark)
	markAt := -1 // b.Len() when weight first went past limit
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == utf8.RuneError && size <= 1:
			r = utf8.RuneError
		case r == '\t' || r == '\n' || r == '\r':
			r = ' '
		case !unicode.IsPrint(r) && r != ' ':
			r = utf8.RuneError
		}
		w := utf8.RuneLen(r)
		if r == '"' || r == '\\' {
			w = 2
		}
		if markAt < 0 && weight+w > markLimit {
			markAt = b.Len()
		}
		if weight+w > limit {
			return b.String()[:markAt] + CutMark
		}
		weight += w
		b.WriteRune(r)
	}
	if forceMark {
		if markAt < 0 {
			markAt = b.Len()
		}
		return b.String()[:markAt] + CutMark
	}
	return b.String()
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
