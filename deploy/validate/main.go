// Command validate checks Kubernetes manifests offline: it strictly decodes
// every document into the k8s.io/api and prometheus-operator Go types the
// API server's and the operator's schemas are generated from (unknown or
// duplicate fields, wrong types and unknown kinds are errors), then runs the
// checks an apply would fail on or a pod would trip over: names, labels,
// ports, probes, mounts, selectors that select, and the references between
// the objects given together.
//
//	validate FILE...      each file may hold several documents; - is stdin
//	validate -k DIR       what `kubectl apply -k DIR` would apply
//
// All files (or kustomizations) given in one call form one set for the
// checks between objects.
// It exits 1 and prints every problem when there is any.
package main

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	kustomized := len(args) > 0 && args[0] == "-k"
	if kustomized {
		args = args[1:]
	}
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: validate FILE... (- for standard input) | validate -k DIR...")
		return 2
	}
	var (
		objs []Object
		errs []error
	)
	for _, name := range args {
		var r io.Reader = stdin
		switch {
		case kustomized:
			k, err := kustomize(name)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			r = k
		case name != "-":
			f, err := os.Open(name)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			defer f.Close()
			r = f
		}
		o, e := Decode(name, r)
		objs, errs = append(objs, o...), append(errs, e...)
	}
	errs = append(errs, Check(objs)...)
	for _, err := range errs {
		fmt.Fprintln(stderr, "validate:", err)
	}
	if len(errs) > 0 {
		return 1
	}
	kinds := map[string]int{}
	for _, o := range objs {
		kinds[o.Obj.GetObjectKind().GroupVersionKind().Kind]++
	}
	var list []string
	for k, n := range kinds {
		list = append(list, fmt.Sprintf("%d %s", n, k))
	}
	sort.Strings(list)
	fmt.Fprintf(stdout, "validate: %s: %d objects valid (%s)\n", strings.Join(args, " "), len(objs), strings.Join(list, ", "))
	return 0
}
