package api

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"regexp"
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
// an error_code is enough without an error_msg (the SDK would read a bare
// {"error_code":"CC.00050012"} in a 200 as an empty, "never checked" task);
// and nested objects are searched in key order, not Go's random map order,
// so one body always gets one code. A code must be a JSON string:
// keystone's numeric "code": 401 is not an error code.
type bodyError struct {
	code, message, encoded string
}

// maxNesting bounds how deep nested objects are searched. Real error bodies
// nest one level; a deeper search only costs time on hostile bodies.
const maxNesting = 8

func searchErrorBody(obj map[string]json.RawMessage, depth int) (bodyError, bool) {
	// As the SDK does, the encoded message is kept from every level it
	// looks at, whichever level names the code.
	encoded, _ := jsonString(field(obj, "encoded_authorization_message"))
	if code, _ := jsonString(field(obj, "error_code")); code != "" {
		msg, _ := jsonString(field(obj, "error_msg"))
		return bodyError{code, msg, encoded}, true
	}
	if code, _ := jsonString(field(obj, "code")); code != "" {
		if msg, ok := jsonString(field(obj, "message")); ok {
			return bodyError{code, msg, encoded}, true
		}
	}
	if depth >= maxNesting {
		return bodyError{}, false
	}
	for _, k := range slices.Sorted(maps.Keys(obj)) {
		var nested map[string]json.RawMessage
		if obj[k][0] != '{' || json.Unmarshal(obj[k], &nested) != nil {
			continue
		}
		if found, ok := searchErrorBody(nested, depth+1); ok {
			found.encoded = cmp.Or(found.encoded, encoded)
			return found, true
		}
	}
	return bodyError{}, false
}

// field returns obj's member key, matched as encoding/json matches a
// struct field: exactly, else without regard to case (of several keys that
// fold alike, the least). The decoders read bodies that way, so
// {"ERROR_CODE":...} must not pass here as success and then decode as an
// empty, "never checked" task.
func field(obj map[string]json.RawMessage, key string) json.RawMessage {
	if v, ok := obj[key]; ok {
		return v
	}
	var found json.RawMessage
	least := ""
	for k, v := range obj {
		if strings.EqualFold(k, key) && (found == nil || k < least) {
			found, least = v, k
		}
	}
	return found
}

// jsonString decodes raw as a JSON string; false for anything else
// (absent, null, a number).
func jsonString(raw json.RawMessage) (string, bool) {
	var s string
	return s, len(raw) > 0 && raw[0] == '"' && json.Unmarshal(raw, &s) == nil
}

// maxCodeLen bounds an error code taken from a body.
const maxCodeLen = 32

// codeForm is what a code sent by the API must be to be the value of the
// error_code label, in at most maxCodeLen bytes: letters, then one to three
// parts of letters and digits (CC.00050012, APIGW.0301, CC.00070400.500).
// Anything else (a numeric "401", a sentence, a megabyte of noise) is no
// code the README could document, and would let each answer create a new
// series.
var codeForm = regexp.MustCompile(`^[A-Za-z]+(\.[A-Za-z0-9]+){1,3}$`)

// checkResponse returns an *Error when the answer is a failure: any status
// of 400 or more, and any body that names an error code (see bodyError)
// whatever its status. CodeArts Check documents its errors with HTTP 200,
// so a 200 is not proof of success.
//
// The code is the body's when it is label-safe; otherwise, and when the
// body names none, it is http_<status> for a status of 400 or more and
// invalid_response for a lower one. The texts are as the API sent them:
// Caller.Do bounds and redacts them (text.go).
func checkResponse(resp *Response) *Error {
	if resp.StatusCode < http.StatusBadRequest && cannotNameCode(resp.Body) {
		return nil
	}
	var obj map[string]json.RawMessage
	_ = json.Unmarshal(resp.Body, &obj) // obj stays nil unless the body is an object, and nil names no code
	found, named := searchErrorBody(obj, 0)
	if !named && resp.StatusCode < http.StatusBadRequest {
		return nil // a success body is judged by the caller's decoder
	}
	requestID, _ := jsonString(field(obj, "request_id"))
	e := &Error{HTTPStatus: resp.StatusCode, RequestID: cmp.Or(requestID, resp.Header.Get("X-Request-Id")),
		Message: found.message, EncodedAuthorizationMessage: found.encoded}
	switch {
	case named && len(found.code) <= maxCodeLen && codeForm.MatchString(found.code):
		e.Code = found.code
	case resp.StatusCode >= http.StatusBadRequest:
		e.Code = HTTPStatusCode(resp.StatusCode)
	default:
		e.Code = CodeInvalidResponse
	}
	if named && e.Code != found.code {
		e.Message = fmt.Sprintf("error code %.*q is not a well-formed code: %s", maxCodeLen, found.code, found.message)
	}
	if !named {
		// keystone's {"error":{"code":401,"message":"..."}} names no code,
		// but its message says what went wrong.
		var nested map[string]json.RawMessage
		_ = json.Unmarshal(field(obj, "error"), &nested)
		e.Message, _ = jsonString(field(nested, "message"))
	}
	e.Message = cmp.Or(e.Message, http.StatusText(resp.StatusCode))
	return e
}

// cannotNameCode reports whether body certainly names no error code: a
// code's key ("code", "error_code", in any case: see field) cannot be
// written without the bytes code" in some case, or an escape. Success
// bodies are thus passed without being parsed here, which cost more CPU
// than their caller's decoding.
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
