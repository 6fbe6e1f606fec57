package clientcache

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/codearts-check-exporter/codearts_check_exporter/config"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/api"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/simulator"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit"
)

// The authenticator's secrets reach the caller that redacts them: an IAM
// error that echoes the token request shows the password neither in the
// error nor in any line logged at debug level (the IAM warning, the failed
// call), whether it is inline or read from password_file. (Every form of every secret in every kept text is
// internal/api's TestCallerRedactsEverySecretEverywhere; a request's own
// credentials are redacted there too.)
func TestIAMEchoRedactsThePassword(t *testing.T) {
	const password = "S3cr3t-pass-word"
	for _, fromFile := range []bool{false, true} {
		t.Run(map[bool]string{false: "inline", true: "password_file"}[fromFile], func(t *testing.T) {
			sim := simulator.New(simulator.Options{Users: []simulator.User{
				{Domain: simulator.DefaultDomain, Name: simulator.DefaultUser, Password: password}}})
			ts := testkit.Simulator(t, sim)
			sim.SetTask(simulator.Task{ID: testTask, Status: simulator.IntPtr(2)})
			sim.SetIAMFault(simulator.Fault{Kind: simulator.FaultEchoRequest})
			login := testkit.IAM(ts.URL)
			login.Password = password
			if fromFile {
				path := filepath.Join(t.TempDir(), "password")
				if err := os.WriteFile(path, []byte(password+"\n"), 0o600); err != nil {
					t.Fatal(err)
				}
				login.Password, login.PasswordFile = "", path
			}
			cfg := &config.Config{Endpoint: ts.URL, Auth: config.Auth{IAM: login}, Tasks: []config.Task{{ID: testTask}}}
			if err := cfg.Validate(); err != nil {
				t.Fatal(err)
			}
			var logs testkit.Buffer
			clients := New(api.NewMetrics(), slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
			t.Cleanup(clients.Close)
			client, err := clients.For(cfg)
			if err != nil {
				t.Fatal(err)
			}
			_, err = client.Progress(context.Background(), testTask, "")
			if api.Code(err) != "IAM.0011" || !strings.Contains(err.Error(), api.Redacted) {
				t.Fatalf("progress: %v, want the IAM error IAM.0011 with the echoed password marked %s", err, api.Redacted)
			}
			if !strings.Contains(logs.String(), "IAM token request failed") {
				t.Fatalf("no warning logged:\n%s", logs.String())
			}
			if strings.Contains(err.Error()+logs.String(), password) {
				t.Errorf("the password shows:\n%s\n%s", err, logs.String())
			}
		})
	}
}
