// Package fakecloud is an in-process, faithful fake of the two Huawei Cloud
// APIs the exporter talks to, served on one host over real HTTP:
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
// codes, header names, the documented error bodies and the CodeArts habit
// of reporting errors inside HTTP 200 bodies, and the readings it serves
// where the references leave room (what offset counts, when
// last_check_time moves, the summary's two shapes). Where the references
// leave room, the file serving the call says which reading it chose.
//
// It is what the exporter's --demo serves (NewDemo, demo.go: tasks whose
// state moves with the clock, a flaky one and a deleted one), so it holds
// nothing only tests need: faults, hostile answers, other error shapes,
// misbehaving listings, latency and request counters are the tests'
// simulator's (internal/simulator), which wraps a Server through Hooks.
//
// A Server is safe for concurrent use and never holds a request.
package fakecloud
