package main

import (
	"os"
	"runtime/debug"
	"testing"
)

func TestGCPercentDefaultsUnlessSet(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	t.Setenv("GOGC", "") // registers the restore of the variable
	for _, tc := range []struct {
		env  *string
		want int
	}{
		{nil, defaultGCPercent},
		{ptr("200"), 100}, // set: left as the runtime read it
	} {
		debug.SetGCPercent(100)
		if tc.env == nil {
			unsetenv(t, "GOGC")
		} else {
			t.Setenv("GOGC", *tc.env)
		}
		setGCPercent()
		if got := debug.SetGCPercent(100); got != tc.want {
			t.Errorf("GOGC %v: GC percent %d, want %d", tc.env, got, tc.want)
		}
	}
}

func ptr(s string) *string { return &s }

// unsetenv removes key for the rest of the test; t.Setenv has registered
// its restore.
func unsetenv(t *testing.T, key string) {
	t.Helper()
	if err := os.Unsetenv(key); err != nil {
		t.Fatal(err)
	}
}
