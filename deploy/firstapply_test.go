package deploy_test

import (
	"bytes"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v2"
)

// TestKubernetesFirstApply checks what makes `kubectl apply -k
// deploy/kubernetes/` work the first time: nothing it applies is a Secret
// (so it cannot overwrite the one created from the real password), the
// image is the placeholder that kustomization.yml's images entry replaces,
// and deploy/README.md gives the steps in an order that works.
func TestKubernetesFirstApply(t *testing.T) {
	var k struct {
		Resources []string `yaml:"resources"`
		Images    []struct {
			Name    string `yaml:"name"`
			NewName string `yaml:"newName"`
			NewTag  string `yaml:"newTag"`
		} `yaml:"images"`
	}
	loadYAML(t, "kubernetes/kustomization.yml", &k)

	manifests, err := filepath.Glob("kubernetes/*.y*ml")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range manifests {
		dec := yaml.NewDecoder(bytes.NewReader(readFile(t, m)))
		for {
			var doc struct {
				Kind string `yaml:"kind"`
			}
			err := dec.Decode(&doc)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", m, err)
			}
			if doc.Kind == "Secret" {
				t.Errorf("%s holds a Secret: an apply would overwrite the one created with `%s`", m, secretCommand)
			}
		}
	}

	if len(k.Images) != 1 || k.Images[0].Name != imagePlaceholder {
		t.Fatalf("kustomization.yml images %+v, want one entry named %s (the manifests' placeholder)", k.Images, imagePlaceholder)
	}
	// The shipped values are the placeholders themselves, so that a
	// forgotten step fails with a name that says what to do.
	if k.Images[0].NewName != imagePlaceholder || k.Images[0].NewTag != tagPlaceholder {
		t.Errorf("kustomization.yml sets the image to %s:%s, want the placeholder %s:%s that deploy/README.md tells to replace",
			k.Images[0].NewName, k.Images[0].NewTag, imagePlaceholder, tagPlaceholder)
	}

	readme := string(readFile(t, "README.md"))
	// The steps of the kustomize path, in the order that works. Each is a
	// string the README must hold, found after the previous one.
	steps := []struct{ what, text string }{
		{"build the image", "docker build"},
		{"push it", "docker push"},
		{"create the Secret", secretCommand},
		{"set the image in kustomization.yml", "newName"},
		{"apply", "kubectl apply -k deploy/kubernetes/"},
	}
	kustomize := strings.Index(readme, "## Kubernetes with kustomize")
	if kustomize < 0 {
		t.Fatal(`deploy/README.md has no "## Kubernetes with kustomize" section`)
	}
	at := strings.Index(readme, "## The image")
	if at < 0 {
		t.Fatal(`deploy/README.md has no "## The image" section`)
	}
	for _, s := range steps {
		if s.what == "create the Secret" {
			at = kustomize
		}
		i := strings.Index(readme[at:], s.text)
		if i < 0 {
			t.Errorf("deploy/README.md does not say to %s (%q) after the previous step", s.what, s.text)
			continue
		}
		at += i + len(s.text)
	}
	for _, s := range []string{imagePlaceholder, tagPlaceholder} {
		if !strings.Contains(readme, s) {
			t.Errorf("deploy/README.md does not name the placeholder %s the manifests use", s)
		}
	}
	// Helm is the first option: its section comes before kustomize's.
	if h := strings.Index(readme, "## Kubernetes with Helm"); h < 0 || h > kustomize {
		t.Error(`deploy/README.md: the "## Kubernetes with Helm" section must come before "## Kubernetes with kustomize"`)
	}
}
