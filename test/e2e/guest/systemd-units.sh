#!/bin/bash
# The units scenario, run by systemd as PID 1 in the VM (E2E_BOOT=systemd: the oneshot
# e2e-scenario.service, started after multi-user.target). rs-agent is installed the npm way and
# driven only through systemctl; every step prints one JSON line {"step",...facts} on stdout
# (the results port). It reports what it saw and never judges it: systemd-units.test.ts on the
# host does. Progress goes to stderr (the console).
#
# Under TCG every process costs 0.1-0.6 s and node several seconds, so observations read
# /proc and /sys with shell builtins and embed `ip -json` output as it is (the host parses it).
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
here=$(dirname "$(readlink -f "$0")")
REPO=$(cd "$here/../../.." && pwd)
# Not /tmp: systemd mounts a fresh one, and the hardened units have a private one anyway.
WORK=/var/lib/rs-agent-e2e
CONFIG=/etc/rs-agent/rs-agent.yaml
METRICS=/var/lib/prometheus/node-exporter/rs-agent.prom
VIP4=192.0.2.10 VIP4_ADDED=192.0.2.11 VIP4_TUN=198.51.100.7 VIP6=2001:db8::10 VIP6_TUN=2001:db8::20
mkdir -p "$WORK"

log() { echo "e2e: $*" >&2; }
now() { local up _; read -r up _ < /proc/uptime; echo "$up"; }
# emit STEP JSON-OBJECT-BODY: one result line, with the uptime it was made at.
emit() { echo "{\"step\":\"$1\",\"t\":$(now)${2:+,$2}}"; }
# A string as a JSON string (jq costs ~0.5 s: only for free text such as command output).
json_str() { jq -Rs . <<<"$1"; }

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
modules() {
  local name _ out=
  while read -r name _; do
    case $name in ipip|ip6_tunnel|tunnel4|tunnel6) out="$out${out:+,}\"$name\"" ;; esac
  done < /proc/modules
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
# wait_until TIMEOUT CMD...: polls CMD every 0.1 s; prints the seconds it took, or -1.
wait_until() {
  local timeout=$1 start; shift
  start=$(now)
  while :; do
    if "$@"; then awk -v a="$start" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; return 0; fi
    if awk -v a="$start" -v b="$(now)" -v t="$timeout" 'BEGIN { exit !(b - a > t) }'; then echo -1; return 1; fi
    sleep 0.1
  done
}
# The journal of a unit since a cursor, as one JSON string.
journal_since() { json_str "$(journalctl -q -o cat -u "$1" --after-cursor="$2" 2>&1)"; }
cursor() { journalctl -q -n 0 --show-cursor | sed -n 's/^-- cursor: //p'; }
# run_json NAME CMD...: runs CMD; its exit status and output as JSON members NAME_exit, NAME_output.
run_json() {
  local name=$1 out code; shift
  out=$("$@" 2>&1); code=$?
  log "$* -> exit $code"; [ -n "$out" ] && printf '%s\n' "$out" | sed 's/^/  /' >&2
  echo "\"${name}_exit\":$code,\"${name}_output\":$(json_str "$out")"
}

write_config() { # EXTRA_VIP (optional)
  cat > "$CONFIG.tmp" <<YAML
mode: dr
vips:
  - $VIP4
  - address: $VIP4_TUN
    mode: tun
  - $VIP6
  - address: $VIP6_TUN
    mode: tun
${1:+  - $1}
drift:
  sysctl_interval: 500ms
metrics:
  file: $METRICS
YAML
  mv "$CONFIG.tmp" "$CONFIG"
}

# --- boot: how long systemd took to get here ---------------------------------------------
log "systemd scenario, kernel $(uname -r)"
emit boot "\"multi_user_us\":$(systemctl show -P ActiveEnterTimestampMonotonic multi-user.target),\"userspace_us\":$(systemctl show -P UserspaceTimestampMonotonic),\"failed\":$(json_str "$(systemctl --failed --no-legend --plain)")"
emit before "$(state)"

# --- install, the npm way -------------------------------------------------------------------
# `npm install -g` puts the package in /usr/local/lib/node_modules and links the bin into
# /usr/local/bin; the checkout is bind-mounted there (the units have ProtectHome and a private
# /tmp, so a checkout under /home or /tmp would be invisible to them).
t0=$(now)
pkg=/usr/local/lib/node_modules/rs-agent
mkdir -p "$pkg" /etc/rs-agent "$(dirname "$METRICS")"
mount --bind "$REPO" "$pkg"
ln -sf ../lib/node_modules/rs-agent/dist/cli/main.js /usr/local/bin/rs-agent
write_config
install_json=$(run_json install rs-agent install)
reload_json=$(run_json daemon_reload systemctl daemon-reload)
enable_json=$(run_json enable systemctl enable --now rs-agent.service rs-agent-watch.service)
emit install "$install_json,$reload_json,$enable_json,\"seconds\":$(awk -v a="$t0" -v b="$(now)" 'BEGIN{print b-a}'),\"dropin\":$(json_str "$(cat /etc/sysctl.d/90-rs-agent.conf 2>&1)"),\"modules_load\":$(json_str "$(cat /etc/modules-load.d/rs-agent.conf 2>&1)")"
emit ready "$(state)"

