// Package testkit is what the module's tests share: the simulator served
// over loopback HTTP, an IAM configuration the simulator accepts, task
// sources, the exporter binary, a free loopback address, and reading
// series out of metric families. Only _test.go files import it.
//
// It imports config and the simulator, so the in-package tests of those
// two cannot use it (Go forbids the cycle); what they share with the
// other tests (waiting for a condition, a clock moved by hand, files that
// are not regular) is in testkit/stdkit, which imports nothing of this
// module.
package testkit

import (
	"io"
	"log"
	"net/http/httptest"
	"testing"

	"github.com/codearts-check-exporter/codearts_check_exporter/config"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/simulator"
)

// Simulator serves sim over loopback HTTP until the test ends.
//
// The cleanup closes sim before the server: httptest.Server.Close waits
// for the requests in flight, and a request the simulator holds hanging
// (simulator.FaultHang) ends only when sim is closed. Cleanups the test
// registers later (collectors, sessions, exporters in front) run before
// both.
func Simulator(t testing.TB, sim *simulator.Server) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(sim)
	t.Cleanup(func() {
		sim.Close()
		srv.Close()
	})
	return srv
}

// SimulatorTLS is Simulator over HTTPS with httptest's certificate, which
// clients do not trust unless given srv.Client(). The server's log of
// failed handshakes is dropped: tests that use it expect them.
func SimulatorTLS(t testing.TB, sim *simulator.Server) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(sim)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(func() {
		sim.Close()
		srv.Close()
	})
	return srv
}

// IAM is an IAM configuration with endpoint as the IAM endpoint that logs
// in as the simulator's default user (domain, name, password) to its
// default project.
func IAM(endpoint string) *config.IAM {
	return &config.IAM{
		Endpoint:    endpoint,
		DomainName:  simulator.DefaultDomain,
		Username:    simulator.DefaultUser,
		Password:    simulator.DefaultPassword,
		ProjectName: simulator.DefaultProject,
	}
}
