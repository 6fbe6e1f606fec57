package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
)

// An error body names its code in one of the shapes the official SDK
// (core/sdkerr) reads, in the SDK's order, at the top level and then in
// each nested object:
//
//	{"error_code":"CC.00050012","error_msg":"retry later"}   CodeArts, API Gateway, IAM
//	{"code":"APIGW.0301","message":"..."}                    top-level code/message
//	{"error":{"code":"CC.00050010","message":"..."}}         nested
//
// Two departures from the SDK, both towards reading an answer as an error:
// an error_code is enough without an error_msg (the SDK wants both, and
// would read a bare {"error_code":"CC.00050012"} in a 200 as an empty,
// "never checked" task); and nested objects are searched in key order, not
// in Go's random map order, so one body always gets one code. A code must
// be a JSON string: keystone's numeric "code": 401 is not an error code.
type bodyError struct {
	code, message, encoded string
	// requestID is the gateway's top-level request_id, and message, when
	// no code is named, keystone's error.message: both are kept for the
	// error text even when the body names no code.
	requestID string
}

// maxNesting bounds how deep nested objects are searched. Real error bodies
// nest one level; a deeper search only costs time on hostile bodies.
const maxNesting = 8

// readErrorBody returns the error a JSON object body names, or false when
// body is not a JSON object or names no code.
func readErrorBody(body []byte) (bodyError, bool) {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return bodyError{}, false
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(trimmed, &obj) != nil {
		return bodyError{}, false
	}
	found, ok := searchErrorBody(obj, 0)
	found.requestID, _ = jsonStringValue(field(obj, "request_id"))
	if !ok {
		var keystone struct {
			Error struct {
				Message string `json:"message"`
			} `json:"error"`
		}
		if json.Unmarshal(trimmed, &keystone) == nil {
			found.message = keystone.Error.Message
		}
	}
	return found, ok
}

