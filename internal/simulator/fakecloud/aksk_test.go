package fakecloud

import (
	"net/http"
	"testing"
)

// The canonical request follows the signing guide's layout byte for byte.
func TestCanonicalRequestLayout(t *testing.T) {
	req, err := http.NewRequest(http.MethodGet, "http://127.0.0.1:8080/v2/tasks/t%201/progress?job_id=b&a=x%2Fy", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = "127.0.0.1:8080"
	req.Header.Set("X-Sdk-Date", "20260301T120000Z")
	req.Header.Set("X-Project-Id", " p1 ")
	got := canonicalRequest(req, []string{"host", "x-project-id", "x-sdk-date"}, "e3b0")
	want := "GET\n/v2/tasks/t%201/progress/\na=x%2Fy&job_id=b\n" +
		"host:127.0.0.1:8080\nx-project-id:p1\nx-sdk-date:20260301T120000Z\n\n" +
		"host;x-project-id;x-sdk-date\ne3b0"
	if got != want {
		t.Errorf("canonical request\n%q\nwant\n%q", got, want)
	}
}
