package simulator

import (
	"context"
	"encoding/json"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/simulator/fakecloud"
	"net/http"
	"reflect"
	"testing"
)

// listedProjects is the answer as the IAM API reference gives it.
type listedProjects struct {
	Projects []struct {
		ID       string `json:"id"`
		Name     string `json:"name"`
		DomainID string `json:"domain_id"`
		Enabled  bool   `json:"enabled"`
	} `json:"projects"`
	Links map[string]any `json:"links"`
}

func (e *env) listProjects(t *testing.T, query, projectHeader, sk string) (response, listedProjects) {
	t.Helper()
	req := e.newRequest(context.Background(), http.MethodGet, "/v3/projects"+query, "")
	sdkSign(t, req, testAK, sk, projectHeader, "", akskEpoch)
	r := e.do(req)
	var body listedProjects
	if r.status == http.StatusOK {
		if err := json.Unmarshal(r.body, &body); err != nil {
			t.Fatalf("answer %s: %v", r.body, err)
		}
	}
	return r, body
}

// The SDK's lookup: signed, without X-Project-Id, ?name={region}. The
// answer has the region's one project, with the keys the SDK reads.
func TestProjectLookupSigned(t *testing.T) {
	e, _ := newAKSKEnv(t)
	r, body := e.listProjects(t, "?name="+DefaultProject, "", testSK)
	if r.status != http.StatusOK || r.header.Get("Content-Type") != fakecloud.ContentTypeJSON {
		t.Fatalf("status %d, content type %q, body %s", r.status, r.header.Get("Content-Type"), r.body)
	}
	if len(body.Projects) != 1 || body.Projects[0].ID != DefaultProjectID || body.Projects[0].Name != DefaultProject ||
		!body.Projects[0].Enabled || body.Projects[0].DomainID == "" || body.Links["self"] == nil {
		t.Errorf("answer %s", r.body)
	}
	if name, withHeader := e.sim.LastProjectQuery(); name != DefaultProject || withHeader {
		t.Errorf("LastProjectQuery = %q, %v", name, withHeader)
	}
	if e.sim.SignedRequests() != 1 || e.sim.ProjectRequests() != 1 {
		t.Errorf("signed %d, project requests %d; want 1, 1", e.sim.SignedRequests(), e.sim.ProjectRequests())
	}
}

// SetProjects makes a name have no project, or several.
func TestProjectLookupZeroOrSeveral(t *testing.T) {
	e, _ := newAKSKEnv(t)
	e.sim.SetProjects("cn-north-1")
	e.sim.SetProjects("cn-east-3", "aaaa", "bbbb")
	for name, want := range map[string][]string{"cn-north-1": nil, "cn-east-3": {"aaaa", "bbbb"}, "cn-nowhere-1": nil} {
		r, body := e.listProjects(t, "?name="+name, "", testSK)
		if r.status != http.StatusOK {
			t.Fatalf("%s: status %d, body %s", name, r.status, r.body)
		}
		var got []string
		for _, p := range body.Projects {
			if p.Name != name {
				t.Errorf("%s: project %+v of another name", name, p)
			}
			got = append(got, p.ID)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: projects %v, want %v (%s)", name, got, want, r.body)
		}
	}
	// Without a name, every project.
	if _, body := e.listProjects(t, "", "", testSK); len(body.Projects) != 3 {
		t.Errorf("all projects: %+v", body.Projects)
	}
}

// The signature is checked as on every signed call: a wrong one is refused
// with 401 APIGW.0301 and counted; X-Project-Id, when sent, must be the
// key's; a request with no credentials is refused.
func TestProjectLookupRefusals(t *testing.T) {
	e, _ := newAKSKEnv(t)
	if r, _ := e.listProjects(t, "?name="+DefaultProject, "", "wrong-secret"); r.status != http.StatusUnauthorized || apiCode(t, r) != "APIGW.0301" {
		t.Errorf("wrong secret: status %d, body %s", r.status, r.body)
	}
	if r, _ := e.listProjects(t, "?name="+DefaultProject, "ffffffffffffffffffffffffffffffff", testSK); r.status != http.StatusUnauthorized {
		t.Errorf("another project's X-Project-Id: status %d, body %s", r.status, r.body)
	}
	if got := e.sim.SignatureFailures(); got != 2 {
		t.Errorf("SignatureFailures = %d, want 2", got)
	}
	if r, _ := e.listProjects(t, "?name="+DefaultProject, DefaultProjectID, testSK); r.status != http.StatusOK {
		t.Errorf("the key's own X-Project-Id: status %d, body %s", r.status, r.body)
	}
	r := e.do(e.newRequest(context.Background(), http.MethodGet, "/v3/projects?name="+DefaultProject, ""))
	if r.status != http.StatusUnauthorized {
		t.Errorf("no credentials: status %d, body %s", r.status, r.body)
	}
	if name, _ := e.sim.LastProjectQuery(); e.sim.ProjectRequests() != 4 || name != DefaultProject {
		t.Errorf("project requests %d, last name %q", e.sim.ProjectRequests(), name)
	}
}

// IAM faults reach the lookup after the credentials check.
func TestProjectLookupIAMFault(t *testing.T) {
	e, _ := newAKSKEnv(t)
	e.sim.SetIAMFault(Fault{Kind: FaultServiceUnavailable, Times: 1})
	if r, _ := e.listProjects(t, "?name="+DefaultProject, "", testSK); r.status != http.StatusServiceUnavailable || apiCode(t, r) != "APIGW.0613" {
		t.Errorf("with the fault: status %d, body %s", r.status, r.body)
	}
	if r, _ := e.listProjects(t, "?name="+DefaultProject, "", testSK); r.status != http.StatusOK {
		t.Errorf("after the fault: status %d, body %s", r.status, r.body)
	}
}

func apiCode(t *testing.T, r response) string {
	t.Helper()
	var body struct {
		Code string `json:"error_code"`
	}
	if err := json.Unmarshal(r.body, &body); err != nil {
		t.Fatalf("error body %s: %v", r.body, err)
	}
	return body.Code
}
