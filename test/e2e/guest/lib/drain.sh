# The maintenance case (dr, tun): a real keepalived director (Debian's, from the host's
# root) balances the VIP over rs1 and rs2, checking each one's rs-agent health endpoint
# (examples/directors/keepalived.conf, rendered for the mode), with rs-agent run on both.
# While the client sends requests through the VIP without pause and downloads slowly from
# rs1 (VIP:8080, a second virtual service with rs1 alone): drain rs1 → keepalived sets its
# weight to 0 → new requests go to rs2 → the download completes → drain exits 0 → stop rs1
# → start rs1 (still drained) → undrain → requests reach rs1 again. Then the control: rs1
# stopped without a drain, while the requests go on. Afterwards the director is given back
# its plain ipvsadm service and rs1 started again, as the scenario's next phases expect.

DRAIN_PORT=8080
DOWNLOAD_BYTES=1048576
DOWNLOAD_RATE=65536

# keepalived's config for the mode: the example file with lb_kind and, for the download,
# a second virtual service on port 8080 with rs1 alone.
keepalived_conf() {
  local kind
  case $1 in dr) kind=DR ;; *) kind=TUN ;; esac
  sed "s/lb_kind DR/lb_kind $kind/" "$REPO/examples/directors/keepalived.conf"
  sed -n '/^virtual_server/,/^}/p' "$REPO/examples/directors/keepalived.conf" \
    | sed "s/lb_kind DR/lb_kind $kind/; s/192.0.2.100 80 {/192.0.2.100 $DRAIN_PORT {/; s/192.0.2.11 80 {/192.0.2.11 $DRAIN_PORT {/" \
    | awk '/real_server 192.0.2.12/ { skip = 1 } skip && /^    }$/ { skip = 0; next } !skip'
}

# The client's requests through the VIP, one connection each, until FLAG is removed: one
# line per request, "START END BODY" (body "-": no answer within 10 s; under TCG on a busy
# machine an answer has taken over 5 s, and a request to a server without the VIP never
# gets one however long it waits, so the longer wait hides no failure).
request_loop() {
  local flag=$1 out=$2
  on client bash -c 'while [ -e "$1" ]; do
      t=$EPOCHREALTIME
      body=$(printf "GET / HTTP/1.0\r\n\r\n" | busybox nc -w 10 "$2" 80 2>/dev/null | tail -n 1)
      echo "$t $EPOCHREALTIME ${body:--}"; sleep 0.2; done' bash "$flag" "$VIP" > "$out" &
  REQUEST_LOOP=$!
}

# Counts of a request log from time FROM on: {sent, answered, failed, by: {rs1, rs2},
# failures: [[seconds after FROM, how long it waited]...]}.
request_counts() {
  awk -v from="${2:-0}" '$1 >= from { n++; if ($3 == "-") { f++; fl = fl (fl ? "," : "") sprintf("[%.1f,%.1f]", $1 - from, $2 - $1) } else by[$3]++ }
    END { printf "{\"sent\":%d,\"answered\":%d,\"failed\":%d,\"by\":{\"rs1\":%d,\"rs2\":%d},\"failures\":[%s]}", n, n - f, f, by["rs1"], by["rs2"], fl }' "$1"
}

# Seconds since T0.
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }

