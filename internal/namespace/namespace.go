// Package namespace holds the prefix of every metric name the exporter
// serves, for prometheus.BuildFQName and the Namespace of prometheus.Opts:
// one place, so that no package spells it on its own.
package namespace

// Name is the namespace of every metric of the exporter: its metric names
// start with Name + "_".
const Name = "codearts_check"
