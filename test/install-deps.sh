#!/usr/bin/env bash
# The system packages the test suites need, installed with apt (run as root).
# iproute2: ip and ip netns; kmod: modprobe (its failure without ipip is a tested
# path); util-linux: setpriv for the not-root test; procps: ps for daemon tests;
# systemd: systemd-analyze verify for the units, systemd-notify for readiness;
# python3: a stand-in for systemd's notify socket in the readiness test;
# net-tools (ifconfig, route) and time (GNU time, peak RSS): npm run bench;
# lintian and shellcheck: the Debian package and its maintainer scripts (npm run
# package:deb itself needs only dpkg-deb and gzip); prometheus: promtool for the alert rules;
# nftables: the ARP guard (nft -f, nft -j); arping: ARP by hand next to the python prober.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends iproute2 kmod util-linux procps systemd python3 net-tools time \
  nftables arping lintian shellcheck prometheus >/dev/null
