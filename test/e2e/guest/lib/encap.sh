# The encapsulation modes: TUN with GUE or GRE instead of plain IP-in-IP, for an IPv4 VIP
# (tun-gue, tun-gre) or an IPv6 one (tun6-gue, tun6-gre). The director tunnels with
# `ipvsadm -i --tun-type gue --tun-port 6080` or `--tun-type gre`; the real servers get the
# VIP with `encap: gue, port: 6080` or `encap: gre` and nothing else.

GUE_PORT=6080

# The encapsulation of a mode: ipip (dr, tun, dr6, tun6), gue or gre.
encap_of() { case $1 in *-gue) echo gue ;; *-gre) echo gre ;; *) echo ipip ;; esac; }

# The ipvsadm options that pick the encapsulation (none for plain IP-in-IP).
tun_type_args() {
  case $(encap_of "$1") in
    gue) echo "--tun-type gue --tun-port $GUE_PORT" ;;
    gre) echo "--tun-type gre" ;;
  esac
}

# The VIP entry of a real server's config.
vip_entry() {
  case $(encap_of "$1") in
    gue) echo "{address: \"$VIP\", encap: gue, port: $GUE_PORT}" ;;
    gre) echo "{address: \"$VIP\", encap: gre}" ;;
    *) echo "\"$VIP\"" ;;
  esac
}

# What the bridge capture looks for: the tunnelled packets of the mode (GUE: UDP to the
# port, its sources with their ports; GRE: IP protocol 47).
tunnel_capture_filter() {
  case $(encap_of "$1") in
    gue) echo "udp and dst port $GUE_PORT" ;;
    gre) echo '(ip and ip[9] = 47) or (ip6 and ip6[6] = 47)' ;;
    *) echo '(ip and ip[9] = 4) or (ip6 and ip6[6] = 41)' ;;
  esac
}

# The device the VIP and the decapsulated packets live on.
encap_dev() {
  case $(encap_of "$1")/$FAMILY in
    gre/4) echo gre0 ;;
    gre/6) echo ip6gre0 ;;
    */4) echo tunl0 ;;
    */6) echo ip6tnl0 ;;
  esac
}

fou_family_arg() { [ "$FAMILY" = 6 ] && echo -6; }

# Drift that only an encapsulation has: the GUE listener deleted, or the GRE device down.
encap_drift() {
  local rs=$1 mode=$2
  case $(encap_of "$mode") in
    gue) ip -n "$rs" fou del port "$GUE_PORT" $(fou_family_arg)
         emit drift encap "{\"host\":\"$rs\",\"what\":\"fou port $GUE_PORT deleted\"}" ;;
    gre) ip -n "$rs" link set "$(encap_dev "$mode")" down
         emit drift encap "{\"host\":\"$rs\",\"what\":\"$(encap_dev "$mode") down\"}" ;;
  esac
}

# The negative control: rs1 set up by hand with everything rs-agent does but one piece.
# GUE: no listener for the family the director sends over (IPv4: none at all; IPv6: only an
# IPv4 one, the mistake of forgetting -6). GRE over IPv4: rp_filter left strict on gre0 (the
# kernel takes max(all, gre0)); over IPv6 (no rp_filter): ip6gre0 left down.
encap_naive_start() {
  local rs=$1 mode=$2 dev
  dev=$(encap_dev "$mode")
  if [ "$FAMILY" = 4 ]; then
    on "$rs" sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2 net.ipv4.conf.all.rp_filter=0
    on "$rs" sysctl -qw "net.ipv4.conf.$dev.rp_filter=0"
  fi
  case $(encap_of "$mode")/$FAMILY in
    gue/6) ip -n "$rs" fou add port "$GUE_PORT" gue ;;
    gre/4) on "$rs" sysctl -qw "net.ipv4.conf.$dev.rp_filter=1" ;;
  esac
  [ "$(encap_of "$mode")/$FAMILY" = gre/6 ] || ip -n "$rs" link set "$dev" up
  case $FAMILY in
    4) ip -n "$rs" addr add "$VIP/32" dev "$dev"; ip -n "$rs" route add "$VIP/32" dev "$dev" ;;
    6) ip -n "$rs" -6 addr add "$VIP/128" dev "$dev" nodad preferred_lft 0 ;;
  esac
}