func searchErrorBody(obj map[string]json.RawMessage, depth int) (bodyError, bool) {
	// As the SDK does, the encoded message is kept from every level it
	// looks at, whichever level names the code.
	encoded, _ := jsonStringValue(field(obj, "encoded_authorization_message"))
	if code, ok := jsonStringValue(field(obj, "error_code")); ok && code != "" {
		msg, _ := jsonStringValue(field(obj, "error_msg"))
		return bodyError{code: code, message: msg, encoded: encoded}, true
	}
	if code, ok := jsonStringValue(field(obj, "code")); ok && code != "" {
		if msg, ok := jsonStringValue(field(obj, "message")); ok {
			return bodyError{code: code, message: msg, encoded: encoded}, true
		}
	}
	if depth >= maxNesting {
		return bodyError{}, false
	}
	keys := make([]string, 0, len(obj))
	for k, v := range obj {
		if len(v) > 0 && v[0] == '{' {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		var nested map[string]json.RawMessage
		if json.Unmarshal(obj[k], &nested) != nil {
			continue
		}
		if found, ok := searchErrorBody(nested, depth+1); ok {
			if found.encoded == "" {
				found.encoded = encoded
			}
			return found, true
		}
	}
	return bodyError{}, false
}

// field returns obj's member key, matched as encoding/json matches a
// struct field: exactly, else without regard to case. The exporter's
// decoders read bodies that way, so an error body is read the same way:
// {"ERROR_CODE":...} must not pass here as success and then decode as an
// empty, "never checked" task.
func field(obj map[string]json.RawMessage, key string) json.RawMessage {
	if v, ok := obj[key]; ok {
		return v
	}
	// Of several keys that fold alike, the least: one body, one reading.
	var (
		found json.RawMessage
		least string
	)
	for k, v := range obj {
		if strings.EqualFold(k, key) && (found == nil || k < least) {
			found, least = v, k
		}
	}
	return found
}

// jsonStringValue decodes raw as a JSON string; false for anything else
// (absent, null, a number).
func jsonStringValue(raw json.RawMessage) (string, bool) {
	if len(raw) == 0 || raw[0] != '"' {
		return "", false
	}
	var s string
	return s, json.Unmarshal(raw, &s) == nil
}

// maxCodeLen bounds an error code taken from a body.
const maxCodeLen = 32

// maxCodeParts bounds the dot-separated parts of an error code: the
// service's FAQ has three (CC.00070400.500); one more leaves room.
const maxCodeParts = 4

// labelSafeCode reports whether code, sent by the API, may be the value of
// the error_code label: PREFIX.PART[.PART...], letters then up to three
// parts of letters and digits (CC.00050012, APIGW.0301, IAM.0011,
// CC.00070400.500), at most maxCodeLen bytes. Anything else (a numeric
// "401", a sentence, a megabyte of noise from a broken proxy) is not an
// error code the README could document, and taking it verbatim would let
// each answer create a new series.
func labelSafeCode(code string) bool {
	if len(code) == 0 || len(code) > maxCodeLen {
		return false
	}
	parts := strings.Split(code, ".")
	if len(parts) < 2 || len(parts) > maxCodeParts {
		return false
	}
	for i, part := range parts {
		if part == "" {
			return false
		}
		for _, c := range []byte(part) {
			letter := 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z'
			if !letter && (i == 0 || c < '0' || c > '9') {
				return false
			}
		}
	}
	return true
}

// checkResponse returns an *Error when the answer is a failure: any status
// of 400 or more, and any body that names an error code (see bodyError)
// whatever its status. CodeArts Check documents its errors with HTTP 200,
// so a 200 is not proof of success; a client that only looked at the
// status would read such an answer as an empty, "never checked" task.
//
// The code is the body's when it is label-safe; otherwise, and when the
// body names none, it is http_<status> for a status of 400 or more and
// invalid_response for a lower one (a body naming an unusable code).
//
// The error's texts are as the API sent them: Caller.Do bounds them as
// text.go says and redacts the request's credentials and the configured
// secrets from them.
func checkResponse(resp *Response) *Error {
	if resp.StatusCode < http.StatusBadRequest && cannotNameCode(resp.Body) {
		return nil
	}
	found, named := readErrorBody(resp.Body)
	requestID := found.requestID
	if requestID == "" {
		requestID = resp.Header.Get("X-Request-Id")
	}
	if !named && resp.StatusCode < http.StatusBadRequest {
		// A body that is not JSON is fine here: a success body is judged
		// by the caller's decoder.
		return nil
	}
	e := &Error{HTTPStatus: resp.StatusCode, RequestID: requestID, Message: found.message, EncodedAuthorizationMessage: found.encoded}
	switch {
	case named && labelSafeCode(found.code):
		e.Code = found.code
	case resp.StatusCode >= http.StatusBadRequest:
		e.Code = HTTPStatusCode(resp.StatusCode)
	default:
		e.Code = CodeInvalidResponse
	}
	if named && e.Code != found.code {
		e.Message = "error code " + truncateCode(found.code) + " is not a well-formed code: " + found.message
	}
	if e.Message == "" {
		e.Message = http.StatusText(resp.StatusCode)
	}
	return e
}

// cannotNameCode reports whether body certainly names no error code: a
// code's key ("code", "error_code", in any case: see field) cannot be
// written without the bytes code" in some case, or an escape. Success
// bodies are thus passed without being parsed here, which cost more CPU
// than their caller's decoding (a parse per nested object).
func cannotNameCode(body []byte) bool {
	if bytes.IndexByte(body, '\\') >= 0 {
		return false
	}
	for i := 4; i < len(body); i++ {
		// b|0x20 is the lower case of an ASCII letter b, and no other
		// byte's but that letter's own.
		if body[i] == '"' && body[i-1]|0x20 == 'e' && body[i-2]|0x20 == 'd' && body[i-3]|0x20 == 'o' && body[i-4]|0x20 == 'c' {
			return false
		}
	}
	return true
}

func truncateCode(code string) string {
	b, _ := json.Marshal(code) // quoted, so control characters cannot reach a log line raw
	if len(b) > maxCodeLen+2 {
		return string(b[:maxCodeLen+1]) + `..."`
	}
	return string(b)
}
