package config

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkParse10000Tasks is the cost of loading a file of 10,000 tasks,
// the size BENCHMARKS.md measures the binary at: loading it sets the
// process's first memory peak.
func BenchmarkParse10000Tasks(b *testing.B) {
	var doc strings.Builder
	doc.WriteString("region: cn-north-4\nauth:\n  iam:\n    domain_name: d\n    username: u\n    password: p\ntasks:\n")
	for i := range 10000 {
		fmt.Fprintf(&doc, "  - id: %016x%016x\n    name: task-%d\n", uint64(i)*0x9e3779b97f4a7c15, i, i)
	}
	data := []byte(doc.String())
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}
