# Sourced by the initramfs's /init (busybox sh) for E2E_BOOT=systemd, before it hands over to
# systemd as PID 1. prepare_systemd ROOT writes into ROOT (the overlay, so the host is never
# touched) what turns the host's own systemd setup into a test boot:
# - e2e-scenario.service, a oneshot ordered after multi-user.target and wanted by it, that runs
#   $E2E_INIT with every E2E_* boot parameter in its environment, its stdout (the JSON lines) to
#   the second serial port and its stderr to the console, and powers the VM off when it ends,
#   whatever its outcome: the VM's exit is how the host learns the run is over;
# - masks (links to /dev/null) for what only slows the boot or waits on hardware the VM lacks:
#   gettys on the console (one would also fight the scenario for ttyS0), the databases and
#   servers this host happens to have enabled, apt/man-db/fstrim timers, time sync, and
#   PackageKit (apt's DPkg::Post-Invoke hook asks it over D-Bus after every apt-get run, which
#   starts packagekitd: it then reads the whole apt cache, minutes of CPU under TCG);
# - a tmpfiles.d override that keeps /tmp's contents: the stock tmp.conf says `D /tmp`, and
#   systemd-tmpfiles --remove at boot would empty the host's /tmp through the overlay (one
#   whiteout per entry, walked over 9p: over 30 s under TCG), hiding a checkout that lives there;
# - no container markers (/.dockerenv, policy-rc.d) the host root may carry;
# - an apt that reads no package index (an empty Dir::State::Lists): each apt-get run read the
#   host's whole index over 9p under TCG before doing anything (`apt-get remove` 45 s with it,
#   32 s without; purge, whose time is mostly its maintainer script, 35 and 33 s). The scenario
#   only removes and purges an installed package, which needs dpkg's status alone; the
#   maintainer scripts apt runs are the same;
# - RS_AGENT_COMMAND_TIMEOUT=60 for every unit (systemd's DefaultEnvironment): rs-agent kills
#   a command after 10 s, a hang on real hardware, and under TCG beside two busy host CPUs a
#   boot's first `nft -j list` took longer (rs-agent.service then failed at boot 2, its MSS
#   clamp unread). The VM emulates its CPUs some ten times slower than a real server runs.
prepare_systemd() {
  root=$1
  units=$root/etc/systemd/system
  mkdir -p "$units/multi-user.target.wants" "$root/var/lib/rs-agent-e2e" "$root/etc/tmpfiles.d"
  # The host may be a container (docker leaves /.dockerenv): systemd in the VM would believe
  # it runs in one too and skip what units condition on real hardware (ConditionVirtualization).
  rm -f "$root/.dockerenv" "$root/run/.containerenv"
  # A container image's policy-rc.d (exit 101: "no service actions here") would make
  # invoke-rc.d and deb-systemd-invoke, which maintainer scripts use, refuse to start or
  # restart anything; a real server has none.
  rm -f "$root/usr/sbin/policy-rc.d"
  echo "d /tmp 1777 root root -" > "$root/etc/tmpfiles.d/tmp.conf"
  mkdir -p "$root/var/lib/rs-agent-e2e/apt-lists/partial" "$root/etc/apt/apt.conf.d"
  echo 'Dir::State::Lists "/var/lib/rs-agent-e2e/apt-lists";' > "$root/etc/apt/apt.conf.d/99rs-agent-e2e"
  mkdir -p "$root/etc/systemd/system.conf.d"
  printf '[Manager]\nDefaultEnvironment=RS_AGENT_COMMAND_TIMEOUT=60\n' > "$root/etc/systemd/system.conf.d/rs-agent-e2e.conf"
  {
    echo "[Unit]"
    echo "Description=e2e scenario $E2E_INIT"
    echo "After=multi-user.target"
    echo "[Service]"
    echo "Type=oneshot"
    # systemd gives services a fresh /tmp only with PrivateTmp=; the host's /tmp (a checkout
    # may live there) stays visible to this unit, unlike to the hardened rs-agent units.
    env | grep '^E2E_' | while IFS= read -r kv; do echo "Environment=\"$kv\""; done
    echo "Environment=LC_ALL=C HOME=/root"
    echo "ExecStart=$E2E_INIT"
    echo "StandardOutput=file:/dev/ttyS1"
    echo "StandardError=tty"
    echo "TTYPath=/dev/ttyS0"
    echo "TimeoutStartSec=15min"
    echo "ExecStopPost=/bin/systemctl poweroff --no-block"
  } > "$units/e2e-scenario.service"
  ln -sf ../e2e-scenario.service "$units/multi-user.target.wants/e2e-scenario.service"

  for unit in getty.target getty@tty1.service serial-getty@ttyS0.service console-getty.service \
      etcd.service etcd2.service postgresql.service prometheus.service prometheus-node-exporter.service \
      e2scrub_reap.service systemd-timesyncd.service systemd-pstore.service ipvsadm.service keepalived.service \
      packagekit.service packagekit-offline-update.service \
      apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer e2scrub_all.timer fstrim.timer \
      man-db.timer logrotate.timer; do
    rm -f "$units/$unit"
    ln -s /dev/null "$units/$unit"
  done
}
