# Observations: each one prints a single JSON line {"mode","phase","obs",...facts} on stdout
# (the results port). They report what was seen and never judge it: the vitest file on the
# host decides what must hold, so every property is asserted in one readable place.
#
# Under TCG every process start costs 0.1-0.6 s of emulated CPU (jq alone about 0.5 s), so
# each observation runs as few processes as it can: one namespace entry, bash to read it.
. "$(dirname "${BASH_SOURCE[0]}")/json.sh"
. "$(dirname "${BASH_SOURCE[0]}")/wait.sh"

# A step's header on the console, with the seconds since the guest script began: where the
# suite's time goes, read from its console log.
step() { # MARK TEXT
  echo "$1 $2 (at ${SECONDS} s)" >&2
}

emit() { # PHASE OBS JSON-OBJECT
  local head="{\"mode\":\"$MODE\",\"phase\":\"$1\",\"obs\":\"$2\""
  if [ "$3" = '{}' ]; then echo "$head}"; else echo "$head,${3#\{}"; fi
}

# N HTTP requests from the client to VIP:80, one connection each (so IPVS schedules each
# anew); counts the answers per real server name. An answer that is not a real server's name
# counts as "other".
observe_requests() {
  local phase=$1 n=$2 body answered=0 by= name
  declare -A count=()
  # HTTP/1.0 by hand over busybox nc: a request costs a fifth of what curl costs in the
  # emulated VM. The body (the last line) is the real server's name; no answer within 3 s: "-".
  # The requests go out 0.1 s apart without waiting for each other: a request a real server
  # drops (the drift, the negative controls) waits out its 3 s beside the others, not before
  # them (one after the other, 12 requests of which 6 dropped took 12 s). Each line is one
  # short write, whole in the pipe whichever request ends first.
  while read -r body; do
    case $body in
      -) ;;
      rs[0-9]) count[$body]=$((${count[$body]:-0} + 1)); answered=$((answered + 1)) ;;
      *) count[other]=$((${count[other]:-0} + 1)); answered=$((answered + 1)) ;;
    esac
  done < <(on client sh -c 'for i in $(seq "$2"); do
      ( body=$(printf "GET / HTTP/1.0\r\n\r\n" | busybox nc -w 3 "$1" 80 2>/dev/null | tail -n 1)
        echo "${body:--}" ) &
      sleep 0.1; done; wait' sh "$VIP" "$n")
  for name in "${!count[@]}"; do by="$by${by:+,}\"$name\":${count[$name]}"; done
  echo "[$MODE $phase] requests: $answered of $n answered" >&2
  emit "$phase" requests "{\"sent\":$n,\"answered\":$answered,\"by\":{$by}}"
}

# Which MACs answer ARP for the VIP. -b keeps broadcasting (iputils arping otherwise switches
# to unicast to the first responder and would never hear a second one).
observe_arping() {
  local phase=$1 macs
  macs=$(on client arping -b -c 3 -w 4 -I eth0 "$VIP" 2>&1 \
    | sed -n 's/.*reply from .*\[\([0-9A-Fa-f:]*\)\].*/"\1"/p' | tr 'A-F' 'a-f' | sort -u | paste -sd,)
  echo "[$MODE $phase] arping: MACs [$macs]" >&2
  emit "$phase" arping "{\"macs\":[$macs]}"
}

