package simulator

import (
	"context"
	"net/http"
	"net/url"
	"reflect"
	"testing"
	"time"

	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit/stdkit"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/signer"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/request"
)

const (
	testAK = "AKSIMULATOR000000001"
	testSK = "sk-simulator-secret"
)

var akskEpoch = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// sdkSign signs req with the official SDK signer, as the exporter does:
// host, X-Project-Id (unless projectID is ""), X-Sdk-Date (at date) and the
// optional security token are signed, and so is every query value.
func sdkSign(t *testing.T, req *http.Request, ak, sk, projectID, securityToken string, date time.Time) {
	t.Helper()
	b := request.NewHttpRequestBuilder().
		WithEndpoint(req.URL.Scheme+"://"+req.URL.Host).
		WithPath(req.URL.Path).
		WithMethod(req.Method).
		AddHeaderParam("Host", req.URL.Host).
		AddHeaderParam(signer.HeaderXDate, date.UTC().Format(signer.BasicDateFormat))
	if projectID != "" {
		b.AddHeaderParam("X-Project-Id", projectID)
		req.Header.Set("X-Project-Id", projectID)
	}
	if securityToken != "" {
		b.AddHeaderParam("X-Security-Token", securityToken)
		req.Header.Set("X-Security-Token", securityToken)
	}
	for k, vs := range req.URL.Query() {
		b.AddQueryParam(k, reflect.ValueOf(vs))
	}
	headers, err := signer.Sign(b.Build(), ak, sk)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
}

func newAKSKEnv(t *testing.T) (*env, *stdkit.Clock) {
	t.Helper()
	clock := stdkit.NewClock(akskEpoch)
	e := newEnv(t, Options{Now: clock.Now})
	e.sim.AddAccessKey(AccessKey{ID: testAK, Secret: testSK, ProjectID: DefaultProjectID})
	e.sim.SetTask(Task{ID: "task-1", Status: IntPtr(2)})
	return e, clock
}

// The verifier, written from the signing guide, accepts what the SDK signs:
// paths, queries with several keys and values, characters the two escape.
func TestSDKSignaturesPass(t *testing.T) {
	e, _ := newAKSKEnv(t)
	for _, pathAndQuery := range []string{
		"/v2/tasks/task-1/progress",
		"/v2/tasks/task-1/progress?job_id=job-42",
		"/v2/tasks/task-1/progress?job_id=a+b%2Fc%7E%C3%A9&z=1&a=2&a=1",
		"/v2/tasks/task-1/progress?empty=",
	} {
		req := e.newRequest(context.Background(), http.MethodGet, pathAndQuery, "")
		sdkSign(t, req, testAK, testSK, DefaultProjectID, "", akskEpoch)
		if r := e.do(req); r.status != http.StatusOK {
			t.Errorf("%s: status %d, body %s", pathAndQuery, r.status, r.body)
		}
	}
	if got := e.sim.SignedRequests(); got != 4 {
		t.Errorf("SignedRequests = %d, want 4", got)
	}
	want := []string{"host", "x-project-id", "x-sdk-date"}
	if got := e.sim.LastSignedHeaders(); !reflect.DeepEqual(got, want) {
		t.Errorf("signed headers %v, want %v", got, want)
	}
}

