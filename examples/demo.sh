#!/usr/bin/env bash
# A safe tour of rs-agent: everything happens in a throwaway network namespace,
# which is deleted at the end. The machine's own network is never touched.
# Run as root, from the repository, after `npm run build` (npm run demo does both).
set -euo pipefail
cd "$(dirname "$0")/.."

ns="rs-agent-demo-$$"
work=$(mktemp -d)
cleanup() { ip netns del "$ns" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

if [ "$(id -u)" -ne 0 ]; then echo "demo: run as root (it creates a network namespace)" >&2; exit 2; fi

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { printf '\033[2m$ %s\033[0m\n' "$*"; "$@"; }
agent() { show ip netns exec "$ns" node dist/cli/main.js "$@" --config "$work/rs-agent.yaml" --state-dir "$work/state"; }

step "A throwaway real server: namespace $ns with lo and a NIC eth0 (arp_announce=1, as its operator set it)"
ip netns add "$ns"
ip -n "$ns" link set lo up
ip -n "$ns" link add eth0 type veth peer name eth0-peer
ip -n "$ns" link set eth0 up
ip netns exec "$ns" sh -c 'echo 1 > /proc/sys/net/ipv4/conf/eth0/arp_announce'
cat > "$work/rs-agent.yaml" <<'YAML'
mode: dr
vips: [192.0.2.10, 192.0.2.11]
interfaces: [eth0]
YAML
cat "$work/rs-agent.yaml"

step "plan: what start would change, in the order it would change it (ARP sysctls first)"
agent plan

step "start"
agent start

step "check: in sync (exit 0)"
agent check

step "drift: someone flushes a VIP and resets a sysctl"
show ip -n "$ns" addr del 192.0.2.11/32 dev lo
show ip netns exec "$ns" sh -c 'echo 0 > /proc/sys/net/ipv4/conf/eth0/arp_ignore'
set +e
agent check
echo "(check exited $?: drift)"
set -e

step "check --fix repairs it"
agent check --fix

step "status"
agent status

step "stop: VIPs removed, every sysctl back to its original (eth0 arp_announce back to 1)"
agent stop
show ip -n "$ns" -br addr show dev lo
show ip netns exec "$ns" cat /proc/sys/net/ipv4/conf/eth0/arp_announce

step "done: the namespace is deleted"
