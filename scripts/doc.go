// Package scripts holds the build's shell scripts (fuzz.sh,
// install-prometheus.sh); its Go code is only the tests that run them.
package scripts