func TestSignatureRefusals(t *testing.T) {
	cases := []struct {
		name string
		send func(e *env, c *stdkit.Clock) *http.Request
	}{
		{"wrong secret", func(e *env, _ *stdkit.Clock) *http.Request {
			req := e.progressRequest(context.Background(), "task-1", "")
			sdkSign(t, req, testAK, "not-the-secret", DefaultProjectID, "", akskEpoch)
			return req
		}},
		{"unknown access key", func(e *env, _ *stdkit.Clock) *http.Request {
			req := e.progressRequest(context.Background(), "task-1", "")
			sdkSign(t, req, "AKUNKNOWN", testSK, DefaultProjectID, "", akskEpoch)
			return req
		}},
		{"query changed after signing", func(e *env, _ *stdkit.Clock) *http.Request {
			req := e.newRequest(context.Background(), http.MethodGet, "/v2/tasks/task-1/progress?job_id=a", "")
			sdkSign(t, req, testAK, testSK, DefaultProjectID, "", akskEpoch)
			req.URL.RawQuery = url.Values{"job_id": {"b"}}.Encode()
			return req
		}},
		{"query added after signing", func(e *env, _ *stdkit.Clock) *http.Request {
			req := e.progressRequest(context.Background(), "task-1", "")
			sdkSign(t, req, testAK, testSK, DefaultProjectID, "", akskEpoch)
			req.URL.RawQuery = "job_id=a"
			return req
		}},
		{"path changed after signing", func(e *env, _ *stdkit.Clock) *http.Request {
			e.sim.SetTask(Task{ID: "task-2", Status: IntPtr(2)})
			req := e.progressRequest(context.Background(), "task-1", "")
			sdkSign(t, req, testAK, testSK, DefaultProjectID, "", akskEpoch)
			req.URL.Path = "/v2/tasks/task-2/progress"
			return req
		}},
		{"signed header changed", func(e *env, _ *stdkit.Clock) *http.Request {
			req := e.progressRequest(context.Background(), "task-1", "")
			sdkSign(t, req, testAK, testSK, DefaultProjectID, "", akskEpoch)
			req.Header.Set("X-Sdk-Date", akskEpoch.Add(time.Second).Format("20060102T150405Z"))
			return req
		}},
		{"other project", func(e *env, _ *stdkit.Clock) *http.Request {
			req := e.progressRequest(context.Background(), "task-1", "")
			sdkSign(t, req, testAK, testSK, "ffffffffffffffffffffffffffffffff", "", akskEpoch)
			return req
		}},
		{"clock 16 minutes behind", func(e *env, _ *stdkit.Clock) *http.Request {
			req := e.progressRequest(context.Background(), "task-1", "")
			sdkSign(t, req, testAK, testSK, DefaultProjectID, "", akskEpoch.Add(-16*time.Minute))
			return req
		}},
		{"clock 16 minutes ahead", func(e *env, _ *stdkit.Clock) *http.Request {
			req := e.progressRequest(context.Background(), "task-1", "")
			sdkSign(t, req, testAK, testSK, DefaultProjectID, "", akskEpoch.Add(16*time.Minute))
			return req
		}},
		{"missing signature", func(e *env, _ *stdkit.Clock) *http.Request {
			req := e.progressRequest(context.Background(), "task-1", "")
			req.Header.Set("X-Sdk-Date", akskEpoch.Format("20060102T150405Z"))
			req.Header.Set("X-Project-Id", DefaultProjectID)
			return req
		}},
		{"malformed authorization", func(e *env, _ *stdkit.Clock) *http.Request {
			req := e.progressRequest(context.Background(), "task-1", "")
			sdkSign(t, req, testAK, testSK, DefaultProjectID, "", akskEpoch)
			req.Header.Set("Authorization", "SDK-HMAC-SHA256 Access="+testAK)
			return req
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e, clock := newAKSKEnv(t)
			r := e.do(c.send(e, clock))
			wantErr(t, r, http.StatusUnauthorized, "APIGW.0301", true)
			if e.sim.SignedRequests() != 0 {
				t.Error("a refused request was counted as signed")
			}
		})
	}
}

func TestClockSkewWithinLimitPasses(t *testing.T) {
	e, _ := newAKSKEnv(t)
	for _, skew := range []time.Duration{-14 * time.Minute, 14 * time.Minute} {
		req := e.progressRequest(context.Background(), "task-1", "")
		sdkSign(t, req, testAK, testSK, DefaultProjectID, "", akskEpoch.Add(skew))
		if r := e.do(req); r.status != http.StatusOK {
			t.Errorf("skew %v: status %d, body %s", skew, r.status, r.body)
		}
	}
}

func TestTemporaryCredentialsNeedTheirToken(t *testing.T) {
	e, _ := newAKSKEnv(t)
	e.sim.AddAccessKey(AccessKey{ID: "AKTEMP", Secret: "sk-temp", SecurityToken: "sts-token"})

	req := e.progressRequest(context.Background(), "task-1", "")
	sdkSign(t, req, "AKTEMP", "sk-temp", DefaultProjectID, "sts-token", akskEpoch)
	if r := e.do(req); r.status != http.StatusOK {
		t.Fatalf("with token: status %d, body %s", r.status, r.body)
	}
	if got := e.sim.LastSignedHeaders(); !reflect.DeepEqual(got, []string{"host", "x-project-id", "x-sdk-date", "x-security-token"}) {
		t.Errorf("signed headers %v", got)
	}

	req = e.progressRequest(context.Background(), "task-1", "")
	sdkSign(t, req, "AKTEMP", "sk-temp", DefaultProjectID, "", akskEpoch)
	wantErr(t, e.do(req), http.StatusUnauthorized, "APIGW.0301", true)
	if got := e.sim.SignatureFailures(); got != 1 {
		t.Errorf("SignatureFailures = %d, want 1", got)
	}
}

// Tokens keep working beside access keys.
func TestTokenStillAccepted(t *testing.T) {
	e, _ := newAKSKEnv(t)
	if r := e.progress("task-1", e.token()); r.status != http.StatusOK {
		t.Fatalf("status %d, body %s", r.status, r.body)
	}
}
