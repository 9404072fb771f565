#!/bin/bash
# Runs inside the VM (see init.sh): for each mode in E2E_MODES (dr,tun,dr6,tun6, and the
# encapsulations tun-gue,tun-gre,tun6-gue,tun6-gre), builds an LVS cluster
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
. "$GUEST_DIR/lib/encap.sh"
. "$GUEST_DIR/lib/mss.sh"
. "$GUEST_DIR/lib/drain.sh"

REQUESTS=12
# E2E_TRACE=1: every command, timestamped, on the console.
if [ "${E2E_TRACE:-0}" = 1 ]; then PS4='+ ${EPOCHREALTIME} '; set -x; fi

# Every real server's rs-agent start at once, as a fleet's servers boot: under TCG each start
# is seconds of emulated CPU, and the VM has two. What each one printed (its observation, its
# console lines) is kept apart and printed whole once all have ended, in the servers' order.
start_real_servers() {
  local rs pid code=0 pids=()
  for rs in $REAL_SERVERS; do
    rs_agent_observed start "$rs" start > "/run/rs-e2e/start-$rs.out" 2> "/run/rs-e2e/start-$rs.err" &
    pids+=("$!")
  done
  for pid in "${pids[@]}"; do wait "$pid" || code=1; done
  for rs in $REAL_SERVERS; do cat "/run/rs-e2e/start-$rs.err" >&2; cat "/run/rs-e2e/start-$rs.out"; done
  return $code
}

# Where the VIP is on a real server right now (lo for DR, tunl0/ip6tnl0 for TUN, if rs-agent
# did its job).
vip_dev() {
  local out dev=
  # "1: lo    inet 192.0.2.100/32 scope global lo:0 ...", one line per address.
  out=$(ip -n "$1" -o addr show to "$VIP")
  [ -n "$out" ] && read -r _ dev _ <<<"$out"
  echo "$dev"
}

run_mode() {
  MODE=$1
  case $MODE in *6|*6-*) use_family 6 ;; *) use_family 4 ;; esac
  local encap
  encap=$(encap_of "$MODE")
  step "===" "mode $MODE"
  topology_down  # leftovers of an interrupted run
  topology_up
  # IPVS must be there before ipvsadm talks to it; ipip and ip6_tunnel deliberately are not
  # (rs-agent loads them).
  modprobe ip_vs && modprobe ip_vs_rr
  director_up "$MODE"
  for rs in $REAL_SERVERS; do real_server_up "$rs"; rs_agent_config "$rs" "$MODE"; done
  local h rs dev macs=
  for h in $HOSTS; do macs="$macs${macs:+,}\"$h\":\"$(host_mac "$h")\""; done
  emit setup topology "{\"vip\":\"$VIP\",\"dip\":\"$(host_ip director)\",\"macs\":{$macs}}"
  for rs in $REAL_SERVERS; do observe_rs_state before "$rs"; done

  case $FAMILY in
    4)
      step "---" "start (properties 1-4)"
      observe_arp_during start start_real_servers
      on client ip neigh flush dev eth0
      # The encapsulation modes also record how the requests reached the real servers.
      if [ "$encap" != ipip ]; then
        observe_tunnelled_during started observe_requests started "$REQUESTS"
      else
        observe_requests started "$REQUESTS"
      fi ;;
    6)
      # No ARP, and no window to watch: IPv6 neighbour discovery answers only for addresses
      # on the NIC, and rs-agent never puts the VIP there.
      step "---" "start (IPv6 properties 1, 2, 5, 6)"
      start_real_servers
      on client ip neigh flush dev eth0
      if [ "$MODE" = tun6 ] || [ "$encap" != ipip ]; then
        observe_tunnelled_during started observe_requests started "$REQUESTS"
      else
        observe_requests started "$REQUESTS"
      fi ;;
  esac
  observe_neigh started
  case $FAMILY in 4) observe_arping started ;; 6) observe_ndisc started ;; esac
  for rs in $REAL_SERVERS; do observe_rs_state started "$rs"; done

  step "---" "drift on rs1"
  if [ "$encap" != ipip ]; then
    encap_drift rs1 "$MODE"
  else
    dev=$(vip_dev rs1)
    [ -n "$dev" ] && ip -n rs1 addr del "$VIP/$VIP_PREFIX" dev "$dev"
    emit drift vip-deleted "{\"host\":\"rs1\",\"dev\":\"$dev\"}"
  fi
  observe_requests drift $((REQUESTS / 2))
  rs_agent_observed drift rs1 check
  rs_agent_observed fix rs1 check --fix
  rs_agent_observed fixed rs1 check
  observe_requests fixed "$REQUESTS"
  if [ "$encap" != ipip ]; then step "---" "rs-agent run repairs rs1"; encap_daemon_repair rs1 "$MODE"; fi
  case $MODE in dr|tun) drain_case "$MODE" ;; esac

  mss_case_applies "$MODE" && mss_case "$MODE"

  [ "$MODE" = tun6 ] && director_vip_preferred

  step "---" "stop on rs1"
  rs_agent_observed stop rs1 stop
  observe_rs_state stopped rs1

  step "---" "naive rs1 (the negative control)"
  case $encap/$FAMILY in
    gue/*|gre/*) encap_naive_start rs1 "$MODE" ;;
    */4)
      observe_arp_during naive naive_start rs1 "$MODE"
      observe_arping naive ;;
    */6)
      naive_start rs1 "$MODE"
      observe_ndisc naive ;;
  esac
  # Point the client at the director, as a router in front of a real cluster would be, so
  # the requests measure only the real servers' side (a naive DR/TUN server that wins the
  # ARP/ND race would otherwise be reached directly, bypassing IPVS).
  ip -n client neigh replace "$VIP" lladdr "$(host_mac director)" dev eth0 nud permanent
  observe_requests naive "$REQUESTS"
  observe_rs_state naive rs1

  # E2E_KEEP=1 leaves the cluster up after the last check, to look around (one mode only).
  [ "${E2E_KEEP:-0}" = 1 ] || topology_down
  emit end done '{}'
}

# TUN6's optional negative control (DESIGN.md §2): the director's VIP made a preferred address
# again, so the director picks it as the outer source of tunnelled packets, and every real
# server, holding the VIP itself, drops them. Few requests: each waits out 3 s unanswered.
director_vip_preferred() {
  step "---" "director VIP preferred (TUN6 negative control)"
  ip -n director -6 addr change "$VIP/128" dev eth0 nodad preferred_lft forever
  ipvs_real_servers -e "$MODE"
  observe_tunnelled_during vip-preferred observe_requests vip-preferred 4
  ip -n director -6 addr change "$VIP/128" dev eth0 nodad preferred_lft 0
  ipvs_real_servers -e "$MODE"
}

for mode in $(echo "${E2E_MODES:-dr,tun,dr6,tun6}" | tr ',' ' '); do
  case $mode in
    dr|tun|dr6|tun6|tun-gue|tun-gre|tun6-gue|tun6-gre) run_mode "$mode" ;;
    *) echo "cluster.sh: unknown mode $mode" >&2 ;;
  esac
done
