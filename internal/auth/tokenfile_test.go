package auth

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/codearts-check-exporter/codearts_check_exporter/internal/api"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/simulator"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit/stdkit"
)

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestTokenFileMissingOrEmptyAtStartup(t *testing.T) {
	dir := t.TempDir()
	_, err := NewFileToken(filepath.Join(dir, "absent"))
	if err == nil || !strings.Contains(err.Error(), "token_file") || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("missing file: err = %v, want a token_file error saying it does not exist", err)
	}
	empty := filepath.Join(dir, "empty")
	writeFile(t, empty, " \n\t\n")
	_, err = NewFileToken(empty)
	if err == nil || !strings.Contains(err.Error(), "token_file: "+empty+" is empty") {
		t.Errorf("empty file: err = %v, want one saying it is empty", err)
	}
}

// The file is checked at most once per statInterval, not on every request,
// and re-read only when it changed.
func TestTokenFileReadOnChangeOnly(t *testing.T) {
	file := filepath.Join(t.TempDir(), "token")
	writeFile(t, file, "token-A\n")
	f := newSecret("", file, "token_file")
	clock := stdkit.NewClock(time.Now())
	f.now = clock.Now

	if tok, _ := f.Value(); tok != "token-A" {
		t.Fatalf("token = %q, want token-A (trailing newline trimmed)", tok)
	}
	writeFile(t, file, "token-BB\n")
	for range 100 {
		if tok, _ := f.Value(); tok != "token-A" {
			t.Fatalf("token = %q within statInterval: the file was read on a request", tok)
		}
	}
	clock.Advance(statInterval)
	if tok, _ := f.Value(); tok != "token-BB" {
		t.Fatalf("token = %q after statInterval, want the new token-BB", tok)
	}

	// A file that disappears is an error from the next check on, and a
	// file that comes back is read again.
	if err := os.Remove(file); err != nil {
		t.Fatal(err)
	}
	clock.Advance(statInterval)
	if _, err := f.Value(); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Fatalf("removed file: err = %v", err)
	}
	writeFile(t, file, "token-C\n")
	clock.Advance(statInterval)
	if tok, err := f.Value(); err != nil || tok != "token-C" {
		t.Fatalf("restored file: %q, %v", tok, err)
	}
}

// Against the simulator: a token from the file is accepted; when the API
// refuses it, Reject makes the next request read the rotated file at once.
func TestTokenFileRequestsAndRotation(t *testing.T) {
	sim := simulator.New(simulator.Options{})
	ts := testkit.Simulator(t, sim)
	sim.SetTask(simulator.Task{ID: akskTask, Status: simulator.IntPtr(2)})
	iam, _ := newTestIAM(t, sim, nil)
	good, err := iam.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	caller := &api.Caller{Client: ts.Client()}

	file := filepath.Join(t.TempDir(), "token")
	writeFile(t, file, "not-a-token-the-API-knows\n")
	f, err := NewFileToken(file)
	if err != nil {
		t.Fatal(err)
	}
	clock := stdkit.NewClock(time.Now())
	f.token.now = clock.Now
	call := func() (*http.Request, error) {
		req, err := http.NewRequest(http.MethodGet, ts.URL+"/v2/tasks/"+akskTask+"/progress", nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Authorize(context.Background(), req); err != nil {
			return req, err
		}
		return req, caller.Do(req, "progress", func(*api.Response) error { return nil })
	}

	req, err := call()
	if api.Code(err) != "APIGW.0301" {
		t.Fatalf("unknown token: err = %v, want APIGW.0301", err)
	}
	writeFile(t, file, good+"\n")
	// No clock move: the refusal alone makes the change visible, and says
	// the request is worth sending again.
	if !f.Done(req, Refused) {
		t.Error("Done(Refused) after the file changed = false, want a retry")
	}
	if _, err := call(); err != nil {
		t.Fatalf("rotated token: %v", err)
	}
}
