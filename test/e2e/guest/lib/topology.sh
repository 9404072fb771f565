# The cluster: one network namespace per host, each with an eth0 plugged into one bridge.
# The bridge sits in a namespace of its own ("sw", the switch), so a capture there sees every
# port and no host's own traffic is mixed into it.
#
#   client   192.0.2.10  02:00:00:00:00:10   sends requests and ARP probes for the VIP
#   director 192.0.2.2   02:00:00:00:00:02   IPVS; holds the VIP on its NIC, so it alone answers ARP
#   rs1      192.0.2.11  02:00:00:00:00:11   real servers: rs-agent gives them the VIP
#   rs2      192.0.2.12  02:00:00:00:00:12
# Fixed MACs make tcpdump and `ip neigh` output readable at a glance.

VIP=192.0.2.100
DIP=192.0.2.2
HOSTS="client director rs1 rs2"
REAL_SERVERS="rs1 rs2"

host_ip()  { case $1 in client) echo 192.0.2.10;; director) echo $DIP;; rs1) echo 192.0.2.11;; rs2) echo 192.0.2.12;; esac; }
host_mac() { case $1 in client) echo 02:00:00:00:00:10;; director) echo 02:00:00:00:00:02;; rs1) echo 02:00:00:00:00:11;; rs2) echo 02:00:00:00:00:12;; esac; }

# Runs a command inside a host's namespace.
on() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

topology_up() {
  ip netns add sw
  # No STP and no forwarding delay: ports forward the moment they are up.
  ip -n sw link add br0 type bridge stp_state 0 forward_delay 0
  ip -n sw link set br0 up
  local h
  for h in $HOSTS; do
    ip netns add "$h"
    ip -n sw link add "p-$h" type veth peer name eth0 netns "$h"
    ip -n sw link set "p-$h" master br0 up
    ip -n "$h" link set eth0 address "$(host_mac "$h")"
    ip -n "$h" addr add "$(host_ip "$h")/24" dev eth0
    ip -n "$h" link set eth0 up
    ip -n "$h" link set lo up
  done
}

# What a real server looks like before anyone configures it for LVS, the way distributions
# leave it: strict reverse-path filtering (RFC 3704) on all, default and the NIC, ARP sysctls
# at the kernel's defaults (0), no VIP anywhere. An HTTP server answers with the host's name.
real_server_up() {
  local rs=$1 k
  for k in all default eth0; do on "$rs" sysctl -qw "net.ipv4.conf.$k.rp_filter=1"; done
  mkdir -p "/run/www/$rs"
  echo "$rs" > "/run/www/$rs/index.html"
  # busybox httpd listens on 0.0.0.0:80, so it also accepts connections to the VIP.
  # ip netns exec itself, not "on": $! must be the server, not a subshell around it.
  ip netns exec "$rs" busybox httpd -f -p 80 -h "/run/www/$rs" &
  SERVER_PIDS="${SERVER_PIDS:-} $!"
}

# The director: the VIP on its NIC (it must answer ARP for it), one virtual service,
# round-robin over both real servers, forwarding by direct routing (-g: rewrite the MAC only)
# or IPIP tunnelling (-i: wrap in an outer IPv4 header, DIP -> RIP, picked by routing).
director_up() {
  local mode=$1 fwd rs
  case $mode in dr) fwd=-g;; tun) fwd=-i;; esac
  ip -n director addr add "$VIP/32" dev eth0
  on director ipvsadm -A -t "$VIP:80" -s rr
  for rs in $REAL_SERVERS; do
    on director ipvsadm -a -t "$VIP:80" -r "$(host_ip "$rs"):80" "$fwd" -w 1
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
