# The negative control: a real server set up the way hand-written init scripts do it, minus
# the lines that matter (see DESIGN.md §1). With arp_ignore=0 the kernel answers ARP on eth0
# for any local address, the VIP on lo/tunl0 included, so the real server competes with the
# director for the VIP. For TUN, rp_filter stays strict: a decapsulated packet arrives on tunl0
# but its source (the client) is routed via eth0, so the reverse-path check drops it.
#
# IPv6 neighbour discovery answers only for addresses on the interface a solicitation comes in
# by, so a VIP on lo is not naive enough. The naive IPv6 real server adds the VIP to eth0, as
# one adds any service address (nodad: it is meant to exist on several hosts, and duplicate
# address detection would otherwise find the director's and disable it), and for TUN leaves
# ip6tnl0 down: nothing receives the tunnelled packets.
naive_start() {
  local rs=$1 mode=$2
  case $mode in
    dr)
      ip -n "$rs" addr add "$VIP/32" dev lo label lo:0
      ip -n "$rs" route add "$VIP/32" dev lo ;;
    tun)
      modprobe ipip
      ip -n "$rs" link set tunl0 up
      ip -n "$rs" addr add "$VIP/32" dev tunl0
      ip -n "$rs" route add "$VIP/32" dev tunl0 ;;
    dr6|tun6)
      ip -n "$rs" -6 addr add "$VIP/128" dev eth0 nodad ;;
  esac
}
