#!/usr/bin/env bash
# A fleet of five real servers following one etcd, in throwaway network namespaces
# that are deleted at the end (the machine's own network is never touched; nothing
# leaves the namespaces). Run as root after `npm run build` (npm run demo:fleet does both).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then echo "demo: run as root (it creates network namespaces)" >&2; exit 2; fi
command -v etcd >/dev/null || { echo "demo: needs etcd and etcdctl (apt-get install etcd-server etcd-client)" >&2; exit 2; }

id=$$
hub="rsd-$id-hub"
store="rsd-$id-etcd"
work=$(mktemp -d)
hosts=(web-1 web-2 web-3 db-1 db-2)
pools=(web web web db db)
etcd_pid=

cleanup() {
  set +e
  for i in "${!hosts[@]}"; do
    for pid in $(ip netns pids "rsd-$id-$i" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
    ip netns del "rsd-$id-$i" 2>/dev/null
  done
  [ -n "$etcd_pid" ] && kill -9 "$etcd_pid" 2>/dev/null
  ip netns del "$store" 2>/dev/null
  ip netns del "$hub" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { printf '\033[2m$ %s\033[0m\n' "$*"; "$@"; }
ctl() { ip netns exec "$store" env ETCDCTL_API=3 etcdctl --endpoints=http://10.78.0.1:2379 "$@"; }
fleet() { show ip netns exec "$store" node dist/cli/main.js fleet status --config "$work/0/rs-agent.yaml" || true; }
plug() { # $1 namespace, $2 bridge port name, $3 address
  ip -n "$hub" link add "$2" type veth peer name eth0 netns "$1"
  ip -n "$hub" link set "$2" master br0 up
  ip -n "$1" link set lo up
  ip -n "$1" link set eth0 up
  ip -n "$1" addr add "$3/24" dev eth0
}
start_etcd() {
  ip netns exec "$store" etcd --name demo --data-dir "$work/etcd" \
    --listen-client-urls http://10.78.0.1:2379 --advertise-client-urls http://10.78.0.1:2379 \
    --listen-peer-urls http://10.78.0.1:2380 --initial-advertise-peer-urls http://10.78.0.1:2380 \
    --initial-cluster demo=http://10.78.0.1:2380 --log-level error >"$work/etcd.log" 2>&1 &
  etcd_pid=$!
  disown "$etcd_pid"
  until ctl endpoint health >/dev/null 2>&1; do sleep 0.1; done
}

step "A bridge, an etcd member and five real servers, each in a namespace of its own"
ip netns add "$hub"
ip -n "$hub" link add br0 type bridge
ip -n "$hub" link set br0 up
ip netns add "$store"
plug "$store" vetcd 10.78.0.1
start_etcd
for i in "${!hosts[@]}"; do
  ns="rsd-$id-$i"
  ip netns add "$ns"
  plug "$ns" "va$i" "10.78.0.$((i + 10))"
  mkdir -p "$work/$i"
  cat > "$work/$i/rs-agent.yaml" <<YAML
source:
  etcd:
    endpoints: [http://10.78.0.1:2379]
    insecure: true              # plain http on the demo's own bridge
    cache: $work/$i/cache.json
    heartbeat: 2
host: ${hosts[$i]}
labels: {pool: ${pools[$i]}}
interfaces: [eth0]
YAML
  ip netns exec "$ns" node dist/cli/main.js run --config "$work/$i/rs-agent.yaml" --state-dir "$work/$i/state" >"$work/$i/log" 2>&1 &
  disown $!
done
echo "real servers: ${hosts[*]} (pools: ${pools[*]}); one of their configs:"
cat "$work/0/rs-agent.yaml"
for i in "${!hosts[@]}"; do until grep -q '"event":"ready"' "$work/$i/log"; do sleep 0.1; done; done
fleet

step "One write: a VIP for the web pool"
t0=$(date +%s%N)
show ctl put /rs-agent/groups/web 'selector: {pool: web}
vips: [192.0.2.10]'
for i in 0 1 2; do until ip -n "rsd-$id-$i" -br addr show dev lo | grep -q 192.0.2.10; do sleep 0.02; done; done
sleep 0.5
for i in "${!hosts[@]}"; do
  at=$(grep '"event":"repair"' "$work/$i/log" | grep '"address 192.0.2.10/32 dev lo"' | head -1 | sed 's/.*"time":"\([^"]*\)".*/\1/' || true)
  if [ -n "$at" ]; then
    ms=$(( ($(date -d "$at" +%s%N) - t0) / 1000000 ))
    printf '  %-6s has 192.0.2.10 on lo, %d ms after the put\n' "${hosts[$i]}" "$ms"
  else
    printf '  %-6s (pool %s) has no VIP: not concerned\n' "${hosts[$i]}" "${pools[$i]}"
  fi
done
fleet
show ctl get --prefix /rs-agent/groups/

step "etcd stops: every VIP stays, and drift is still repaired locally"
kill -9 "$etcd_pid"; etcd_pid=
sleep 6
show ip -n "rsd-$id-1" -br addr show dev lo
grep '"event":"store-down"' "$work/1/log" | head -1 | cut -c1-220 | sed 's/.*"message":"\([^"]*\)".*/  web-2 logged: \1/'
show ip -n "rsd-$id-1" addr del 192.0.2.10/32 dev lo
sleep 0.5
show ip -n "rsd-$id-1" -br addr show dev lo
grep '"event":"repair"' "$work/1/log" | grep '"action":"add"' | tail -1 | sed 's/.*"message":"\([^"]*\)".*/  web-2 logged: \1/'

step "etcd is back: each host reports the outage it lived through"
start_etcd
sleep 3
fleet

step "web-3 is cut off from etcd (its bridge port down): its VIP stays, its status goes stale"
show ip -n "$hub" link set va2 down
sleep 6
show ip -n "rsd-$id-2" -br addr show dev lo
fleet
show ip -n "$hub" link set va2 up
sleep 3
fleet

step "done: the namespaces, etcd's data and the agents are gone"
