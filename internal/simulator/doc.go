// Package simulator is the tests' fake of Huawei Cloud: fakecloud's
// faithful IAM and CodeArts Check API (internal/simulator/fakecloud) with
// what only tests need around it, stepped in through fakecloud's Hooks.
// Only tests import it; TestBinaryHoldsNoTestOnlyCode keeps it out of the
// binary.
//
// It owns:
//
//   - faults (faults.go): the failures a production exporter meets between
//     it and Huawei Cloud — hangs, TCP resets, HTML error pages, throttling,
//     malformed or enormous bodies — and hostile answers (hostile.go):
//     megabyte error texts, three-part codes, errors that echo credentials;
//   - latency of progress answers (latency.go);
//   - the error-body shapes other Huawei Cloud services use and null
//     fields left out (shape.go);
//   - misbehaving task lists (listing.go): slow, hung, throttled, lying
//     and endless pages, flapping last_check_time and its summary form;
//   - request counters (stats.go): how often, how many at once, with which
//     path, query, headers and signatures the exporter called.
//
// The faithful API's own names (Task, Report, Options, NewDemo, ...) are
// repeated here, so tests say simulator.Task whichever package owns it.
//
// Tests wrap a *Server in httptest.NewServer and drive it through the
// exporter's real HTTP client, so the client's parsing, timeouts and retries
// are exercised against the same bytes the real service sends.
//
// A Server is safe for concurrent use. Call Close before closing the
// surrounding httptest.Server: Close releases requests held by FaultHang,
// hung listings and latency, which httptest.Server.Close would otherwise
// wait for forever.
package simulator