# --- drift, repaired by the watcher through its hardened unit ---------------------------------
c=$(cursor)
ip addr del "$VIP4/32" dev lo
emit drift-vip "\"seconds\":$(wait_until 15 has_addr lo "$VIP4/32")"
echo 0 > /proc/sys/net/ipv4/conf/all/arp_ignore
emit drift-sysctl "\"seconds\":$(wait_until 15 grep -qx 1 /proc/sys/net/ipv4/conf/all/arp_ignore)"
ip link set tunl0 down
emit drift-link "\"seconds\":$(wait_until 15 is_up tunl0)"
# The module itself: the watcher must load it again (modprobe under the unit's syscall
# filter and capability set), bring tunl0 up and put the VIP back on it.
rmmod ipip
gone=1; [ -e /sys/class/net/tunl0 ] && gone=0
emit drift-module "\"tunl0_gone\":$gone,\"seconds\":$(wait_until 20 has_addr tunl0 "$VIP4_TUN/32"),$(state),\"journal\":$(journal_since rs-agent-watch.service "$c")"

# --- systemd-sysctl restarted: the drop-in agrees with what rs-agent set ---------------------
c=$(cursor)
before=$(sysctls)
systemctl restart systemd-sysctl.service
# Read at once, before the watcher's next re-read (500 ms) could hide a reset.
emit sysctl-restart "\"before\":$before,\"after\":$(sysctls),\"restart_result\":\"$(systemctl show -P Result systemd-sysctl.service)\""
sleep 2
emit sysctl-restart-later "$(state),\"journal\":$(journal_since rs-agent-watch.service "$c")"

# --- reload: a new config is taken, a broken one rejected -----------------------------------
c=$(cursor)
write_config "$VIP4_ADDED"
systemctl reload rs-agent-watch.service
emit reload "\"reload_exit\":$?,\"seconds\":$(wait_until 20 has_addr lo "$VIP4_ADDED/32"),$(state)"
c=$(cursor)
cp "$CONFIG" "$WORK/good.yaml"
printf 'mode: dr\nvips: [not-an-address]\n' > "$CONFIG"
systemctl reload rs-agent-watch.service
reload_code=$?
sleep 3
emit reload-broken "\"reload_exit\":$reload_code,$(state),\"journal\":$(journal_since rs-agent-watch.service "$c")"
cp "$WORK/good.yaml" "$CONFIG"
systemctl reload rs-agent-watch.service

# --- rs-agent-check.service: everything check --fix needs, under its own hardening ------------
systemctl stop rs-agent-watch.service
c=$(cursor)
ip addr del "$VIP4/32" dev lo
echo 0 > /proc/sys/net/ipv4/conf/lo/arp_announce
rmmod ipip
emit check-drift "$(state)"
systemctl start rs-agent-check.service
check_code=$?
emit check "\"start_exit\":$check_code,\"result\":\"$(systemctl show -P Result rs-agent-check.service)\",\"status\":\"$(systemctl show -P ExecMainStatus rs-agent-check.service)\",$(state),\"journal\":$(journal_since rs-agent-check.service "$c")"
timer_json=$(run_json timer systemctl start rs-agent-check.timer)
emit check-timer "$timer_json,\"next_us\":\"$(systemctl show -P NextElapseUSecMonotonic rs-agent-check.timer)\",\"triggers\":\"$(systemctl show -P Triggers rs-agent-check.timer)\""
systemctl start rs-agent-watch.service
emit watch-again "$(state)"

# --- metrics written under ProtectSystem=strict ----------------------------------------------
emit metrics "\"exists\":$([ -f "$METRICS" ] && echo true || echo false),\"content\":$(json_str "$(cat "$METRICS" 2>&1)")"

# --- ARP guard (nftables `table arp rs_agent`) -----------------------------------------------
# PLACE FOR THE ARP GUARD CHECKS: once rs-agent keeps `table arp rs_agent`, observe here that
# the guard is present, then `nft flush table arp rs_agent` and that the watcher repairs it.
# Until then this only reports what is there (the host asserts nothing on it).
emit arp-guard "\"table\":$(json_str "$(nft -j list table arp rs_agent 2>&1)")"

# --- stop: the watcher first, then the VIPs removed and the originals restored ----------------
c=$(cursor)
stop_json=$(run_json stop systemctl stop rs-agent.service)
emit stop "$stop_json,\"watch_inactive_us\":$(systemctl show -P InactiveEnterTimestampMonotonic rs-agent-watch.service),\"agent_deactivating_us\":$(systemctl show -P ActiveExitTimestampMonotonic rs-agent.service),$(state)"
sleep 5
check_after_json=$(run_json check_after systemctl start rs-agent-check.service)
sleep 1
emit stopped-later "$check_after_json,$(state),\"journal\":$(journal_since rs-agent-watch.service "$c")"
# systemd-analyze refuses to report while the boot is unfinished, and this unit is part of it:
# the boot's usual suspects' activation times (s) from their own timestamps instead.
slowest=$(systemctl show -p Id,InactiveExitTimestampMonotonic,ActiveEnterTimestampMonotonic \
    systemd-journald.service systemd-udevd.service systemd-udev-trigger.service systemd-tmpfiles-setup.service \
    systemd-tmpfiles-setup-dev.service systemd-sysusers.service systemd-sysctl.service systemd-modules-load.service \
    systemd-logind.service dbus.service systemd-journal-flush.service systemd-random-seed.service 2>/dev/null \
  | awk -F= 'function out() { if (a > 0 && b > a) printf "%s\"%s\":%.2f", (n++ ? "," : ""), id, (b - a) / 1e6 }
      /^Id=/ { out(); id = $2; a = b = 0 } /^InactiveExit/ { a = $2 } /^ActiveEnter/ { b = $2 } END { out() }')
emit done "\"boot_units\":{$slowest}"
log "scenario done"
