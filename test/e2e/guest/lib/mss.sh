# The MSS case (TUN modes with IP-in-IP or GUE): every tunnelled packet grows by the
# encapsulation, so a client's full-size segment no longer fits the director's 1500-byte link
# once wrapped. The director answers with ICMP "fragmentation needed" / "packet too big",
# which this client drops, as many clients' firewalls do: without a smaller MSS in the real
# server's SYN-ACK, a large upload stalls. A second virtual service, VIP:8080, goes to rs2
# alone, where a receiver counts what it gets (lib/upload.py).

UPLOAD_PORT=8080
UPLOAD_BYTES=1048576
UPLOAD=$GUEST_DIR/lib/upload.py

mss_case_applies() { case $1 in tun|tun6|tun-gue|tun6-gue) return 0 ;; *) return 1 ;; esac; }

mss_setup() {
  local mode=$1
  # The client: ICMP too-big messages dropped; no TCP timestamps, so the MSS it reads back is
  # exactly what the SYN-ACK carried; no MTU probing (the kernel's default), so nothing but
  # those ICMP messages could lower its segment size. One segment per packet, as a real NIC
  # puts them on the wire: a veth hands whole GSO batches to the bridge and on to the
  # director, and IPVS's MTU check lets GSO packets through (they would be cut up after
  # encapsulation, the outer header fragmented), which no real client's traffic looks like.
  ip -n client link set eth0 gso_max_segs 1
  on client sh -c 'nft -f - <<NFT
table inet e2e_client {
  chain input {
    type filter hook input priority 0; policy accept;
    icmp type destination-unreachable icmp code frag-needed counter drop
    icmpv6 type packet-too-big counter drop
  }
}
NFT
sysctl -qw net.ipv4.tcp_timestamps=0 net.ipv4.tcp_mtu_probing=0'
  on director ipvsadm -A -t "$(ip_port "$VIP" "$UPLOAD_PORT")" -s rr
  # shellcheck disable=SC2046 # the --tun-type options split into words
  on director ipvsadm -a -t "$(ip_port "$VIP" "$UPLOAD_PORT")" -r "$(ip_port "$(host_ip rs2)" "$UPLOAD_PORT")" -i -w 1 $(tun_type_args "$mode")
  ip netns exec rs2 python3 "$UPLOAD" serve "$UPLOAD_PORT" &
  SERVER_PIDS="${SERVER_PIDS:-} $!"
  local i
  for i in $(seq 40); do
    [ -n "$(on rs2 ss -Hltn "sport = :$UPLOAD_PORT")" ] && break
    sleep 0.5
  done
}

# One upload of UPLOAD_BYTES through the virtual service, given up after $2 seconds.
observe_upload() {
  local phase=$1 seconds=$2 result
  result=$(on client python3 "$UPLOAD" send "$VIP" "$UPLOAD_PORT" "$UPLOAD_BYTES" "$seconds")
  [ -n "$result" ] || result='{"error":"upload.py printed nothing"}'
  echo "[$MODE $phase] upload: $result" >&2
  emit "$phase" upload "$result"
}

# rs-agent's tables on a real server (the inet one holds the MSS clamp), and the clamp's rules.
observe_nft() {
  local phase=$1 rs=$2 tables rules
  tables=$(on "$rs" nft list tables | sed 's/.*/"&"/' | paste -sd,)
  rules=$(on "$rs" nft list table inet rs_agent 2>/dev/null | sed -n 's/^[[:space:]]*\(tcp flags.*maxseg size set [0-9]*\).*/"\1"/p' | paste -sd,)
  emit "$phase" nft "{\"host\":\"$rs\",\"tables\":[$tables],\"mss_rules\":[$rules]}"
}

# With rs-agent's default (tunnel.mss auto) the upload completes; with tunnel.mss off it
# stalls; then the default again. rs2 serves the upload service alone.
mss_case() {
  local mode=$1
  step "---" "MSS: uploads of $UPLOAD_BYTES bytes through VIP:$UPLOAD_PORT"
  mss_setup "$mode"
  observe_nft mss-auto rs2
  observe_upload mss-auto 60
  rs_agent_config rs2 "$mode"
  echo 'tunnel: {mss: off}' >> /run/rs-e2e/rs2.yaml
  rs_agent_observed mss-off rs2 start
  observe_nft mss-off rs2
  observe_upload mss-off 3
  rs_agent_config rs2 "$mode"
  rs_agent_observed mss-again rs2 start
  observe_upload mss-again 60
}
