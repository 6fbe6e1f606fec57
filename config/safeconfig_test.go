package config

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// /config answers 503 until a configuration is loaded, then the page of
// the configuration in force, secrets hidden, and follows a reload.
func TestConfigPageFollowsTheConfigurationInForce(t *testing.T) {
	sc := NewSafeConfig(prometheus.NewRegistry())
	srv := httptest.NewServer(sc)
	defer srv.Close()
	get := func() (int, string) {
		t.Helper()
		resp, err := http.Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if status, _ := get(); status != http.StatusServiceUnavailable {
		t.Errorf("before a load: HTTP %d, want 503", status)
	}
	const head = "region: cn-north-4\nauth:\n  iam:\n    domain_name: acme\n    username: monitor\n    password: s3cr3t\n"
	for _, id := range []string{"first1", "second2"} {
		cfg, err := parseYAML([]byte(head + "tasks:\n  - id: " + id + "\n"))
		if err != nil {
			t.Fatal(err)
		}
		sc.Set(cfg)
		status, body := get()
		if status != http.StatusOK || !strings.Contains(body, "id: "+id) || !strings.Contains(body, "password: <secret>") || strings.Contains(body, "s3cr3t") {
			t.Errorf("after loading %s: HTTP %d:\n%s", id, status, body)
		}
	}
}
