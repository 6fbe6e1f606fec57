// Package api owns what every call to a Huawei Cloud API has in common:
// sending it, reading the body through a size limit, turning every way a
// call can fail into one error code (the error_code label of
// codearts_check_api_errors_total), bounding and redacting the text an
// answer puts in the error (text.go), counting calls and failures, and
// pacing them: the process's one rate limit, max_requests_per_second
// adapted on throttling (ratelimit.go).
//
// The CodeArts Check client (package codearts) and the IAM token source
// (package auth) both send their requests through a Caller, so a failure is
// classified and counted the same way whichever API it came from.
package api
