#!/usr/bin/env bash
# Makes promtool, prometheus and amtool available for the test suite.
#
# The tests need promtool (check metrics / rules, test rules) and a real
# Prometheus server (to evaluate every PromQL expression under deploy/ and
# in README.md). amtool is optional: it checks the example Alertmanager
# configuration, and without it only that check is skipped (the test says
# so), as deploy/README.md explains.
#
# Order of preference:
#   1. already on PATH (a workstation, or a previous run);
#   2. Debian/Ubuntu as root: the distribution's `prometheus` package, which
#      ships promtool and the server, and `prometheus-alertmanager` for
#      amtool;
#   3. otherwise: say what is missing and how to get it; fail only when a
#      required tool is missing.
set -euo pipefail

have() { command -v "$1" >/dev/null 2>&1; }

packages=()
have promtool && have prometheus || packages+=(prometheus)
have amtool || packages+=(prometheus-alertmanager)
if [ ${#packages[@]} -eq 0 ]; then
  exit 0
fi

if have apt-get && [ "$(id -u)" = 0 ]; then
  echo "install-prometheus: installing Debian's ${packages[*]} with apt-get (into /usr/bin; apt-get update first)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null || true
  # The packages' postinst tries to start a service; in containers without
  # an init system that is refused, which is fine: the tests start their own.
  apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null || true
fi

status=0
if ! have promtool || ! have prometheus; then
  cat >&2 <<'MSG'
install-prometheus: promtool and prometheus are needed on PATH.
  Debian/Ubuntu: sudo apt-get install prometheus
  Elsewhere:     the release tarball (both binaries, ~100 MB) from
                 https://prometheus.io/download/#prometheus
MSG
  status=1
fi
if ! have amtool; then
  cat >&2 <<'MSG'
install-prometheus: amtool is not on PATH: the check of
  deploy/alertmanager/alertmanager.yml with `amtool check-config` will be
  skipped (and say so). To run it:
  Debian/Ubuntu: sudo apt-get install prometheus-alertmanager
  Elsewhere:     the alertmanager release tarball from
                 https://prometheus.io/download/#alertmanager
MSG
fi
exit $status
