package main

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// Every link and resource of the landing page answers 200: the links the
// exporter adds and the ones exporter-toolkit adds by itself (the pprof
// heap and CPU profiles), so that a newcomer clicking around never meets a
// 404.
func TestLandingPageLinksWork(t *testing.T) {
	e := startExporter(t, "--demo")
	page := e.get(t, "/")
	base, err := url.Parse(e.base + "/")
	if err != nil {
		t.Fatal(err)
	}
	links := regexp.MustCompile(`(?:href|src)="([^"]*)"`).FindAllStringSubmatch(page, -1)
	checked := map[string]bool{}
	for _, m := range links {
		ref, err := url.Parse(m[1])
		if err != nil {
			t.Errorf("landing page link %q: %v", m[1], err)
			continue
		}
		u := base.ResolveReference(ref)
		if u.Host != base.Host {
			continue // an outside site (pprof.me), not ours to serve
		}
		if u.Path == "/debug/pprof/profile" {
			// The link asks for a 60 s CPU profile; one second answers the
			// same way, sooner.
			q := u.Query()
			q.Set("seconds", "1")
			u.RawQuery = q.Encode()
		}
		path := u.RequestURI()
		if checked[path] {
			continue
		}
		checked[path] = true
		if status, body := e.request(t, http.MethodGet, path); status != http.StatusOK {
			t.Errorf("landing page link %q: GET %s answers %d: %.200s", m[1], path, status, body)
		}
	}
	// The page must link at least what the README promises, so that a
	// page that lost its links does not pass for one whose links work.
	for _, want := range []string{"/metrics", "/config", "/-/healthy", "/-/ready", "/debug/pprof/heap", "/debug/pprof/profile?seconds=1"} {
		if !checked[want] {
			t.Errorf("the landing page does not link %s; it links %v", want, checked)
		}
	}
	if strings.Contains(page, "<secret>") || strings.Contains(page, "demo-password") {
		t.Error("the landing page shows a credential")
	}
}
