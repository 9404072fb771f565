#!/bin/bash
# Runs inside the VM (see init.sh): for each mode in E2E_MODES (dr,tun), builds an LVS cluster
# out of network namespaces, configures its real servers with rs-agent and nothing else, and
# prints what it observes as JSON lines on stdout; progress goes to stderr (the console).
# The host's vitest file (../lvs-cluster.test.ts) judges the observations.
#
# It also runs by hand in the VM's shell (see README.md). Outside a throwaway VM, mind that it
# loads modules and creates (and deletes) namespaces named client, director, rs1, rs2 and sw.
GUEST_DIR=$(dirname "$(readlink -f "$0")")
REPO=$(cd "$GUEST_DIR/../../.." && pwd)
. "$GUEST_DIR/lib/topology.sh"
. "$GUEST_DIR/lib/observe.sh"
. "$GUEST_DIR/lib/rs-agent.sh"
. "$GUEST_DIR/lib/naive.sh"

REQUESTS=12
# E2E_TRACE=1: every command, timestamped, on the console.
if [ "${E2E_TRACE:-0}" = 1 ]; then PS4='+ ${EPOCHREALTIME} '; set -x; fi

start_real_servers() {
  local rs code=0
  for rs in $REAL_SERVERS; do rs_agent_observed start "$rs" start || code=1; done
  return $code
}

# Where the VIP is on a real server right now (lo for DR, tunl0 for TUN, if rs-agent did its job).
vip_dev() {
  on "$1" ip -json addr show | jq -r --arg vip "$VIP" \
    '[.[] | select(any(.addr_info[]; .local == $vip)) | .ifname][0] // empty'
}

run_mode() {
  MODE=$1
  echo "=== mode $MODE" >&2
  topology_down  # leftovers of an interrupted run
  topology_up
  # IPVS must be there before ipvsadm talks to it; ipip deliberately is not (rs-agent loads it).
  modprobe ip_vs && modprobe ip_vs_rr
  director_up "$MODE"
  for rs in $REAL_SERVERS; do real_server_up "$rs"; rs_agent_config "$rs" "$MODE"; done
  local h rs dev macs=
  for h in $HOSTS; do macs="$macs${macs:+,}\"$h\":\"$(host_mac "$h")\""; done
  emit setup topology "{\"vip\":\"$VIP\",\"macs\":{$macs}}"
  for rs in $REAL_SERVERS; do observe_rs_state before "$rs"; done

  echo "--- start (properties 1-4)" >&2
  observe_arp_during start start_real_servers
  on client ip neigh flush dev eth0
  observe_requests started "$REQUESTS"
  observe_neigh started
  observe_arping started
  for rs in $REAL_SERVERS; do observe_rs_state started "$rs"; done

  echo "--- drift on rs1 (property 5)" >&2
  dev=$(vip_dev rs1)
  [ -n "$dev" ] && ip -n rs1 addr del "$VIP/32" dev "$dev"
  emit drift vip-deleted "{\"host\":\"rs1\",\"dev\":\"$dev\"}"
  observe_requests drift $((REQUESTS / 2))
  rs_agent_observed drift rs1 check
  rs_agent_observed fix rs1 check --fix
  rs_agent_observed fixed rs1 check
  observe_requests fixed "$REQUESTS"

  echo "--- stop on rs1 (property 6)" >&2
  rs_agent_observed stop rs1 stop
  observe_rs_state stopped rs1

  echo "--- naive rs1 (property 7, the negative control)" >&2
  observe_arp_during naive naive_start rs1 "$MODE"
  observe_arping naive
  # Point the client at the director, as a router in front of a real cluster would be, so
  # the requests measure only the real servers' side (a naive DR/TUN server that wins the
  # ARP race would otherwise be reached directly, bypassing IPVS).
  ip -n client neigh replace "$VIP" lladdr "$(host_mac director)" dev eth0 nud permanent
  observe_requests naive "$REQUESTS"
  observe_rs_state naive rs1

  # E2E_KEEP=1 leaves the cluster up after the last check, to look around (one mode only).
  [ "${E2E_KEEP:-0}" = 1 ] || topology_down
  emit end done '{}'
}

for mode in $(echo "${E2E_MODES:-dr,tun}" | tr ',' ' '); do
  case $mode in
    dr|tun) run_mode "$mode" ;;
    *) echo "cluster.sh: unknown mode $mode" >&2 ;;
  esac
done
