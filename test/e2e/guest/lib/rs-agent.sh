# How the harness runs rs-agent: the one place that knows where the CLI lives.
# The default is the built CLI of the repository this harness is part of (npm run build).
# E2E_RS_AGENT (a boot parameter) replaces it, e.g. with a bundled file or a stand-in script.
RS_AGENT_ENTRY=${E2E_RS_AGENT:-$REPO/dist/cli/main.js}

# rs_agent HOST COMMAND [ARGS...]: rs-agent inside HOST's namespace, with that host's config
# and its own state directory (namespaces share one filesystem, so each needs its own).
rs_agent() {
  local rs=$1; shift
  case $RS_AGENT_ENTRY in
    *.js) on "$rs" node "$RS_AGENT_ENTRY" "$@" --config "/run/rs-e2e/$rs.yaml" --state-dir "/run/rs-agent-$rs" ;;
    *)    on "$rs" "$RS_AGENT_ENTRY" "$@" --config "/run/rs-e2e/$rs.yaml" --state-dir "/run/rs-agent-$rs" ;;
  esac
}

# rs_agent_run HOST: rs-agent run on HOST in the background, its output in
# /run/rs-e2e/HOST-run.log; RS_AGENT_RUN_JOB is the job's pid. The log is emptied here, not by
# the job's own redirection: that runs in the child, maybe after the caller has begun waiting
# on the log for "ready", which would then find the last run's line (and read that run's pid).
rs_agent_run() {
  : >"/run/rs-e2e/$1-run.log"
  rs_agent "$1" run >>"/run/rs-e2e/$1-run.log" 2>&1 &
  RS_AGENT_RUN_JOB=$!
}

# rs_agent_daemon_pid HOST: the pid of rs-agent run on HOST, from the daemon file it writes
# (indented JSON, "pid": N on a line of its own), read with builtins (jq costs half a
# second under TCG).
rs_agent_daemon_pid() {
  local lines=()
  mapfile -t lines <"/run/rs-agent-$1/daemon.json"
  [[ ${lines[*]} =~ \"pid\":\ *([0-9]+) ]] && echo "${BASH_REMATCH[1]}"
}

# The config a real server gets: the mode (dr6 and tun6 are dr and tun with an IPv6 VIP;
# tun-gue, tun6-gre, ... are tun with the VIP's encap), the VIP, the NIC facing the director.
rs_agent_config() {
  local rs=$1 mode=$2
  mkdir -p /run/rs-e2e
  cat > "/run/rs-e2e/$rs.yaml" <<YAML
mode: $(case $mode in dr*) echo dr ;; *) echo tun ;; esac)
vips: [$(vip_entry "$mode")]
interfaces: [eth0]
YAML
}

# Runs rs-agent and reports its exit code and output as one observation.
rs_agent_observed() {
  local phase=$1 rs=$2; shift 2
  local out code
  out=$(rs_agent "$rs" "$@" 2>&1); code=$?
  echo "[$MODE] $rs: rs-agent $*: exit $code" >&2
  [ -n "$out" ] && printf '%s\n' "$out" | sed "s/^/[$rs rs-agent $*] /" >&2
  emit "$phase" rs-agent "{\"host\":$(json_string "$rs"),\"args\":$(json_string "$*"),\"exit\":$code,\"output\":$(json_string "$out")}"
  return "$code"
}
