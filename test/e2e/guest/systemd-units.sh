#!/bin/bash
# The operator's whole path, run by systemd as PID 1 in the VM (E2E_BOOT=systemd: the oneshot
# e2e-scenario.service, started after multi-user.target), over three boots of one disk image
# (E2E_DISK: the overlay's upper layer survives each boot). A counter on that disk says which
# boot this is:
#   1. dpkg -i the package just built (it enables nothing), the config, rs-agent install (the
#      boot files), enable --now; then drift, systemd-sysctl, reload (and the journal's
#      priorities), the check timer, metrics, stop; and a probe unit for the next boot;
#   2. after the reboot: what the probe saw before rs-agent.service, the VIPs back; then
#      rs-agent uninstall, apt-get remove, apt-get purge, and what is left;
#   3. after the next boot: the sysctls as before the first install; the npm way
#      (`rs-agent install` from the checkout) enabled, started, stopped, uninstalled; then an
#      older build of the package installed and running, and dpkg -i of the new one over it
#      while the VIPs are watched; stop (the originals the old version recorded).
# rs-agent is driven only through dpkg/apt and systemctl. Every step prints one JSON line
# {"step",...facts} on stdout (the results port); systemd-units.test.ts on the host judges
# them. Progress goes to stderr (the console).
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
here=$(dirname "$(readlink -f "$0")")
. "$here/lib/systemd-observe.sh"
REPO=$(cd "$here/../../.." && pwd)
# Built by the host (systemd-debs.ts) before the first boot.
DEB_OLD=$REPO/test/e2e/.cache/deb/rs-agent-old.deb
DEB_NEW=$REPO/test/e2e/.cache/deb/rs-agent-new.deb
# Not /tmp: systemd mounts a fresh one, and the hardened units have a private one anyway.
WORK=/var/lib/rs-agent-e2e
CONFIG=/etc/rs-agent/rs-agent.yaml
METRICS=/var/lib/prometheus/node-exporter/rs-agent.prom
VIP4=192.0.2.10 VIP4_ADDED=192.0.2.11 VIP4_NIC=192.0.2.12 VIP4_TUN=198.51.100.7 VIP6=2001:db8::10 VIP6_TUN=2001:db8::20
# The VIPs of write_config as read_local_addrs lists them (if_inet6 writes IPv6 in 32 hex digits).
VIPS_RAW="$VIP4 $VIP4_TUN 20010db8000000000000000000000010 20010db8000000000000000000000020"
# How long a repair may take before the step reports it as not done (-1): generous, for TCG on
# a loaded host (the README has the seconds each took, well under this); each step reports its
# own seconds.
REPAIR_S=30
mkdir -p "$WORK"
boot=1
[ -e "$WORK/boot-count" ] && boot=$(( $(<"$WORK/boot-count") + 1 ))
echo "$boot" > "$WORK/boot-count"

