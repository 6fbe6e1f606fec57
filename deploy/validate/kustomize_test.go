package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// validate -k checks what kustomize builds: a configMapGenerator's
// ConfigMap, named with a hash of its content, satisfies the workload that
// mounts it by its generator name (kustomize rewrites the reference in a
// projected volume too), and a kustomization without it is refused.
func TestRunKustomization(t *testing.T) {
	_, rest, ok := strings.Cut(good, "\n---\n")
	if !ok {
		t.Fatal("good has no second document")
	}
	build := func(kustomization string) (int, string) {
		t.Helper()
		dir := t.TempDir()
		for name, content := range map[string]string{
			"app.yaml":           rest,
			"config.yml":         "x: 1\n",
			"kustomization.yaml": kustomization,
		} {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		var out, errOut bytes.Buffer
		code := run([]string{"-k", dir}, nil, &out, &errOut)
		return code, out.String() + errOut.String()
	}
	const resources = "resources: [app.yaml]\n"
	if code, out := build(resources + "configMapGenerator:\n  - name: cfg\n    files: [config.yml]\n"); code != 0 ||
		!strings.Contains(out, "4 objects valid (1 ConfigMap, 1 Deployment, 1 Service, 1 ServiceMonitor)") {
		t.Errorf("a kustomization generating the mounted ConfigMap: exit %d, %s", code, out)
	}
	if code, out := build(resources); code != 1 || !strings.Contains(out, `mounts ConfigMap "cfg", which is not in the set`) {
		t.Errorf("a kustomization without the ConfigMap: exit %d, %s; want 1 naming it", code, out)
	}
	if code, out := build(resources + "configMapGenerator:\n  - name: cfg\n    files: [missing.yml]\n"); code != 1 || !strings.Contains(out, "kustomize build") {
		t.Errorf("a generator of a missing file: exit %d, %s; want 1 saying kustomize build failed", code, out)
	}
}
