package auth

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/codearts-check-exporter/codearts_check_exporter/config"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/api"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/simulator"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit/stdkit"
)

// newTestIAM is an IAM source logged in as the simulator's user, with cfg
// edited by edit, its calls counted in iam.caller.Metrics and its logs kept.
func newTestIAM(t *testing.T, sim *simulator.Server, edit func(*config.IAM)) (*IAM, *testkit.Buffer) {
	t.Helper()
	srv := testkit.Simulator(t, sim)
	logs := &testkit.Buffer{}
	cfg := testkit.IAM(srv.URL)
	if edit != nil {
		edit(cfg)
	}
	caller := &api.Caller{Client: srv.Client(), Metrics: api.NewMetrics()}
	iam := NewIAM(*cfg, caller, slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	t.Cleanup(iam.Close)
	return iam, logs
}

func TestTokenIsCachedAndUsedOnRequests(t *testing.T) {
	sim := simulator.New(simulator.Options{})
	iam, logs := newTestIAM(t, sim, nil)
	first, err := iam.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for range 10 {
		req, _ := http.NewRequest(http.MethodGet, "http://unused/", nil)
		if err := iam.Authorize(context.Background(), req); err != nil {
			t.Fatal(err)
		}
		if req.Header.Get(TokenHeader) != first {
			t.Fatal("Authorize did not put the cached token on the request")
		}
	}
	if got := sim.IAMRequests(); got != 1 {
		t.Errorf("IAM requests = %d, want 1", got)
	}
	if strings.Contains(logs.String(), first) || strings.Contains(logs.String(), simulator.DefaultPassword) {
		t.Errorf("a credential was logged:\n%s", logs)
	}
}

func TestProjectIDScopeAndPasswordFile(t *testing.T) {
	sim := simulator.New(simulator.Options{})
	file := filepath.Join(t.TempDir(), "password")
	writeFile(t, file, simulator.DefaultPassword+"\n")
	iam, _ := newTestIAM(t, sim, func(c *config.IAM) {
		c.Password, c.PasswordFile = "", file
		c.ProjectName, c.ProjectID = "", simulator.DefaultProjectID
	})
	if _, err := iam.Token(context.Background()); err != nil {
		t.Fatalf("token with password_file and project_id: %v", err)
	}
}

// A token close to expiry is renewed in the background while callers keep
// using the old one: no scrape waits for a renewal.
func TestRenewalAheadOfExpiry(t *testing.T) {
	defer func(old float64) { renewAheadShare = old }(renewAheadShare)
	renewAheadShare = 0.9 // renew once a tenth of the lifetime has passed
	sim := simulator.New(simulator.Options{TokenTTL: 3 * time.Second})
	iam, _ := newTestIAM(t, sim, nil)
	first, err := iam.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond) // past renewAt, well before expiry
	sim.SetLatency(0)
	again, err := iam.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if again != first {
		t.Error("during renewal the still-valid token should be served without waiting")
	}
	stdkit.WaitFor(t, "the renewal's IAM request", func() bool { return sim.IAMRequests() >= 2 })
	if got := sim.IAMRequests(); got != 2 {
		t.Fatalf("IAM requests = %d, want 2 (one renewal)", got)
	}
	stdkit.WaitFor(t, "the renewed token to be served", func() bool {
		renewed, _ := iam.Token(context.Background())
		return renewed != first
	})
}

// A rejected token is dropped once: rejections carrying an older token do
// not throw away the fresh one.
func TestRejectDropsOnlyTheRefusedToken(t *testing.T) {
	sim := simulator.New(simulator.Options{})
	iam, _ := newTestIAM(t, sim, nil)
	old, _ := iam.Token(context.Background())
	refused, _ := http.NewRequest(http.MethodGet, "http://unused/", nil)
	refused.Header.Set(TokenHeader, old)
	iam.Done(refused, Refused)
	fresh, err := iam.Token(context.Background())
	if err != nil || fresh == old {
		t.Fatalf("after Reject: %v, new token %v", err, fresh != old)
	}
	iam.Done(refused, Refused) // a late rejection of the old token
	if again, _ := iam.Token(context.Background()); again != fresh {
		t.Error("a late rejection of the old token dropped the fresh one")
	}
	if got := sim.IAMRequests(); got != 2 {
		t.Errorf("IAM requests = %d, want 2", got)
	}
}

// IAM hangs: the waiting caller gives up at its own deadline, and Close
// ends the token request so no goroutine is left behind.
func TestHungIAMDoesNotHoldCallersOrLeak(t *testing.T) {
	before := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, before) }) // registered first, so it runs after the servers are closed
	sim := simulator.New(simulator.Options{})
	sim.SetIAMFault(simulator.Fault{Kind: simulator.FaultHang})
	srv := testkit.Simulator(t, sim)
	client := &http.Client{Transport: &http.Transport{}}
	t.Cleanup(client.CloseIdleConnections)
	iam := NewIAM(config.IAM{Endpoint: srv.URL, DomainName: "d", Username: "u", Password: "p", ProjectName: "cn-north-4"},
		&api.Caller{Client: client}, slog.New(slog.NewTextHandler(io.Discard, nil)))

	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if _, err := iam.Token(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want the caller's deadline", err)
	}
	iam.Close()
	// After Close the token request ends with an error and is backed off.
	stdkit.WaitFor(t, "a token request after Close to be backed off", func() bool {
		_, err := iam.Token(context.Background())
		var be *BackoffError
		return errors.As(err, &be)
	})
}

// A token is good for its lifetime from when it arrives, whatever IAM's
// clock says: with IAM's clock two days behind this host's, expires_at is
// already past here, and a client that believed it would ask IAM again on
// every call, which can lock the account.
func TestTokenLifetimeIsCountedFromArrival(t *testing.T) {
	sim := simulator.New(simulator.Options{Now: func() time.Time { return time.Now().Add(-48 * time.Hour) }})
	iam, _ := newTestIAM(t, sim, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for range 20 {
		if _, err := iam.Token(ctx); err != nil {
			t.Fatalf("%v (after %d IAM requests)", err, sim.IAMRequests())
		}
	}
	if got := sim.IAMRequests(); got != 1 {
		t.Errorf("IAM requests = %d, want 1: a token past expires_at by this host's clock was taken as expired", got)
	}
}

func TestLocalExpiry(t *testing.T) {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name, expires, issued string
		want                  time.Time // zero: an error
	}{
		{"lifetime from now", "2024-01-02T00:00:00.000000Z", "2024-01-01T00:00:00.000000Z", now.Add(24 * time.Hour)},
		{"no issued_at, future", "2026-12-01T12:00:00Z", "", now.Add(12 * time.Hour)},
		{"no issued_at, past", "2026-11-30T12:00:00Z", "", time.Time{}},
		{"issued after expiry", "2026-12-01T12:00:00Z", "2026-12-01T13:00:00Z", time.Time{}},
		{"no expires_at", "", "2026-12-01T13:00:00Z", time.Time{}},
	} {
		got, err := localExpiry(tc.expires, tc.issued, now)
		if tc.want.IsZero() {
			if err == nil {
				t.Errorf("%s: got %v, want an error", tc.name, got)
			}
			continue
		}
		if err != nil || !got.Equal(tc.want) {
			t.Errorf("%s: got %v, %v; want %v", tc.name, got, err, tc.want)
		}
	}
}