# Whether the piece encap_drift takes away is in place on RS: the GUE listener of the
# family listed by ip fou show, or the GRE device up.
# One `ip` a look and builtins to read it: the daemon's repair is timed by how soon this sees
# it, and jq after each `ip` took half a second under TCG.
encap_in_place() {
  local rs=$1 mode=$2 out listener family=inet
  [ "$FAMILY" = 6 ] && family=inet6
  case $(encap_of "$mode") in
    gue)
      # [{"port":6080,"gue":null,"family":"inet"},...]: one listener a line.
      out=$(ip -n "$rs" -json fou show) || return 1
      while IFS= read -r listener; do
        [[ $listener =~ \"port\":$GUE_PORT[,}] && $listener == *"\"family\":\"$family\""* ]] && return 0
      done <<<"${out//\},\{/$'\n'}"
      return 1 ;;
    gre)
      out=$(ip -n "$rs" -json link show "$(encap_dev "$mode")") || return 1
      [[ $out =~ \"flags\":\[([^]]*)\] && ${BASH_REMATCH[1]} == *'"UP"'* ]] ;;
  esac
}

# The daemon repairs that drift on its own: `rs-agent run` on RS (its scheduled reconcile
# pushed out to once a year, so only an event source can be what repairs), the same drift
# again, the time from it until the piece is back, then SIGTERM (the daemon leaves the VIP
# in place, as under systemd). One observation: ready, repaired, ms, the daemon's exit
# status and its repair lines.
encap_daemon_repair() {
  local rs=$1 mode=$2 config=/run/rs-e2e/$1.yaml log=/run/rs-e2e/$1-run.log
  local job pid ready=false repaired=false t0 t1 deadline code
  cp "$config" "$config.saved"
  echo 'drift: {schedule: "0 0 1 1 *"}' >> "$config"
  rs_agent_run "$rs"
  job=$RS_AGENT_RUN_JOB
  wait_for_line "$log" '*"event":"ready"*' 30 && ready=true
  # A ready said before every monitor had joined, or before the passes their joins asked for
  # had run (under load), is followed by "watching" once both have happened. The drift comes
  # after it, so that a join's pass cannot be what repairs it.
  if file_has "$log" '*"event":"ready"*not_watching*' || file_has "$log" '*"event":"ready"*passes_pending*'; then
    wait_for_line "$log" '*"event":"watching"*' 60
  fi
  # No pid read (the daemon gone already): the job itself, so that the wait below ends.
  pid=$(rs_agent_daemon_pid "$rs") || pid=$job
  t0=$(date +%s%N)
  case $(encap_of "$mode") in
    gue) ip -n "$rs" fou del port "$GUE_PORT" $(fou_family_arg) ;;
    gre) ip -n "$rs" link set "$(encap_dev "$mode")" down ;;
  esac
  deadline=$(( $(date +%s) + 20 ))
  while [ "$(date +%s)" -lt "$deadline" ]; do
    encap_in_place "$rs" "$mode" && { repaired=true; break; }
    sleep 0.05
  done
  t1=$(date +%s%N)
  echo "[$MODE] $rs: rs-agent run repaired: $repaired in $(( (t1 - t0) / 1000000 )) ms" >&2
  kill -TERM "$pid"
  wait "$job"; code=$?
  mv "$config.saved" "$config"
  emit daemon repair "$(jq -cn --argjson ready "$ready" --argjson repaired "$repaired" \
    --argjson ms $(( (t1 - t0) / 1000000 )) --argjson exit "$code" \
    --argjson repairs "$(jq -Rsc '[split("\n")[] | fromjson? | select(.event == "repair") | {item, trigger}]' "$log")" \
    '{ready:$ready,repaired:$repaired,ms:$ms,exit:$exit,repairs:$repairs}')"
}
