package auth

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/codearts-check-exporter/codearts_check_exporter/internal/simulator"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit/stdkit"
)

// refuse reports a refusal of a request that carried the current token, as
// codearts.Client does after a 401.
func refuse(t *testing.T, iam *IAM) bool { t.Helper(); return refusePath(t, iam, "x") }

// refusePath is refuse for task's progress path.
func refusePath(t *testing.T, iam *IAM, task string) bool {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, "http://unused/v2/tasks/"+task+"/progress", nil)
	if err := iam.Authorize(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	return iam.Done(req, Refused)
}

// A token renewed after a refusal and refused in turn is not renewed again
// before a back-off; past it, once more; refusals forgotten after a quiet
// time are news again.
func TestRenewedTokenRefusedAgainBacksOff(t *testing.T) {
	sim := simulator.New(simulator.Options{})
	iam, logs := newTestIAM(t, sim, nil)
	clock := stdkit.NewClock(time.Now())
	iam.now = clock.Now

	if !refuse(t, iam) {
		t.Fatal("first refusal: want the request sent again with a new token")
	}
	for i := range 3 {
		if refuse(t, iam) {
			t.Fatalf("refusal %d of the renewed token: want no renewal during the back-off", i+1)
		}
	}
	if got := sim.IAMRequests(); got != 2 {
		t.Fatalf("IAM requests = %d, want 2", got)
	}
	clock.Advance(credentialBackoffBase * 2)
	if !refuse(t, iam) {
		t.Fatal("after the back-off: want one more renewal")
	}
	if refuse(t, iam) {
		t.Fatal("the second renewed token refused: want the back-off again")
	}
	if got := sim.IAMRequests(); got != 3 {
		t.Fatalf("IAM requests = %d, want 3", got)
	}
	clock.Advance(2*maxBackoff + time.Second)
	if !refuse(t, iam) {
		t.Fatal("a refusal after a quiet time: want a renewal at once")
	}
	if _, err := iam.Token(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := sim.IAMRequests(); got != 4 {
		t.Errorf("IAM requests = %d, want 4", got)
	}
	if !strings.Contains(logs.String(), "refused the renewed IAM token too") {
		t.Errorf("the back-off is not logged:\n%s", logs)
	}
}

// A renewed token refused for another task than the one whose refusal
// brought it is refused itself (revoked): it is renewed at once, back-off
// or not.
func TestRenewedTokenRefusedForAnotherTaskIsRenewed(t *testing.T) {
	sim := simulator.New(simulator.Options{})
	iam, _ := newTestIAM(t, sim, nil)
	if !refusePath(t, iam, "a") {
		t.Fatal("first refusal: want a renewal")
	}
	if refusePath(t, iam, "a") {
		t.Fatal("the renewed token refused for the same task: want the back-off")
	}
	if !refusePath(t, iam, "b") {
		t.Fatal("the renewed token refused for another task: want a renewal")
	}
	if _, err := iam.Token(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := sim.IAMRequests(); got != 3 {
		t.Errorf("IAM requests = %d, want 3", got)
	}
}

// A refusal of a token that a request sent after it had accepted is the
// task's own: the token is kept and the refused request is not resent.
func TestRefusalBeforeAnAcceptanceKeepsTheToken(t *testing.T) {
	sim := simulator.New(simulator.Options{})
	iam, _ := newTestIAM(t, sim, nil)
	refused, _ := http.NewRequest(http.MethodGet, "http://unused/a", nil)
	accepted, _ := http.NewRequest(http.MethodGet, "http://unused/b", nil)
	for _, req := range []*http.Request{refused, accepted} {
		if err := iam.Authorize(context.Background(), req); err != nil {
			t.Fatal(err)
		}
	}
	iam.Done(accepted, Accepted)
	if iam.Done(refused, Refused) {
		t.Error("refused after a later request was accepted: want no resend")
	}
	if tok, _ := iam.Token(context.Background()); tok != refused.Header.Get(TokenHeader) {
		t.Error("the token was dropped")
	}
	if got := sim.IAMRequests(); got != 1 {
		t.Errorf("IAM requests = %d, want 1", got)
	}
}
