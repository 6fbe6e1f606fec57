#!/usr/bin/env bash
# Makes promtool, prometheus and amtool available for the test suite.
#
# The tests need promtool (check metrics / rules, test rules) and a real
# Prometheus server (to evaluate every PromQL expression under deploy/).
# Order of preference:
#   1. both already on PATH (a workstation, or a previous run);
#   2. Debian/Ubuntu as root: the distribution's `prometheus` package, which
#      ships both binaries, and `prometheus-alertmanager` for amtool (which
#      checks the example Alertmanager configuration);
#   3. otherwise: say what is missing and how to get it, and fail.
set -euo pipefail

if command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1 && command -v amtool >/dev/null 2>&1; then
  exit 0
fi

if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "install-prometheus: installing Debian's prometheus package (promtool + server)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  # The package's postinst tries to start a service; in containers without an
  # init system that is refused, which is fine: the tests start their own.
  apt-get install -y -qq --no-install-recommends prometheus prometheus-alertmanager >/dev/null
  exit 0
fi

cat >&2 <<'MSG'
install-prometheus: promtool, prometheus and amtool are needed on PATH.
  Debian/Ubuntu: sudo apt-get install prometheus prometheus-alertmanager
  Elsewhere:     the release tarball from the Prometheus download page, or
                 go install github.com/prometheus/prometheus/cmd/{prometheus,promtool}@latest
MSG
exit 1
