# The negative control: a real server set up the way hand-written init scripts do it, minus
# the lines that matter (see DESIGN.md §1). With arp_ignore=0 the kernel answers ARP on eth0
# for any local address, the VIP on lo/tunl0 included, so the real server competes with the
# director for the VIP. For TUN, rp_filter stays strict: a decapsulated packet arrives on tunl0
# but its source (the client) is routed via eth0, so the reverse-path check drops it.
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
  esac
}
