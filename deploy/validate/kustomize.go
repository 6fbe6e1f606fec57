package main

import (
	"bytes"
	"fmt"
	"io"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// kustomize builds the kustomization in dir as `kubectl apply -k` does,
// with the kustomize library kubectl embeds: its generators (a
// configMapGenerator's ConfigMap, named with a hash of its content) and
// the references it rewrites to them are then checked like any manifest.
// Plugins stay off and files outside dir are refused, kustomize's
// defaults.
func kustomize(dir string) (io.Reader, error) {
	resources, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		return nil, fmt.Errorf("kustomize build %s: %w", dir, err)
	}
	out, err := resources.AsYaml()
	if err != nil {
		return nil, fmt.Errorf("kustomize build %s: %w", dir, err)
	}
	return bytes.NewReader(out), nil
}