# The client's neighbour entry for the VIP: the MAC its kernel sends VIP traffic to, and the
# entry's state (["REACHABLE"]); null for either when there is none. Read with builtins.
observe_neigh() {
  local phase=$1 out lladdr=null state=null
  out=$(ip -n client -json neigh show "$VIP" dev eth0)
  [[ $out =~ \"lladdr\":(\"[^\"]*\") ]] && lladdr=${BASH_REMATCH[1]}
  [[ $out =~ \"state\":(\[[^]]*\]) ]] && state=${BASH_REMATCH[1]}
  emit "$phase" neigh "{\"lladdr\":$lladdr,\"state\":$state}"
}

# A real server's ARP and rp_filter sysctls on every conf that exists there (read inside its
# namespace: /proc/sys/net is per network namespace), which tunnel modules are loaded, its
# GUE listeners, addresses and routes in any table, as `ip -json` prints them: the host
# (rs-state.ts) finds the VIP in them. One bash in the namespace reads the files with
# builtins and runs three `ip`s: under TCG each process costs a fifth of a second or more.
observe_rs_state() {
  local phase=$1 rs=$2
  emit "$phase" rs-state "$(ip netns exec "$rs" bash -c '
    sysctls= modules= fou=
    for c in all default lo eth0 tunl0 gre0; do
      for k in arp_ignore arp_announce rp_filter; do
        f=/proc/sys/net/ipv4/conf/$c/$k
        [ -e "$f" ] && read -r v < "$f" && sysctls="$sysctls${sysctls:+,}\"$c.$k\":$v"
      done
    done
    for m in ipip ip6_tunnel fou ip_gre ip6_gre; do
      [ -d "/sys/module/$m" ] && t=true || t=false
      modules="$modules${modules:+,}\"$m\":$t"
    done
    fou=$(ip -json fou show 2>/dev/null) || fou=
    printf "{\"host\":\"%s\",\"sysctls\":{%s},\"modules\":{%s},\"fou\":%s,\"addrs\":%s,\"routes\":%s}" \
      "$1" "$sysctls" "$modules" "${fou:-[]}" "$(ip -json addr show)" "$(ip -json "-$2" route show table all)"
  ' bash "$rs" "$FAMILY")"
}

# capture_start FILE TCPDUMP-ARGS...: records, on every port of the switch, the frames that
# match (each once: -Q in, on the port it came in by; -l: line-buffered, so nothing is lost
# when it is stopped), and returns once tcpdump listens (waited for up to 30 s: a start
# under TCG on a busy host is slow). capture_stop ends it. capture_begin starts it without
# waiting, for a caller with something else to start meanwhile; capture_listening waits.
# (ip netns exec, not the "on" function: a backgrounded function is a subshell, and $! would
# be that shell, not the process to stop.)
capture_begin() {
  CAPTURE_OUT=$1; shift
  ip netns exec sw tcpdump -i any -Q in -n -l "$@" > "$CAPTURE_OUT" 2> "$CAPTURE_OUT.err" &
  CAPTURE_PID=$!
}
capture_listening() { wait_for_line "$CAPTURE_OUT.err" '*listening on*' 30 || :; }
capture_start() { capture_begin "$@"; capture_listening; }
capture_stop() {
  # SIGTERM, not SIGINT: background jobs of a non-interactive shell start with SIGINT ignored.
  kill "$CAPTURE_PID"; wait "$CAPTURE_PID" 2>/dev/null
}

# Runs a command while the client asks "who has the VIP?" every 5 ms and the switch records
# every ARP reply entering the bridge; reports how many requests were sent and who answered
# for the VIP. A real server that holds the VIP before its ARP sysctls are set answers in
# that window, however short. The capture and the prober start side by side (each takes a
# second or more to start under TCG); the command runs once both are ready.
observe_arp_during() {
  local phase=$1; shift
  local cap=/run/arp-$MODE-$phase.txt probes=/run/arp-$MODE-$phase.probes prober code
  # Replies only (ARP opcode 2, filtered in the kernel: the requests would be most of the
  # traffic).
  capture_begin "$cap" -e 'arp and arp[6:2] = 2'
  ip netns exec client python3 "$GUEST_DIR/lib/arp-prober.py" eth0 "$(host_ip client)" "$VIP" 5 > "$probes" &
  prober=$!
  capture_listening
  wait_for_line "$probes" '*ready*' 30 || :
  sleep 0.5
  "$@"; code=$?
  sleep 0.5
  kill "$prober"; wait "$prober" 2>/dev/null
  sleep 0.3
  capture_stop
  # Reply lines end in "Reply VIP is-at MAC"; the MAC in the ARP payload is the one the
  # asker will store.
  emit "$phase" arp-capture "$(awk -v vip="$VIP" -v requests="$(tail -n 1 "$probes")" '
    { for (i = 1; i < NF - 1; i++) if ($i == "Reply" && $(i+1) == vip && $(i+2) == "is-at") {
        mac = $(i+3); sub(/,$/, "", mac); replies[mac]++ } }
    END { printf "{\"requests\":%d,\"replies\":{", requests; sep = ""
          for (m in replies) { printf "%s\"%s\":%d", sep, m, replies[m]; sep = "," }
          print "}}" }' "$cap")"
  return "$code"
}

# Which MACs answer IPv6 neighbour solicitation for the VIP: ndisc6 from the client sends one
# to the VIP's solicited-node group and, with -m, lists every advertisement that comes back
# within the second (IPv6's ARP; -r 3: asks up to three times if nobody answers).
observe_ndisc() {
  local phase=$1 macs
  macs=$(on client ndisc6 -m -n -r 3 -w 1000 "$VIP" eth0 2>&1 \
    | sed -n 's/^Target link-layer address: *\([0-9A-Fa-f:]*\).*/"\1"/p' | tr 'A-F' 'a-f' | sort -u | paste -sd,)
  echo "[$MODE $phase] ndisc6: MACs [$macs]" >&2
  emit "$phase" ndisc "{\"macs\":[$macs]}"
}

# Runs a command while the switch records every tunnelled packet (IPv4-in-IPv4 or
# IPv6-in-IPv6; for the encapsulation modes GUE or GRE) entering the bridge; reports how many
# it saw per outer "source>destination" (addresses only: a GUE packet's ports are cut off).
observe_tunnelled_during() {
  local phase=$1; shift
  local cap=/run/tunnel-$MODE-$phase.txt code ports=0
  [ "$(encap_of "$MODE")" = gue ] && ports=1
  capture_start "$cap" "$(tunnel_capture_filter "$MODE")"
  "$@"; code=$?
  sleep 0.3
  capture_stop
  # "... p-director In  IP6 SRC > DST: IP6 ...": the first "SRC > DST" is the outer header.
  emit "$phase" tunnelled "$(awk -v ports="$ports" '
    { for (i = 2; i < NF; i++) if ($i == ">") { src = $(i-1); dst = $(i+1); sub(/:$/, "", dst)
        if (ports) { sub(/\.[0-9]+$/, "", src); sub(/\.[0-9]+$/, "", dst) }
        n[src ">" dst]++; break } }
    END { printf "{\"outer\":{"; sep = ""
          for (k in n) { printf "%s\"%s\":%d", sep, k, n[k]; sep = "," }
          print "}}" }' "$cap")"
  return "$code"
}
