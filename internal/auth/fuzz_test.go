package auth

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/codearts-check-exporter/codearts_check_exporter/internal/api"
)

// FuzzDecodeProjects: whatever IAM's project list holds, decoding must not
// panic; it yields an ID only when exactly one project bears the region's
// name, and only an ID that is safe in a signed header. Seed corpus in
// testdata/fuzz/FuzzDecodeProjects.
func FuzzDecodeProjects(f *testing.F) {
	f.Add([]byte(`{"projects":[{"id":"0123456789abcdef0123456789abcdef","name":"cn-north-4",` +
		`"domain_id":"d","enabled":true}],"links":{"self":"x"}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		id, err := decodeProjects(&api.Response{StatusCode: http.StatusOK, Header: http.Header{}, Body: body}, "cn-north-4")
		if err != nil {
			if id != "" || err.Error() == "" {
				t.Fatalf("decode(%q) = %q, %v", body, id, err)
			}
			return
		}
		if !safeProjectID.MatchString(id) {
			t.Fatalf("decode(%q) = %q: not a safe project ID", body, id)
		}
		var list struct {
			Projects []struct{ ID, Name string }
		}
		if json.Unmarshal(body, &list) != nil {
			t.Fatalf("decode(%q) = %q from a body encoding/json refuses", body, id)
		}
		named := 0
		for _, p := range list.Projects {
			if p.Name == "cn-north-4" {
				named++
			}
		}
		if named != 1 {
			t.Fatalf("decode(%q) = %q with %d projects named cn-north-4", body, id, named)
		}
	})
}
