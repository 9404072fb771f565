#!/usr/bin/env bash
# The system packages the kernel and packaging tiers need (npm run test:kernel,
# test:packaging), installed with apt (run as root); the unit tier (npm test) needs none.
# --with-e2e adds the VM suites' packages (e2e/install-deps.sh lists them) to the same
# apt-get update and install: what npm run test:all runs.
# iproute2: ip and ip netns; kmod: modprobe (its failure without ipip is a tested
# path); util-linux: setpriv and unshare; procps: ps for daemon tests;
# systemd: systemd-analyze verify for the units, systemd-notify for readiness;
# python3: the ARP prober (test/helpers/arp-prober.py), and a stand-in for systemd's notify
# socket in the readiness test; no arping: the prober does the asking, and the VM suites'
# iputils-arping is the one arping package either list names;
# net-tools (ifconfig, route) and time (GNU time, peak RSS): npm run bench;
# lintian and shellcheck: the Debian package and its maintainer scripts (npm run
# package:deb itself needs only dpkg-deb and gzip); groff-base and man-db: the man pages rendered;
# prometheus: promtool for the alert rules; nftables: the ARP guard (nft -f, nft -j);
# etcd-server and etcd-client (etcd 3.4): the fleet tests start their own members in
# namespaces of their own; haproxy and ldirectord: the director snippets of docs/directors.md,
# run in namespaces (test/kernel/directors.test.ts). None of the packaged etcd, prometheus,
# haproxy or ldirectord services may run:
# policy-rc.d forbids starting services during the install, and they are stopped and
# disabled afterwards in case a service manager started them anyway.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
# --with-e2e's linux-image-amd64 without the initramfs nothing reads (e2e/install-deps.sh says why).
export INITRD=No
extra=()
if [ "${1:-}" = --with-e2e ]; then
  read -r -a extra <<<"$(sh "$(dirname "$0")/e2e/install-deps.sh" --list)"
fi
# On a shared machine another apt may hold the lock: wait for it rather than fail.
apt=(apt-get -o DPkg::Lock::Timeout=600)
"${apt[@]}" update -qq
"${apt[@]}" install -y -qq --no-install-recommends iproute2 kmod util-linux procps systemd python3 net-tools time >/dev/null
policy=/usr/sbin/policy-rc.d
had_policy=0
[ -e "$policy" ] && had_policy=1 && cp "$policy" "$policy.rs-agent-saved"
printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod 755 "$policy"
"${apt[@]}" install -y -qq --no-install-recommends nftables lintian shellcheck groff-base man-db prometheus etcd-server etcd-client haproxy ldirectord \
  "${extra[@]}" >/dev/null
if [ "$had_policy" = 1 ]; then mv "$policy.rs-agent-saved" "$policy"; else rm -f "$policy"; fi
if [ -d /run/systemd/system ]; then systemctl disable --now etcd.service prometheus.service >/dev/null 2>&1 || true; fi
# Not enabled either (the e2e VMs boot this machine's root under systemd).
systemctl disable haproxy.service ldirectord.service >/dev/null 2>&1 || true
if pgrep -x etcd >/dev/null; then echo "install-deps: a system etcd is running; the fleet tests need it stopped" >&2; exit 1; fi
