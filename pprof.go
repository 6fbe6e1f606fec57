package main

import (
	"net/http"
	"net/http/pprof"
)

// handlePprof serves the Go runtime's profiles under /debug/pprof/, which
// exporter-toolkit's landing page links to (heap, CPU) as it does for every
// Prometheus exporter. They sit behind the same --web.config.file TLS and
// basic auth as every other endpoint. A profile holds stack traces and
// sizes, never the contents of memory, so no credential can leak through
// it.
func handlePprof(mux *http.ServeMux) {
	mux.HandleFunc("/debug/pprof/", pprof.Index) // also serves heap, goroutine, allocs, ...
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
}
