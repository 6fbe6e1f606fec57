// Package simulator is an in-process fake of the two Huawei Cloud APIs the
// exporter talks to, served on one host over real HTTP:
//
//   - IAM's password-token call, POST /v3/auth/tokens (iam.go);
//   - IAM's project list, GET /v3/projects?name=..., which finds the project
//     ID of a region for AK/SK requests (projects.go);
//   - CodeArts Check's ShowProgressDetailV2, GET /v2/tasks/{task_id}/progress
//     (progress.go);
//   - CodeArts Check's ShowTaskListByProjectIdV2, GET /v2/{project_id}/tasks
//     (tasklist.go), for discovery;
//   - CodeArts Check's report calls, GET /v2/tasks/{task_id}/defects-statistic
//     and /defects-summary (report.go);
//   - CodeArts Check's CheckRecord, GET
//     /v2/{project_id}/tasks/{task_id}/checkrecord, the checks of a task
//     (checkrecord.go).
//
// CodeArts Check calls accept an IAM token or an AK/SK signature, which is
// verified as API Gateway does (aksk.go).
//
// It owns the wire format of those calls as Huawei Cloud's public API
// references document them (the IAM API reference, the CodeArts Check API
// reference, API Gateway's error codes and AK/SK signing guide): status
// codes, header names, the error-body dialects (keystone, IAM, API Gateway,
// and the code/message and nested shapes the SDK also reads, switchable in
// shape.go) and the CodeArts habit of reporting errors inside HTTP 200
// bodies. Where the references leave room, the file serving the call says
// which reading it chose.
//
// Tests wrap a *Server in httptest.NewServer and drive it through the
// exporter's real HTTP client, so the client's parsing, timeouts and retries
// are exercised against the same bytes the real service sends. Faults
// (faults.go) inject the failures a production exporter must survive: hangs,
// TCP resets, HTML error pages, throttling, malformed or enormous bodies.
// NewDemo (demo.go) preloads tasks whose state moves with the clock, for the
// exporter's --demo mode.
//
// A Server is safe for concurrent use. Call Close before closing the
// surrounding httptest.Server: Close releases requests held by FaultHang and
// by latency, which httptest.Server.Close would otherwise wait for forever.
package simulator
