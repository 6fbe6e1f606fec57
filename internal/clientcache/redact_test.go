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

// debugClients is a client cache whose logs, at debug level, go to the
// returned buffer.
func debugClients(t *testing.T) (*Cache, *testkit.Buffer) {
	t.Helper()
	var logs testkit.Buffer
	s := New(api.NewMetrics(), slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	t.Cleanup(s.Close)
	return s, &logs
}

// noSecret fails the test if text holds any of secrets, and wants the
// redaction mark where the API echoed one.
func noSecret(t *testing.T, what, text string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if s != "" && strings.Contains(text, s) {
			t.Errorf("%s holds a secret (%.12s...): %.600s", what, s, text)
		}
	}
}

// An IAM error that echoes the token request puts the password neither in
// the error nor in the "IAM token request failed" warning, whether the
// password is inline or read from password_file.
func TestIAMEchoRedactsThePassword(t *testing.T) {
	const password = "S3cr3t-\"pass<word>"
	for _, fromFile := range []bool{false, true} {
		t.Run(map[bool]string{false: "inline", true: "password_file"}[fromFile], func(t *testing.T) {
			sim := simulator.New(simulator.Options{Users: []simulator.User{{Domain: simulator.DefaultDomain, Name: simulator.DefaultUser, Password: password}}})
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
			clients, logs := debugClients(t)
			client, err := clients.For(cfg)
			if err != nil {
				t.Fatal(err)
			}
			_, err = client.Progress(context.Background(), testTask, "")
			if err == nil || api.Code(err) != "IAM.0011" {
				t.Fatalf("progress: %v, want the IAM error IAM.0011", err)
			}
			if !strings.Contains(err.Error(), api.Redacted) {
				t.Errorf("error %q: the echoed password is not marked %s", err, api.Redacted)
			}
			noSecret(t, "error", err.Error(), password, `S3cr3t-\"pass\u003cword\u003e`)
			if !strings.Contains(logs.String(), "IAM token request failed") {
				t.Fatalf("no warning logged:\n%s", logs.String())
			}
			noSecret(t, "log", logs.String(), password, `S3cr3t-\"pass\u003cword\u003e`, `S3cr3t-\"pass<word>`)
		})
	}
}

// A progress error that echoes the request's headers puts neither the
// IAM token, nor an AK/SK signature, security token or secret key, in the
// error.
func TestEchoedCredentialsRedacted(t *testing.T) {
	t.Run("iam token", func(t *testing.T) {
		sim := simulator.New(simulator.Options{})
		ts := testkit.Simulator(t, sim)
		sim.SetTask(simulator.Task{ID: testTask, Status: simulator.IntPtr(2)})
		sim.SetFault(testTask, simulator.Fault{Kind: simulator.FaultEchoRequest})
		clients, logs := debugClients(t)
		client, err := clients.For(iamConfig(t, ts.URL, simulator.DefaultUser, 1))
		if err != nil {
			t.Fatal(err)
		}
		_, err = client.Progress(context.Background(), testTask, "")
		if api.Code(err) != "APIGW.0201" || !strings.Contains(err.Error(), "X-Auth-Token: "+api.Redacted) {
			t.Fatalf("progress: %v, want APIGW.0201 with the token redacted", err)
		}
		tokens := sim.IssuedTokens()
		if len(tokens) == 0 {
			t.Fatal("no token issued")
		}
		noSecret(t, "error", err.Error(), tokens...)
		noSecret(t, "log", logs.String(), tokens...)
	})
	t.Run("aksk with security token", func(t *testing.T) {
		const (
			ak  = "AKREDACT000000000001"
			sk  = "sk-Redact-secret-key"
			sts = "sts-Redact-security-token"
		)
		sim := simulator.New(simulator.Options{})
		ts := testkit.Simulator(t, sim)
		sim.AddAccessKey(simulator.AccessKey{ID: ak, Secret: sk, SecurityToken: sts, ProjectID: simulator.DefaultProjectID})
		sim.SetTask(simulator.Task{ID: testTask, Status: simulator.IntPtr(2)})
		sim.SetFault(testTask, simulator.Fault{Kind: simulator.FaultEchoRequest})
		cfg := &config.Config{Region: "cn-north-4", Endpoint: ts.URL, Tasks: []config.Task{{ID: testTask}},
			Auth: config.Auth{AKSK: &config.AKSK{AccessKey: ak, SecretKey: sk, SecurityToken: sts,
				ProjectID: simulator.DefaultProjectID}}}
		if err := cfg.Validate(); err != nil {
			t.Fatal(err)
		}
		clients, logs := debugClients(t)
		client, err := clients.For(cfg)
		if err != nil {
			t.Fatal(err)
		}
		_, err = client.Progress(context.Background(), testTask, "")
		if api.Code(err) != "APIGW.0201" || !strings.Contains(err.Error(), "X-Security-Token: "+api.Redacted) ||
			!strings.Contains(err.Error(), "Authorization: "+api.Redacted) {
			t.Fatalf("progress: %v, want APIGW.0201 with the credentials redacted", err)
		}
		noSecret(t, "error", err.Error(), sk, sts, "Signature=")
		noSecret(t, "log", logs.String(), sk, sts, "Signature=")
	})
}

// Every CodeArts Check call carries the configured X-Language and the
// SDK's Content-Type; the simulator answers in that language.
func TestLanguageHeader(t *testing.T) {
	for _, lang := range []string{"", config.LanguageEnglish, config.LanguageChinese} {
		t.Run("language="+lang, func(t *testing.T) {
			sim := simulator.New(simulator.Options{})
			ts := testkit.Simulator(t, sim)
			sim.SetTask(simulator.Task{ID: testTask, Status: simulator.IntPtr(2)})
			cfg := iamConfig(t, ts.URL, simulator.DefaultUser, 1)
			cfg.Language = lang
			if err := cfg.Validate(); err != nil {
				t.Fatal(err)
			}
			want := lang
			if want == "" {
				want = config.LanguageEnglish
			}
			clients := newTestClients(t)
			client, err := clients.For(cfg)
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			if _, err := client.Progress(ctx, testTask, ""); err != nil {
				t.Fatal(err)
			}
			if _, err := client.DefectsStatistic(ctx, testTask); err != nil {
				t.Fatal(err)
			}
			if _, err := client.DefectsSummary(ctx, testTask); err != nil {
				t.Fatal(err)
			}
			if _, err := client.TaskList(ctx, "p1", 0, 10); err != nil && api.Code(err) == api.CodeInvalidResponse {
				t.Fatal(err)
			}
			for _, call := range []string{simulator.CallProgress, simulator.CallDefectsStatistic, simulator.CallDefectsSummary, simulator.CallTaskList} {
				h := sim.RequestHeaders(call)
				if len(h.Language) != 1 || h.Language[want] != 1 || len(h.ContentType) != 1 || h.ContentType["application/json"] != 1 {
					t.Errorf("%s: sent %+v, want X-Language %s and Content-Type application/json once", call, h, want)
				}
				if len(h.UserAgent) != 1 || h.UserAgent[api.UserAgent] != 1 {
					t.Errorf("%s: sent User-Agent %v, want %s once", call, h.UserAgent, api.UserAgent)
				}
			}
			sim.SetFault(testTask, simulator.Fault{Kind: simulator.FaultTokenExpired})
			_, err = client.Progress(ctx, testTask, "")
			english := strings.Contains(fmtErr(err), "Authentication information expired")
			if english != (want == config.LanguageEnglish) {
				t.Errorf("language %s: error %v", want, err)
			}
		})
	}
}

func fmtErr(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
