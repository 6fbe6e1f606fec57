package auth

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/codearts-check-exporter/codearts_check_exporter/config"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/api"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/simulator"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit/stdkit"
)

// newBackoffIAM is newTestIAM on a test clock.
func newBackoffIAM(t *testing.T, sim *simulator.Server, edit func(*config.IAM)) (*IAM, *stdkit.Clock, *testkit.Buffer) {
	t.Helper()
	iam, logs := newTestIAM(t, sim, edit)
	clock := stdkit.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	iam.now = clock.Now
	return iam, clock, logs
}

// scrapeInterval and replicas model an HA pair of Prometheus servers, each
// scraping every 15 s: 480 scrapes an hour that all want a token.
const (
	scrapeInterval = 15 * time.Second
	replicas       = 2
)

// scrapeFor asks for a token as the scrapes of d would, each failing with a
// back-off after IAM's 401, and returns the offsets (from the start) at
// which IAM was called.
func scrapeFor(t *testing.T, iam *IAM, sim *simulator.Server, clock *stdkit.Clock, d time.Duration) []time.Duration {
	t.Helper()
	var calls []time.Duration
	for elapsed := time.Duration(0); elapsed < d; elapsed += scrapeInterval {
		for range replicas {
			before := sim.IAMRequests()
			_, err := iam.Token(context.Background())
			if got := sim.IAMRequests(); got != before {
				calls = append(calls, elapsed)
			}
			var backoff *BackoffError
			if !errors.As(err, &backoff) || api.Code(err) != "http_401" {
				t.Fatalf("at %v: Token error %v, want a back-off after IAM's 401 (error_code http_401)", elapsed, err)
			}
		}
		clock.Advance(scrapeInterval)
	}
	return calls
}

// Wrong credentials: IAM is asked after 15 s, 30 s, 1 min, 2 min, 4 min,
// then every 5 min (±10%), never per scrape, so the account cannot be
// locked; each refusal is counted under IAM's error code, and neither
// errors nor logs hold the password. Once fixed (the account's password,
// or password_file), the next attempt, at most one capped pause later,
// succeeds without a reload.
func TestWrongPasswordBacksOffAndRecovers(t *testing.T) {
	const wrong = "Wr0ng-Secret"
	file := filepath.Join(t.TempDir(), "password")
	writeFile(t, file, wrong+"\n")
	for _, c := range []struct {
		name string
		edit func(*config.IAM)
		fix  func(*simulator.Server)
	}{
		{"password", func(c *config.IAM) { c.Password = wrong },
			func(sim *simulator.Server) { sim.SetPassword(simulator.DefaultDomain, simulator.DefaultUser, wrong) }},
		{"password_file", func(c *config.IAM) { c.Password, c.PasswordFile = "", file },
			func(*simulator.Server) { writeFile(t, file, simulator.DefaultPassword+"\n") }},
	} {
		t.Run(c.name, func(t *testing.T) {
			sim := simulator.New(simulator.Options{})
			iam, clock, logs := newBackoffIAM(t, sim, c.edit)
			_, err := iam.Token(context.Background())
			if api.Code(err) != "http_401" || strings.Contains(err.Error(), wrong) {
				t.Fatalf("wrong password: err = %v, want http_401 without the password", err)
			}
			calls := append([]time.Duration{0}, scrapeFor(t, iam, sim, clock, time.Hour)...)
			if len(calls) > 20 {
				t.Fatalf("%d IAM requests in an hour of %d scrapes, want at most 20: %v",
					len(calls), replicas*int(time.Hour/scrapeInterval), calls)
			}
			// The schedule the comment above states, written out rather than
			// computed as backoff computes it, so that a wrong formula fails.
			schedule := []time.Duration{15 * time.Second, 30 * time.Second, time.Minute, 2 * time.Minute,
				4 * time.Minute, 5 * time.Minute}
			for n := 1; n < len(calls); n++ {
				want := schedule[min(n, len(schedule))-1]
				gap := calls[n] - calls[n-1]
				// The attempt is made by the first scrape after the pause, so the
				// gap is the jittered pause rounded up to the scrape interval.
				if lo, hi := want*9/10, want*11/10+scrapeInterval; gap < lo || gap > hi {
					t.Errorf("pause before IAM request %d: %v, want %v ±10%% (up to one scrape interval later)",
						n+1, gap, want)
				}
			}
			metrics := iam.caller.Metrics
			if got := testkit.ErrorCount(t, metrics, "http_401"); got != float64(len(calls)) {
				t.Errorf("codearts_check_api_errors_total{error_code=\"http_401\"} = %v, want one per IAM request (%d)",
					got, len(calls))
			}
			if strings.Contains(logs.String(), wrong) {
				t.Errorf("the password was logged:\n%s", logs)
			}

			c.fix(sim)
			before := sim.IAMRequests()
			for elapsed := time.Duration(0); ; elapsed += scrapeInterval {
				if _, err := iam.Token(context.Background()); err == nil {
					break
				}
				if elapsed > maxBackoff*11/10+scrapeInterval {
					t.Fatal("no token within one capped pause after the password was fixed")
				}
				clock.Advance(scrapeInterval)
			}
			// One request to recover, and the failure streak is forgotten: the
			// token is served from cache.
			if _, err := iam.Token(context.Background()); err != nil || sim.IAMRequests()-before != 1 {
				t.Errorf("after recovery: err %v, %d IAM requests; want 1 and the cached token",
					err, sim.IAMRequests()-before)
			}
		})
	}
}

// IAM being down is not a credential problem: it is retried sooner (from
// 1 s), yet still not once per scrape.
func TestIAMDownBacksOffFromOneSecond(t *testing.T) {
	sim := simulator.New(simulator.Options{})
	sim.SetIAMFault(simulator.Fault{Kind: simulator.FaultServiceUnavailable})
	iam, clock, _ := newBackoffIAM(t, sim, nil)
	if _, err := iam.Token(context.Background()); api.Code(err) != "APIGW.0613" {
		t.Fatalf("Token error %v, want APIGW.0613", err)
	}
	if _, err := iam.Token(context.Background()); api.Code(err) != "APIGW.0613" || sim.IAMRequests() != 1 {
		t.Fatalf("second Token: %v after %d IAM requests, want the back-off and 1 request", err, sim.IAMRequests())
	}
	clock.Advance(transientBackoffBase * 11 / 10)
	sim.ClearFaults()
	if _, err := iam.Token(context.Background()); err != nil {
		t.Fatalf("Token after IAM came back: %v", err)
	}
	if got := testkit.ErrorCount(t, iam.caller.Metrics, "APIGW.0613"); got != 1 {
		t.Errorf("codearts_check_api_errors_total{error_code=\"APIGW.0613\"} = %v, want 1", got)
	}
}
