# Observations for the scenarios under systemd (guest/systemd-units.sh, guest/boot-probe.sh),
# sourced by bash. Each prints JSON for the host to judge.
#
# Under TCG every process costs 0.1-0.6 s and node several seconds, so they read /proc and
# /sys with shell builtins and embed `ip -json` output as it is (the host parses it).

log() { local up _; read -r up _ < /proc/uptime; echo "e2e [$up]: $*" >&2; }
now() { local up _; read -r up _ < /proc/uptime; echo "$up"; }
# emit STEP JSON-OBJECT-BODY: one result line, with the uptime it was made at.
emit() { echo "{\"step\":\"$1\",\"t\":$(now)${2:+,$2}}"; }
# A string as a JSON string, as it is (lib/json.sh: shell builtins, no jq).
. "$(dirname "${BASH_SOURCE[0]}")/json.sh"
json_str() { json_string "$1"; }
# seconds_since START: now minus an uptime taken earlier, in seconds.
seconds_since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

# ip -json output of one device's addresses; null when the device does not exist.
# Looked up in /sys first: asking for a missing device by name makes the kernel (as root, with
# CAP_NET_ADMIN) load the module aliased netdev-NAME, so `ip addr show dev tunl0` alone
# would load ipip itself and the module step would prove nothing.
addrs() {
  local out
  [ -e "/sys/class/net/$1" ] && out=$(ip -json addr show dev "$1" 2>/dev/null)
  echo "${out:-null}"
}
sysctls() {
  local c k v first=1
  printf '{'
  for c in all default lo tunl0; do
    for k in arp_ignore arp_announce rp_filter; do
      [ -e "/proc/sys/net/ipv4/conf/$c/$k" ] || continue
      read -r v < "/proc/sys/net/ipv4/conf/$c/$k"
      [ $first = 1 ] || printf ','; first=0
      printf '"%s.%s":%s' "$c" "$k" "$v"
    done
  done
  printf '}'
}
# /proc/modules is read whole, in one read(2) (cat's buffer is larger than the file): the
# kernel lists it under its module lock one read at a time, and bash's `read` reads in small
# pieces, between which a module loading at boot reordered the list: a boot probe under load
# saw tunnel6 twice and no ipip, though tunl0 already existed.
modules() {
  local name _ out=
  while read -r name _; do
    case $name in ipip|ip6_tunnel|tunnel4|tunnel6) out="$out${out:+,}\"$name\"" ;; esac
  done <<< "$(cat /proc/modules)"
  echo "[$out]"
}
# Each unit's "ActiveState/SubState" ("active/running", "inactive/dead", ...).
units() {
  local u first=1 a= s= line
  printf '{'
  for u in rs-agent.service rs-agent-watch.service; do
    while IFS= read -r line; do
      case $line in ActiveState=*) a=${line#*=} ;; SubState=*) s=${line#*=} ;; esac
    done < <(systemctl show -p ActiveState,SubState "$u")
    [ $first = 1 ] || printf ','; first=0
    printf '"%s":"%s/%s"' "$u" "$a" "$s"
  done
  printf '}'
}
# Everything a step may assert on, as JSON members.
state() {
  echo "\"lo\":$(addrs lo),\"tunl0\":$(addrs tunl0),\"ip6tnl0\":$(addrs ip6tnl0),\"sysctls\":$(sysctls),\"modules\":$(modules),\"units\":$(units)"
}
# has_addr DEV ADDR/PREFIX: the device holds the address.
has_addr() { [ -e "/sys/class/net/$1" ] && [[ $(ip -o addr show dev "$1" 2>/dev/null) == *" $2 "* ]]; }
is_up() { local flags; read -r flags < "/sys/class/net/$1/flags" 2>/dev/null && (( flags & 1 )); }
# The local addresses the kernel holds, from /proc alone, into LOCAL_ADDRS (one per line, with
# a newline before and after each): IPv4 ones are the "/32 host LOCAL" leaves of fib_trie, IPv6
# ones the lines of if_inet6 (32 hex digits). No process and no subshell: cheap enough to poll
# every 100 ms under TCG.
read_local_addrs() {
  local line prev= addr _
  LOCAL_ADDRS=$'\n'
  while IFS= read -r line; do
    [[ $line == *"/32 host LOCAL"* && $prev =~ \|--\ ([0-9.]+) ]] && LOCAL_ADDRS+="${BASH_REMATCH[1]}"$'\n'
    prev=$line
  done < /proc/net/fib_trie
  while read -r addr _; do LOCAL_ADDRS+="$addr"$'\n'; done < /proc/net/if_inet6
}
# wait_until TIMEOUT CMD...: polls CMD every 0.1 s; prints the seconds it took, or -1. The
# clock is read with builtins (uptime in hundredths): an awk a look, under TCG, was a tenth
# of a second of emulated CPU taken from what was being waited for.
wait_until() {
  local timeout=$1 start up _ end; shift
  read -r start _ </proc/uptime
  end=$((10#${start/./} + timeout * 100))
  while :; do
    if "$@"; then seconds_since "$start"; return 0; fi
    read -r up _ </proc/uptime
    ((10#${up/./} > end)) && { echo -1; return 1; }
    sleep 0.1
  done
}
# The journal of a unit since a cursor, as one JSON string. journald takes a unit's lines from
# its stdout some time after the unit wrote them: --sync first returns once journald has
# written every line already sent to it (and so what a unit logged before an event it caused).
journal_since() {
  journalctl --sync 2>/dev/null
  json_str "$(unit_journal "$1" "$2" 2>&1)"
}
# journal_has UNIT CURSOR ERE: a line of the unit's journal since the cursor matches ERE.
journal_has() { unit_journal "$1" "$2" 2>/dev/null | grep -qE -- "$3"; }
# unit_journal UNIT CURSOR: the unit's messages after the cursor, one a line, as
# `journalctl -o cat -u UNIT` shows them (its own lines, and systemd's about it). Not -u with
# --after-cursor: journalctl 252 then drops the unit's first line whenever the cursor's own
# entry is not the unit's (its seek lands on that line, and it steps once more, past what it
# takes for the cursor's entry). The busy CI run lost the watcher's repair line that way, when
# the check timer's "Starting" line came between the cursor and the flush.
unit_journal() {
  journalctl -q -o export --after-cursor="$2" | awk -v unit="$1" '
    /^$/ { if (mine) print message; mine = 0; message = ""; next }
    /^MESSAGE=/ { message = substr($0, 9); next }
    $0 == "_SYSTEMD_UNIT=" unit || $0 == "UNIT=" unit { mine = 1 }
    END { if (mine) print message }'
}
# journal_wait NAME TIMEOUT UNIT CURSOR ERE: for a line the unit is expected to log (it may not
# have written it yet, journald may not have taken it yet): reads the journal again every
# 0.1 s until a line matches or TIMEOUT s pass. JSON members NAME, the journal as read then,
# and NAME_s, the seconds it took (-1: no line matched).
journal_wait() {
  local name=$1 timeout=$2 unit=$3 cursor=$4 s; shift 2
  s=$(wait_until "$timeout" journal_has "$@")
  echo "\"$name\":$(journal_since "$unit" "$cursor"),\"${name}_s\":$s"
}
cursor() { journalctl -q -n 0 --show-cursor | sed -n 's/^-- cursor: //p'; }
# run_json NAME CMD...: runs CMD; its exit status and output as JSON members NAME_exit, NAME_output.
run_json() {
  local name=$1 out code; shift
  out=$("$@" 2>&1); code=$?
  log "$* -> exit $code"; [ -n "$out" ] && printf '%s\n' "$out" | sed 's/^/  /' >&2
  echo "\"${name}_exit\":$code,\"${name}_output\":$(json_str "$out")"
}
# A unit property, as a JSON string.
prop() { json_str "$(systemctl show -P "$2" "$1")"; }