write_config() { # EXTRA_VIP (optional)
  mkdir -p "$(dirname "$CONFIG")"
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
${METRICS:+metrics:
  file: $METRICS}
YAML
  mv "$CONFIG.tmp" "$CONFIG"
}
pkg_version() { dpkg-query -W -f '${Version}' rs-agent 2>/dev/null; }
# The textfile directory, as an operator gives it to the user the units run rs-agent as (which
# writes only in a directory that is root's or its own, and cannot write in root's).
metrics_dir() { mkdir -p "$(dirname "$(dirname "$METRICS")")" && install -d -o rs-agent -g rs-agent -m 0755 "$(dirname "$METRICS")"; }
# What the watcher runs as: its user, its effective capabilities, and who owns the state dir.
watch_identity() {
  local pid
  pid=$(systemctl show -P MainPID rs-agent-watch.service)
  echo "\"watch_user\":$(json_str "$(stat -c %U "/proc/$pid" 2>&1)"),\"watch_capeff\":$(json_str "$(sed -n 's/^CapEff:\t*//p' "/proc/$pid/status" 2>&1)"),\"run_dir_owner\":$(json_str "$(stat -c %U:%a /run/rs-agent 2>&1)")"
}
# The state file rs-agent keeps, as a JSON string (empty when there is none).
state_file() { json_str "$(cat /run/rs-agent/state.json 2>/dev/null)"; }
# `watch_facts PREFIX`: the watcher's main pid, when it started, its command line.
watch_facts() {
  local pid cmd=
  pid=$(systemctl show -P MainPID rs-agent-watch.service)
  [ "$pid" != 0 ] && cmd=$(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null)
  echo "\"$1_pid\":$pid,\"$1_started_us\":$(systemctl show -P ExecMainStartTimestampMonotonic rs-agent-watch.service),\"$1_cmdline\":$(json_str "$cmd")"
}
uptime_us() { awk '{ printf "%d", $1 * 1e6 }' /proc/uptime; }
# Every path the package, its maintainer scripts or `rs-agent install` could leave behind.
leftovers() {
  local p out=
  for p in /usr/bin/rs-agent /usr/lib/rs-agent /etc/rs-agent /run/rs-agent /var/lib/rs-agent /lib/systemd/system/rs-agent* \
      /etc/systemd/system/rs-agent* /etc/systemd/system/*/rs-agent* /etc/sysctl.d/90-rs-agent.conf \
      /etc/modules-load.d/rs-agent.conf /usr/share/doc/rs-agent /usr/share/man/man8/rs-agent.8.gz \
      /usr/share/bash-completion/completions/rs-agent /usr/share/lintian/overrides/rs-agent \
      /var/lib/systemd/deb-systemd-helper-enabled/rs-agent* /var/lib/systemd/deb-systemd-helper-enabled/*/rs-agent* \
      /var/lib/systemd/deb-systemd-helper-masked/rs-agent* /var/lib/dpkg/info/rs-agent.*; do
    [ -e "$p" ] || [ -L "$p" ] && out="$out$p "
  done
  json_str "$out"
}
emit_boot() {
  emit boot "\"boot\":$boot,\"multi_user_us\":$(systemctl show -P ActiveEnterTimestampMonotonic multi-user.target),\"userspace_us\":$(systemctl show -P UserspaceTimestampMonotonic),\"failed\":$(json_str "$(systemctl --failed --no-legend --plain)")"
}
# The boot's usual suspects' activation times (s), from their own timestamps: systemd-analyze
# refuses to report while the boot is unfinished, and this unit is part of it.
emit_done() {
  local slowest
  slowest=$(systemctl show -p Id,InactiveExitTimestampMonotonic,ActiveEnterTimestampMonotonic \
      systemd-journald.service systemd-udevd.service systemd-udev-trigger.service systemd-tmpfiles-setup.service \
      systemd-tmpfiles-setup-dev.service systemd-sysusers.service systemd-sysctl.service systemd-modules-load.service \
      systemd-logind.service dbus.service systemd-journal-flush.service systemd-random-seed.service 2>/dev/null \
    | awk -F= 'function out() { if (a > 0 && b > a) printf "%s\"%s\":%.2f", (n++ ? "," : ""), id, (b - a) / 1e6 }
        /^Id=/ { out(); id = $2; a = b = 0 } /^InactiveExit/ { a = $2 } /^ActiveEnter/ { b = $2 } END { out() }')
  emit done "\"boot\":$boot,\"boot_units\":{$slowest}"
  log "boot $boot done"
}

# VIP watch during the upgrade: `ip monitor address` for every deletion (an event, however
# short the gap), and a poll of /proc every 100 ms for a VIP missing at that moment.
start_vip_watch() {
  : > "$WORK/upgrade-polls"
  ip -ts monitor address > "$WORK/upgrade-monitor" 2>&1 &
  monitor_pid=$!
  (
    mkfifo "$WORK/tick" 2>/dev/null; exec 9<>"$WORK/tick" # read -t on it: a sleep without a process
    while [ ! -e "$WORK/upgrade-done" ]; do
      read_local_addrs; missing=
      for v in $VIPS_RAW; do [[ $LOCAL_ADDRS == *$'\n'"$v"$'\n'* ]] || missing="$missing $v"; done
      read -r up _ < /proc/uptime
      echo "$up$missing"
      read -r -t 0.1 -u 9
    done
  ) >> "$WORK/upgrade-polls" &
  poll_pid=$!
}
stop_vip_watch() {
  touch "$WORK/upgrade-done"; wait "$poll_pid"; rm -f "$WORK/upgrade-done"
  kill "$monitor_pid"; wait "$monitor_pid" 2>/dev/null
}

log "systemd scenario, boot $boot, kernel $(uname -r)"
emit_boot

# ===== boot 1: a fresh install, then steps 2-7 ====================================================
if [ "$boot" = 1 ]; then
emit before "$(state)"
# man-db's dpkg trigger rebuilds its index over 9p on every install (a minute under TCG).
rm -f /var/lib/man-db/auto-update

t0=$(now)
dpkg_json=$(run_json dpkg dpkg -i "$DEB_NEW")
dpkg_s=$(seconds_since "$t0")
# What a fresh install leaves running and enabled: nothing (see deb/postinst).
fresh_facts="\"enabled\":$(json_str "$(systemctl is-enabled rs-agent.service rs-agent-watch.service rs-agent-check.timer 2>&1)"),\"active\":$(json_str "$(systemctl is-active rs-agent.service rs-agent-watch.service rs-agent-check.timer 2>&1)"),\"conffile_is_example\":$(cmp -s "$CONFIG" "$REPO/examples/rs-agent.yaml" && echo true || echo false)"
t0=$(now)
metrics_dir
# Written after the install: the conffile is then the operator's from the start, no prompt.
write_config
install_json=$(run_json install /usr/bin/rs-agent install)
enable_json=$(run_json enable systemctl enable --now rs-agent.service rs-agent-watch.service)
emit install "$dpkg_json,\"dpkg_seconds\":$dpkg_s,$fresh_facts,$install_json,$enable_json,\"seconds\":$(seconds_since "$t0"),\"version\":\"$(pkg_version)\",\"exec_start\":$(json_str "$(systemctl show -P ExecStart rs-agent.service)"),\"fragment\":\"$(systemctl show -P FragmentPath rs-agent-watch.service)\",\"dropin\":$(json_str "$(cat /etc/sysctl.d/90-rs-agent.conf 2>&1)"),\"modules_load\":$(json_str "$(cat /etc/modules-load.d/rs-agent.conf 2>&1)")"
emit ready "$(state)"
# The units as systemd scores them here, and root beside the daemon running as rs-agent: check
# from a shell reads the state the units wrote (a directory owned by rs-agent, trusted as its).
scores=""
for u in rs-agent.service rs-agent-watch.service rs-agent-check.service; do
  scores="$scores${scores:+,}\"$u\":$(json_str "$(systemd-analyze security --no-pager "$u" 2>&1 | sed -n 's/.*Overall exposure level for [^:]*: //p')")"
done
root_check_json=$(run_json root_check /usr/bin/rs-agent check)
emit least-privilege "\"security\":{$scores},$(watch_identity),$root_check_json,\"state_owner\":$(json_str "$(stat -c %U:%a /run/rs-agent/state.json /run/rs-agent/lock 2>&1)"),\"cache_dir\":$(json_str "$(stat -c %U:%a /var/lib/rs-agent 2>&1)")"

# --- drift, repaired by the watcher through its hardened unit ---------------------------------
c=$(cursor)
ip addr del "$VIP4/32" dev lo
emit drift-vip "\"seconds\":$(wait_until $REPAIR_S has_addr lo "$VIP4/32")"
echo 0 > /proc/sys/net/ipv4/conf/all/arp_ignore
emit drift-sysctl "\"seconds\":$(wait_until $REPAIR_S grep -qx 1 /proc/sys/net/ipv4/conf/all/arp_ignore)"
ip link set tunl0 down
emit drift-link "\"seconds\":$(wait_until $REPAIR_S is_up tunl0)"
# The module itself: the watcher (CAP_NET_ADMIN alone) cannot load it and says so, guarding
# the rest; the next rs-agent-check.service run loads it in its privileged ExecStartPre, and
# tunl0 gets its VIP back. The journal is read once it has the line wanted, so it holds
# everything the pass logged before it.
c=$(cursor)
rmmod ipip
gone=1; [ -e /sys/class/net/tunl0 ] && gone=0
reported=$(journal_wait journal $REPAIR_S rs-agent-watch.service "$c" 'kernel module ipip is not loaded, and rs-agent runs without CAP_SYS_MODULE')
ip addr del "$VIP4/32" dev lo
emit drift-module-reported "\"tunl0_gone\":$gone,$reported,\"lo_repaired_s\":$(wait_until $REPAIR_S has_addr lo "$VIP4/32"),$(state)"
c=$(cursor)
check_json=$(run_json check systemctl start rs-agent-check.service)
seconds=$(wait_until $REPAIR_S has_addr tunl0 "$VIP4_TUN/32")
emit drift-module "$check_json,\"seconds\":$seconds,$(state),\"journal\":$(journal_since rs-agent-check.service "$c")"

# --- systemd-sysctl restarted: the drop-in agrees with what rs-agent set ---------------------
c=$(cursor)
before=$(sysctls)
systemctl restart systemd-sysctl.service
# Read at once, before the watcher's next re-read (500 ms) could hide a reset.
emit sysctl-restart "\"before\":$before,\"after\":$(sysctls),\"restart_result\":\"$(systemctl show -P Result systemd-sysctl.service)\""
sleep 2
emit sysctl-restart-later "$(state),\"journal\":$(journal_since rs-agent-watch.service "$c")"

# --- reload: a new config is taken, a broken one rejected -----------------------------------
c_reload=$(cursor)
write_config "$VIP4_ADDED"
systemctl reload rs-agent-watch.service
emit reload "\"reload_exit\":$?,\"seconds\":$(wait_until $REPAIR_S has_addr lo "$VIP4_ADDED/32"),$(state)"
c=$(cursor)
cp "$CONFIG" "$WORK/good.yaml"
printf 'mode: dr\nvips: [not-an-address]\n' > "$CONFIG"
systemctl reload rs-agent-watch.service
reload_code=$?
# The rejection is logged after systemctl reload has returned (it only sends SIGHUP).
rejected=$(journal_wait journal $REPAIR_S rs-agent-watch.service "$c" '"event":"reload-rejected".*not-an-address')
# The journal's priorities (the daemon's <N> prefixes): since before the good reload, all of
# it (its lines came before the rejection's, on the same stream); and this boot's lines at err
# or worse (the whole boot's: -p err is a match, which journalctl 252 does not combine with
# --after-cursor reliably; see unit_journal).
emit reload-broken "\"reload_exit\":$reload_code,$(state),$rejected,\"journal_all\":$(journal_since rs-agent-watch.service "$c_reload"),\"journal_err\":$(json_str "$(journalctl -q -o cat -p err -b -u rs-agent-watch.service 2>&1)")"
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

# --- ARP guard (nftables `table arp rs_agent`): flushed, repaired by the watcher ----------------
# Intact: the drop rule for ARP requests asking for a VIP, and the IPv4 VIPs in its set.
guard_intact() {
  local t
  t=$(nft list table arp rs_agent 2>/dev/null)
  [[ $t == *"arp daddr ip @vips4"* && $t == *"$VIP4"* && $t == *"$VIP4_TUN"* ]]
}
emit arp-guard "\"intact\":$(guard_intact && echo true || echo false),\"table\":$(json_str "$(nft list table arp rs_agent 2>&1)")"
c=$(cursor)
nft flush table arp rs_agent
flushed=$(guard_intact && echo false || echo true)
seconds=$(wait_until $REPAIR_S guard_intact)
emit arp-guard-flushed "\"flushed\":$flushed,\"seconds\":$seconds,\"table\":$(json_str "$(nft list table arp rs_agent 2>&1)"),$(journal_wait journal $REPAIR_S rs-agent-watch.service "$c" '"event":"repair".*"item":"nft table arp rs_agent"')"

# --- stop: the watcher first, then the VIPs removed and the originals restored ----------------
c=$(cursor)
stop_json=$(run_json stop systemctl stop rs-agent.service)
emit stop "$stop_json,\"watch_inactive_us\":$(systemctl show -P InactiveEnterTimestampMonotonic rs-agent-watch.service),\"agent_deactivating_us\":$(systemctl show -P ActiveExitTimestampMonotonic rs-agent.service),$(state)"
sleep 5
check_after_json=$(run_json check_after systemctl start rs-agent-check.service)
sleep 1
emit stopped-later "$check_after_json,$(state),\"journal\":$(journal_since rs-agent-watch.service "$c")"

# --- for the next boot: a probe ordered between the boot files and rs-agent.service ----------
cat > /etc/systemd/system/e2e-boot-probe.service <<UNIT
[Unit]
Description=e2e: what the boot files put in place before rs-agent.service
After=systemd-modules-load.service systemd-sysctl.service
Before=rs-agent.service
[Service]
Type=oneshot
ExecStart=$here/boot-probe.sh
[Install]
WantedBy=multi-user.target
UNIT
systemctl enable e2e-boot-probe.service 2>&1 | sed 's/^/  /' >&2
emit_done
fi

# ===== boot 2: the reboot, then remove and purge =================================================
if [ "$boot" = 2 ]; then
# multi-user.target waits for rs-agent.service, not for the watcher (rs-agent.service is what
# wants it), so this unit can start while the watcher's start job still runs: under TCG its
# first pass once took over 6 s. Wait until no job of rs-agent's units is left (each one then
# active, or failed) first.
rs_agent_jobs_done() { [ -z "$(systemctl list-jobs --no-legend 'rs-agent*' 2>/dev/null)" ]; }
settled_s=$(wait_until 60 rs_agent_jobs_done)
# Which came first, from systemd's own monotonic timestamps (µs).
order=""
for u in systemd-modules-load.service systemd-sysctl.service e2e-boot-probe.service rs-agent.service rs-agent-watch.service; do
  order="$order${order:+,}\"$u\":{\"start_us\":$(systemctl show -P InactiveExitTimestampMonotonic "$u"),\"active_us\":$(systemctl show -P ActiveEnterTimestampMonotonic "$u")}"
done
emit reboot "\"watch_settled_s\":$settled_s,\"probe\":$(cat "$WORK/boot-probe.json" 2>/dev/null || echo null),\"order\":{$order},$(state)"

# --- a start that fails with the VIPs in place ------------------------------------------------
# The config names an address a NIC holds: rs-agent refuses that VIP (guarding it would take the
# host off its network), puts every other one in place and exits 2. systemd marks
# rs-agent.service failed, and never runs a failed unit's ExecStop: the removal below must take
# those VIPs away all the same, and leave the NIC's address alone.
ip link add e2e-nic type dummy && ip addr add "$VIP4_NIC/32" dev e2e-nic && ip link set e2e-nic up
write_config "$VIP4_NIC"
c=$(cursor)
restart_json=$(run_json restart systemctl restart rs-agent.service)
refused=$(journal_wait journal $REPAIR_S rs-agent.service "$c" "VIP $VIP4_NIC is on e2e-nic")
# The watcher was restarted with it (PartOf=), and starts although rs-agent.service failed.
settled_s=$(wait_until 60 rs_agent_jobs_done)
emit failed-start "$restart_json,$refused,\"watch_settled_s\":$settled_s,\"result\":$(prop rs-agent.service Result),\"state_file\":$(state_file),$(state)"

# --- remove: the operator's files first (rs-agent uninstall), then the package ---------------
t0=$(now)
uninstall_json=$(run_json uninstall /usr/bin/rs-agent uninstall)
remove_json=$(run_json remove apt-get remove -y rs-agent)
emit remove "$uninstall_json,$remove_json,\"seconds\":$(seconds_since "$t0"),\"version\":\"$(pkg_version)\",\"nft\":$(json_str "$(nft list tables 2>&1)"),\"nic\":$(json_str "$(ip -o addr show dev e2e-nic 2>&1)"),\"state_file\":$(state_file),$(state)"
ip link del e2e-nic
t0=$(now)
purge_json=$(run_json purge apt-get purge -y rs-agent)
emit purge "$purge_json,\"seconds\":$(seconds_since "$t0"),\"status\":$(json_str "$(dpkg-query -W -f '${db:Status-Abbrev}' rs-agent 2>&1)"),\"leftovers\":$(leftovers),\"user\":$(json_str "$(getent passwd rs-agent)"),\"unit_files\":$(json_str "$(systemctl list-unit-files --no-legend 'rs-agent*' 2>&1)"),\"load_state\":$(json_str "$(systemctl show -P LoadState rs-agent.service)"),\"nft\":$(json_str "$(nft list tables 2>&1)"),$(state)"
emit_done
fi

# ===== boot 3: after the purge; the npm way; then an upgrade in place ==========================
if [ "$boot" = 3 ]; then
emit after-purge "\"probe\":$(cat "$WORK/boot-probe.json" 2>/dev/null || echo null),\"nft\":$(json_str "$(nft list tables 2>&1)"),$(state)"

# --- the npm way: `npm install -g` puts the package in /usr/local/lib/node_modules and links
# the bin into /usr/local/bin; the checkout is bind-mounted there (the units have ProtectHome
# and a private /tmp, so a checkout under /home or /tmp would be invisible to them).
t0=$(now)
pkg=/usr/local/lib/node_modules/rs-agent
# The user the units run rs-agent as, as the README has npm users make it (the package does).
adduser --system --group --quiet --home /nonexistent --no-create-home rs-agent
mkdir -p "$pkg"
metrics_dir
mount --bind "$REPO" "$pkg"
ln -sf ../lib/node_modules/rs-agent/dist/cli/main.js /usr/local/bin/rs-agent
write_config
install_json=$(run_json install /usr/local/bin/rs-agent install)
reload_json=$(run_json daemon_reload systemctl daemon-reload)
enable_json=$(run_json enable systemctl enable --now rs-agent.service rs-agent-watch.service)
emit npm-install "$install_json,$reload_json,$enable_json,\"seconds\":$(seconds_since "$t0"),\"exec_start\":$(json_str "$(systemctl show -P ExecStart rs-agent-watch.service)"),\"fragment\":\"$(systemctl show -P FragmentPath rs-agent-watch.service)\""
emit npm-ready "$(state)"
stop_json=$(run_json stop systemctl stop rs-agent.service)
emit npm-stop "$stop_json,$(state)"
# Gone again, as an operator moving to the package would: the units, the boot files, the bin.
systemctl disable rs-agent.service rs-agent-watch.service 2>&1 | sed 's/^/  /' >&2
uninstall_json=$(run_json uninstall /usr/local/bin/rs-agent uninstall)
systemctl daemon-reload
rm -f /usr/local/bin/rs-agent; umount "$pkg"; rm -f "$CONFIG"

# --- 9: the old package, running the scenario's config -----------------------------------------
# Without metrics: the old package runs as root, which does not trust the textfile directory
# now owned by rs-agent, and the new one as rs-agent, which cannot write in root's.
METRICS=
t0=$(now)
dpkg_json=$(run_json dpkg dpkg -i "$DEB_OLD")
write_config
enable_json=$(run_json enable systemctl enable --now rs-agent.service rs-agent-watch.service)
emit old-install "$uninstall_json,$dpkg_json,$enable_json,\"seconds\":$(seconds_since "$t0"),\"version\":\"$(pkg_version)\",\"cli_version\":$(json_str "$(/usr/bin/rs-agent --version 2>&1)")"
emit old-ready "$(state),\"state_file\":$(state_file),$(watch_facts watch),\"agent_active_us\":$(systemctl show -P ActiveEnterTimestampMonotonic rs-agent.service)"

# --- upgrade in place: dpkg -i the new package over it, the VIPs watched throughout -----------
# --force-confold: the config is the operator's; dpkg must not stop to ask about it.
start_vip_watch
# A canary the monitor must report: proof that it was listening before dpkg started. Added and
# deleted until the monitor has written it (it starts listening some time after it is run).
canary_logged() {
  ip addr add 203.0.113.250/32 dev lo && ip addr del 203.0.113.250/32 dev lo
  grep -q "Deleted.*203\.0\.113\.250" "$WORK/upgrade-monitor"
}
wait_until 60 canary_logged > /dev/null
t0=$(now) t0_us=$(uptime_us)
dpkg_json=$(run_json dpkg dpkg -i --force-confold "$DEB_NEW")
dpkg_s=$(seconds_since "$t0") t1_us=$(uptime_us)
# Watched on for 2 s after dpkg (a VIP dropped by something it left running would show then):
# until a poll made after those 2 s is in the file.
polled_after() { awk -v t="$1" '$1 > t { found = 1 } END { exit !found }' "$WORK/upgrade-polls"; }
wait_until 60 polled_after "$(awk -v t="$(now)" 'BEGIN { printf "%.2f", t + 2 }')" > /dev/null
stop_vip_watch
polls=$(wc -l < "$WORK/upgrade-polls")
gaps=$(awk 'NF > 1' "$WORK/upgrade-polls")
max_interval=$(awk 'NR > 1 && $1 - p > m { m = $1 - p } { p = $1 } END { printf "%.2f", m + 0 }' "$WORK/upgrade-polls")
deleted=$(grep -E "Deleted" "$WORK/upgrade-monitor" | grep -E "$VIP4|$VIP4_TUN|$VIP6|$VIP6_TUN")
canary=0; grep -q "Deleted.*203\.0\.113\.250" "$WORK/upgrade-monitor" && canary=1
emit upgrade "$dpkg_json,\"seconds\":$dpkg_s,\"dpkg_start_us\":$t0_us,\"dpkg_end_us\":$t1_us,\"polls\":$polls,\"poll_first\":$(head -1 "$WORK/upgrade-polls" | cut -d' ' -f1),\"poll_last\":$(tail -1 "$WORK/upgrade-polls" | cut -d' ' -f1),\"poll_max_interval\":$max_interval,\"gaps\":$(json_str "$gaps"),\"deleted\":$(json_str "$deleted"),\"canary_seen\":$canary,\"version\":\"$(pkg_version)\",\"cli_version\":$(json_str "$(/usr/bin/rs-agent --version 2>&1)"),$(watch_facts watch),\"agent_active_us\":$(systemctl show -P ActiveEnterTimestampMonotonic rs-agent.service),\"watch_unit_file\":$(json_str "$(grep '^User=' /lib/systemd/system/rs-agent-watch.service)"),$(watch_identity),$(state)"

# --- stop after the upgrade: the originals the old version recorded ---------------------------
sf=$(state_file)
stop_json=$(run_json stop systemctl stop rs-agent.service)
emit upgrade-stop "$stop_json,\"state_file\":$sf,$(state)"
emit_done
fi
