# The cluster: one network namespace per host, each with an eth0 plugged into one bridge.
# The bridge sits in a namespace of its own ("sw", the switch), so a capture there sees every
# port and no host's own traffic is mixed into it. Every host is dual-stack; a mode's family
# (dr, tun: IPv4; dr6, tun6: IPv6) decides which VIP the director serves.
#
#   client   192.0.2.10  2001:db8:1::10  02:00:00:00:00:10  sends requests, ARP/ND probes for the VIP
#   director 192.0.2.2   2001:db8:1::2   02:00:00:00:00:02  IPVS; holds the VIP on its NIC, so it alone answers ARP/ND
#   rs1      192.0.2.11  2001:db8:1::11  02:00:00:00:00:11  real servers: rs-agent gives them the VIP
#   rs2      192.0.2.12  2001:db8:1::12  02:00:00:00:00:12
# Fixed MACs make tcpdump and `ip neigh` output readable at a glance.

HOSTS="client director rs1 rs2"
REAL_SERVERS="rs1 rs2"

# use_family 4|6: the VIP, its prefix length and the host addresses the mode works with.
use_family() {
  FAMILY=$1
  case $FAMILY in
    4) VIP=192.0.2.100 VIP_PREFIX=32 ;;
    6) VIP=2001:db8:1::100 VIP_PREFIX=128 ;;
  esac
}
use_family 4

host_ip() { if [ "${2:-$FAMILY}" = 6 ]; then host_ip6 "$1"; else host_ip4 "$1"; fi; }
host_ip4() { case $1 in client) echo 192.0.2.10;; director) echo 192.0.2.2;; rs1) echo 192.0.2.11;; rs2) echo 192.0.2.12;; esac; }
host_ip6() { case $1 in client) echo 2001:db8:1::10;; director) echo 2001:db8:1::2;; rs1) echo 2001:db8:1::11;; rs2) echo 2001:db8:1::12;; esac; }
host_mac() { case $1 in client) echo 02:00:00:00:00:10;; director) echo 02:00:00:00:00:02;; rs1) echo 02:00:00:00:00:11;; rs2) echo 02:00:00:00:00:12;; esac; }
# ADDRESS:PORT as ipvsadm takes it: an IPv6 address in brackets.
ip_port() { case $1 in *:*) echo "[$1]:$2";; *) echo "$1:$2";; esac; }

# Runs a command inside a host's namespace.
on() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# One `ip -batch` per namespace, not one `ip` per line: under TCG each process costs a tenth
# of a second, and the cluster is built anew for every mode.
topology_up() {
  local h
  for h in sw $HOSTS; do ip netns add "$h"; done
  # No STP and no forwarding delay: ports forward the moment they are up.
  # No multicast snooping: a plain switch floods every neighbour solicitation (sent to the
  # solicited-node multicast group) to every port, whatever MLD reports it has or has not seen.
  {
    echo "link add br0 type bridge stp_state 0 forward_delay 0 mcast_snooping 0"
    echo "link set br0 up"
    for h in $HOSTS; do
      echo "link add p-$h type veth peer name eth0 netns $h"
      echo "link set p-$h master br0 up"
    done
  } | ip -n sw -batch -
  for h in $HOSTS; do
    # nodad: usable at once, instead of tentative for about 2 s of duplicate address detection.
    ip -n "$h" -batch - <<IP
link set eth0 address $(host_mac "$h")
addr add $(host_ip4 "$h")/24 dev eth0
addr add $(host_ip6 "$h")/64 dev eth0 nodad
link set eth0 up
link set lo up
IP
  done
}

# What a real server looks like before anyone configures it for LVS, the way distributions
# leave it: strict reverse-path filtering (RFC 3704) on all, default and the NIC, ARP sysctls
# at the kernel's defaults (0), no VIP anywhere. An HTTP server answers with the host's name.
real_server_up() {
  local rs=$1
  on "$rs" sysctl -qw net.ipv4.conf.all.rp_filter=1 net.ipv4.conf.default.rp_filter=1 net.ipv4.conf.eth0.rp_filter=1
  mkdir -p "/run/www/$rs"
  echo "$rs" > "/run/www/$rs/index.html"
  # busybox httpd listens on [::]:80, dual-stack, so it also accepts connections to either VIP.
  # ip netns exec itself, not "on": $! must be the server, not a subshell around it.
  ip netns exec "$rs" busybox httpd -f -p 80 -h "/run/www/$rs" &
  SERVER_PIDS="${SERVER_PIDS:-} $!"
}

# The director: the VIP on its NIC (it must answer ARP/ND for it), one virtual service,
# round-robin over both real servers, forwarding by direct routing (-g: rewrite the MAC only)
# or tunnelling (-i: wrap in an outer IPv4 or IPv6 header, DIP -> RIP, picked by routing).
# An IPv6 VIP gets preferred_lft 0: the director's source-address selection would otherwise
# pick the VIP (a /128 matching the real servers' addresses longer than the DIP's /64) as
# the outer source of tunnelled packets, and ip6_tunnel on a real server drops packets whose
# outer source is one of its own addresses, which the VIP is (DESIGN.md §2).
director_up() {
  local mode=$1
  case $FAMILY in
    4) ip -n director addr add "$VIP/32" dev eth0 ;;
    6) ip -n director -6 addr add "$VIP/128" dev eth0 nodad preferred_lft 0 ;;
  esac
  on director ipvsadm -A -t "$(ip_port "$VIP" 80)" -s rr
  ipvs_real_servers -a "$mode"
}

# ipvsadm -a (add) or -e (edit) for every real server of the virtual service. Editing one
# resets IPVS's cached route to it, and with it the cached source address.
ipvs_real_servers() {
  local op=$1 mode=$2 fwd rs
  # tun-gue, tun6-gre, ...: -i with the mode's --tun-type (encap.sh).
  case $mode in dr|dr6) fwd=-g;; tun*) fwd=-i;; esac
  for rs in $REAL_SERVERS; do
    # shellcheck disable=SC2046 # the --tun-type options split into words
    on director ipvsadm "$op" -t "$(ip_port "$VIP" 80)" -r "$(ip_port "$(host_ip "$rs")" 80)" "$fwd" -w 1 $(tun_type_args "$mode")
  done
}

# Everything goes: the processes inside the cluster's namespaces, then the namespaces
# themselves (only these: nothing else on the machine is touched). Loaded modules stay (ipip
# cannot be unloaded while the tunl0 of any namespace is in use anyway), which is why DR
# runs before TUN.
topology_down() {
  local ns i pid
  # Waited for one by one with stderr closed: no "Terminated" notices on the console.
  for pid in ${SERVER_PIDS:-}; do kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
  SERVER_PIDS=
  for ns in $HOSTS sw; do
    [ -e "/run/netns/$ns" ] || continue
    ip netns pids "$ns" | xargs -r kill 2>/dev/null
    for i in $(seq 20); do [ -z "$(ip netns pids "$ns")" ] && break; sleep 0.1; done
    ip netns del "$ns"
  done
  rm -rf /run/www /run/rs-e2e /run/rs-agent-*
}