# Whether the last N requests of a log were all answered; builtins only (lib/wait.sh says why).
last_answered() { # LOG N
  local lines line
  [ -e "$1" ] || return 1 # the request loop has not written its first line yet
  mapfile -t lines <"$1"
  ((${#lines[@]} >= $2)) || return 1
  for line in "${lines[@]: -$2}"; do [[ $line == *' -' ]] && return 1; done
  return 0
}

# Waits (up to 60 s) until the last N requests of a log were all answered (keepalived has
# settled).
requests_settled() { poll 60 last_answered "$1" "$2"; }

# Whether a request of LOG sent at FROM (an $EPOCHREALTIME) or later was answered by NAME.
answered_since() { # LOG NAME FROM
  local start end body from
  usec "$3"; from=$USEC
  while read -r start end body; do
    [ "$body" = "$2" ] || continue
    usec "$start"; ((USEC >= from)) && return 0
  done <"$1"
  return 1
}

# rs1's weight for VIP:PORT (default 80) as IPVS has it now ("  -> RIP:PORT Route WEIGHT ...").
rs1_weight() {
  local port=${1:-80} rip addr weight
  rip=$(host_ip4 rs1)
  while read -r _ addr _ weight _; do
    [ "$addr" = "$rip:$port" ] && echo "$weight"
  done < <(on director ipvsadm -Ln -t "$VIP:$port")
}

# Waits until rs1's weight (on VIP:PORT, default 80) is W (at most 120 s: under TCG rs-agent drain alone has taken
# 40 s to set the drain); prints how long it took (s), or "null".
wait_weight() {
  local t0=$EPOCHREALTIME
  if poll 120 rs1_weight_is "$1" "${2:-80}"; then since "$t0"; else echo null; fi
}
rs1_weight_is() { [ "$(rs1_weight "$2")" = "$1" ]; } # W PORT

# rs-agent run on a real server, in the background; waits until it is ready.
# Several hosts' watchers start side by side, each then waited for.
start_watcher() { # HOST...
  local rs
  for rs in "$@"; do rs_agent_run "$rs"; done
  for rs in "$@"; do
    # Up to 120 s: under TCG a watcher started right after rs-agent start has taken over 30 s.
    wait_for_line "/run/rs-e2e/$rs-run.log" '*"event":"ready"*' 120
    eval "WATCHER_$rs=\$(rs_agent_daemon_pid $rs)"
  done
}
stop_watcher() {
  local pid
  eval "pid=\${WATCHER_$1:-}"
  [ -n "$pid" ] && kill -TERM "$pid" && while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
}

# GET /health of a real server from the director, as keepalived asks: "STATUS BODY".
health_of() {
  on director curl -s -m 5 -w ' %{http_code}' "http://$(host_ip "$1"):9100/health" | tr '\n' ' '
}

drain_case() {
  local mode=$1 rs flag=/run/rs-e2e/requests.on log=/run/rs-e2e/requests.log
  local t0 kpid dl dlpid drain_out drain_code drain_s weight_after undrain_t hold=/run/rs-e2e/download.hold
  local stop_code start_code health_drained back_s control_log control_t weight0_s times=
  step "---" "drain rs1 behind keepalived ($mode)"
  for rs in $REAL_SERVERS; do
    cp "/run/rs-e2e/$rs.yaml" "/run/rs-e2e/$rs.yaml.saved"
    printf 'health: {listen: "%s:9100"}\ndrain: {quiet: 3, timeout: 120, file: /run/rs-e2e/%s-drain}\n' \
      "$(host_ip "$rs")" "$rs" >> "/run/rs-e2e/$rs.yaml"
  done
  # shellcheck disable=SC2086 # the hosts, one word each
  start_watcher $REAL_SERVERS
  ip netns exec rs1 python3 "$GUEST_DIR/lib/download.py" serve "$DRAIN_PORT" "$DOWNLOAD_BYTES" > /dev/null &
  SERVER_PIDS="$SERVER_PIDS $!"
  # keepalived in place of the plain ipvsadm service: checkers only (-C), no VRRP.
  on director ipvsadm -C
  keepalived_conf "$mode" > /run/rs-e2e/keepalived.conf
  ip netns exec director keepalived -n -l -D -C -f /run/rs-e2e/keepalived.conf \
    -p /run/rs-e2e/keepalived.pid -c /run/rs-e2e/checkers.pid > /run/rs-e2e/keepalived.log 2>&1 &
  kpid=$!
  : > "$flag"
  request_loop "$flag" "$log"
  # Settled: the last requests answered, and rs1 in VIP:8080 (its only real server), whose
  # check under TCG has failed at keepalived's start and come back seconds later.
  local settled=true
  requests_settled "$log" 6 || settled=false
  [ "$(wait_weight 1 "$DRAIN_PORT")" != null ] || settled=false
  t0=$EPOCHREALTIME

  # The download from rs1 starts before the drain, and is under way (bytes received) when
  # drain starts. Under TCG rs-agent drain took 20 to 40 s to set the drain and take its
  # first sample, longer than the whole download (the third run's drain saw nothing because
  # the download had ended before it looked): the download holds halfway, its connection
  # established and idle, until drain has printed its first progress line.
  : > "$hold"
  on client python3 "$GUEST_DIR/lib/download.py" fetch "$VIP" "$DRAIN_PORT" "$DOWNLOAD_BYTES" "$DOWNLOAD_RATE" "$hold" \
    > /run/rs-e2e/download.json 2> /run/rs-e2e/download.err &
  dlpid=$!
  # null: no byte had arrived after 30 s (the test fails on it)
  times="\"receiving\":$(wait_for_line /run/rs-e2e/download.err '*receiving*' 30 && since "$t0" || echo null)"
  wait_weight 0 > /run/rs-e2e/weight0 &
  local weight0_pid=$!
  times="$times,\"drain\":$(since "$t0")"
  local drain_t=$EPOCHREALTIME
  rs_agent rs1 drain > /run/rs-e2e/drain.out 2>&1 &
  local drain_pid=$!
  while kill -0 "$drain_pid" 2>/dev/null && ! file_has /run/rs-e2e/drain.out 'draining: *'; do sleep 0.1; done
  times="$times,\"drain_sampled\":$(since "$t0")"
  rm -f "$hold"
  wait "$drain_pid"; drain_code=$?
  drain_out=$(cat /run/rs-e2e/drain.out)
  times="$times,\"drained\":$(since "$t0")"
  local drained_at=$EPOCHREALTIME
  wait "$weight0_pid"
  weight0_s=$(cat /run/rs-e2e/weight0)
  drain_s=$(awk -v a="$drain_t" -v b="$drained_at" 'BEGIN { printf "%.1f", b - a }')
  echo "[$MODE] rs1: rs-agent drain: exit $drain_code after ${drain_s} s" >&2
  printf '%s\n' "$drain_out" | sed 's/^/[rs1 rs-agent drain] /' >&2
  weight_after=$(rs1_weight)
  wait "$dlpid"
  dl=$(cat /run/rs-e2e/download.json)
  times="$times,\"download_ended\":$(awk -v a="$t0" -v b="$(jq -r .ended <<< "$dl")" 'BEGIN { printf "%.1f", b - a }')"

  # Maintenance: the watcher, then rs-agent stop; then start and the watcher again.
  times="$times,\"downloaded\":$(since "$t0")"
  stop_watcher rs1
  times="$times,\"stop\":$(since "$t0")"
  rs_agent rs1 stop > /dev/null 2>&1; stop_code=$?
  times="$times,\"stopped\":$(since "$t0")"
  sleep 1
  rs_agent rs1 start > /dev/null 2>&1; start_code=$?
  times="$times,\"started\":$(since "$t0")"
  start_watcher rs1
  health_drained=$(health_of rs1)
  sleep 2
  undrain_t=$EPOCHREALTIME
  times="$times,\"undrain\":$(since "$t0")"
  rs_agent rs1 undrain > /dev/null 2>&1
  back_s=$(wait_weight 1)
  # Until rs1 answers again (or 20 s), then a few more requests.
  for i in $(seq 200); do answered_since "$log" rs1 "$undrain_t" && break; sleep 0.1; done
  sleep 2
  rm -f "$flag"; wait "$REQUEST_LOOP"
  emit drain requests "$(request_counts "$log" "$t0")"
  emit drain steps "$(jq -cn --argjson settled "$settled" --argjson drain_exit "$drain_code" --arg drain_output "$drain_out" \
    --argjson drain_s "$drain_s" --arg weight_after_drain "$weight_after" --argjson weight0_s "$weight0_s" --argjson download "$dl" \
    --argjson stop_exit "$stop_code" --argjson start_exit "$start_code" --arg health_after_start "$health_drained" \
    --argjson weight_back_s "$back_s" --argjson after_undrain "$(request_counts "$log" "$undrain_t")" --argjson times "{$times}" \
    '{settled:$settled, drain_exit:$drain_exit, drain_output:$drain_output, drain_seconds:$drain_s,
      weight_after_drain:$weight_after_drain, weight_zero_seconds:$weight0_s, download:$download, stop_exit:$stop_exit, start_exit:$start_exit,
      health_after_start:$health_after_start, weight_back_seconds:$weight_back_s, after_undrain:$after_undrain,
      times:$times}')"

  # The control: the same requests and a download from rs1 started again, then rs1
  # stopped without a drain, as `systemctl stop rs-agent` does: the watcher goes (its
  # endpoint with it) and the VIP follows. Under TCG `rs-agent stop` takes seconds just to
  # start, so the VIP is deleted at once by hand, then `rs-agent stop` cleans up. The
  # download in flight cannot finish: its connection's VIP is gone.
  step "---" "control: stop rs1 without a drain"
  control_log=/run/rs-e2e/requests-control.log
  : > "$flag"
  request_loop "$flag" "$control_log"
  requests_settled "$control_log" 4
  control_t=$EPOCHREALTIME
  # It gives up 5 s after its last byte (its VIP gone, nothing more comes), not 30.
  on client python3 "$GUEST_DIR/lib/download.py" fetch "$VIP" "$DRAIN_PORT" "$DOWNLOAD_BYTES" "$DOWNLOAD_RATE" - 5 \
    > /run/rs-e2e/download-control.json &
  dlpid=$!
  # Under TCG python takes seconds to start: the stop comes once the download's
  # connection is established on rs1 (or after 20 s), and 2 s into it.
  for i in $(seq 200); do
    [ -n "$(ip netns exec rs1 ss -Htn state established src "$VIP:$DRAIN_PORT")" ] && break
    sleep 0.1
  done
  sleep 2
  eval "kill -KILL \$WATCHER_rs1"
  ip -n rs1 addr del "$VIP/32" dev "$(case $mode in dr) echo lo ;; *) echo tunl0 ;; esac)"
  # The requests go on through the outage (keepalived drops rs1 once its check fails).
  sleep 4
  rs_agent rs1 stop > /dev/null 2>&1
  rm -f "$flag"; wait "$REQUEST_LOOP"
  wait "$dlpid"
  emit drain-control requests "$(request_counts "$control_log" "$control_t")"
  emit drain-control download "$(cat /run/rs-e2e/download-control.json)"

  # As the scenario's next phases expect: the plain ipvsadm service, rs1 started, no watchers.
  kill -TERM "$kpid"; wait "$kpid" 2>/dev/null
  on director ipvsadm -C
  on director ipvsadm -A -t "$(ip_port "$VIP" 80)" -s rr
  ipvs_real_servers -a "$mode"
  stop_watcher rs2
  for rs in $REAL_SERVERS; do mv "/run/rs-e2e/$rs.yaml.saved" "/run/rs-e2e/$rs.yaml"; done
  rs_agent rs1 start > /dev/null 2>&1
  echo "[$MODE] drain case: $(request_counts "$log" "$t0"); download $dl; control $(request_counts "$control_log" "$control_t"), download $(cat /run/rs-e2e/download-control.json)" >&2
}
