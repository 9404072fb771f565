#!/bin/sh
# Boots the e2e VM and runs the LVS cluster scenarios inside it.
#   usage: run-vm.sh [RESULTS_FILE]        env: E2E_MODES (default "dr,tun,dr6,tun6"),
#                                               E2E_ACCEL (default tcg), E2E_SHELL=1 (a shell
#                                               in the VM instead of the scenarios),
#                                               E2E_RS_AGENT (the CLI entry, default
#                                               <repo>/dist/cli/main.js; no spaces),
#                                               E2E_BOOT=systemd (systemd as PID 1, running
#                                               E2E_SCRIPT as a oneshot unit; see
#                                               prepare-systemd.sh), E2E_DISK=FILE (an ext4
#                                               image as the overlay's upper layer instead of
#                                               tmpfs, kept across boots; created if missing)
# The VM's root filesystem is this machine's own root, read-only over virtio-9p with a tmpfs
# overlay in the VM: node, ip, ipvsadm, the repository and /lib/modules/<VM kernel> are all
# there without building an image. The VM has no network card (-nic none); the cluster lives
# in network namespaces inside it. The console (ttyS0) is this script's stdout; the
# scenarios' JSON lines go to ttyS1, i.e. RESULTS_FILE.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cache="$here/../.cache"
results=${1:-$cache/results.jsonl}
mkdir -p "$cache"

# The newest installed Debian kernel that has its modules (linux-image-amd64 provides it).
kver=
for k in $(ls /boot/ | sed -n 's/^vmlinuz-//p' | sort -V); do
  [ -d "/lib/modules/$k/kernel/net/ipv4" ] && kver=$k
done
[ -n "$kver" ] || { echo "run-vm: no /boot/vmlinuz-* with modules; run install-deps.sh" >&2; exit 2; }

initrd="$cache/initramfs-$kver.cpio"
if [ ! -e "$initrd" ] || [ "$here/initramfs-init.sh" -nt "$initrd" ] || [ "$here/build-initramfs.sh" -nt "$initrd" ] \
    || [ "$here/prepare-systemd.sh" -nt "$initrd" ]; then
  "$here/build-initramfs.sh" "$kver" "$initrd"
fi

: > "$results"
# E2E_BOOT=systemd: the initramfs hands over to systemd, which runs the scenario as a unit.
init=$here/../guest/init.sh boot=
if [ "${E2E_BOOT:-script}" = systemd ]; then
  init=${E2E_SCRIPT:?E2E_BOOT=systemd needs E2E_SCRIPT, the scenario the unit runs}
  boot=" E2E_BOOT=systemd"
fi
disk=
if [ -n "${E2E_DISK:-}" ]; then
  [ -e "$E2E_DISK" ] || { truncate -s 512M "$E2E_DISK" && mkfs.ext4 -q -F "$E2E_DISK"; }
  disk="-drive file=$E2E_DISK,if=virtio,format=raw"
  boot="$boot E2E_UPPER=disk"
fi
# panic=-1 + -no-reboot: if anything in the VM panics, qemu exits instead of hanging.
exec qemu-system-x86_64 \
  -nodefaults -no-reboot -display none -monitor none \
  -accel "${E2E_ACCEL:-tcg}" -cpu "${E2E_CPU:-max}" -smp 2 -m 1024 \
  -nic none \
  -kernel "/boot/vmlinuz-$kver" -initrd "$initrd" \
  -append "console=ttyS0 quiet loglevel=4 panic=-1 rdinit=/init E2E_INIT=$init$boot E2E_MODES=${E2E_MODES:-dr,tun,dr6,tun6} E2E_SHELL=${E2E_SHELL:-0} E2E_TRACE=${E2E_TRACE:-0}${E2E_SCRIPT:+ E2E_SCRIPT=$E2E_SCRIPT}${E2E_RS_AGENT:+ E2E_RS_AGENT=$E2E_RS_AGENT}" \
  -fsdev local,id=hostroot,path=/,readonly=on,security_model=none,multidevs=remap \
  -device virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot \
  -serial stdio -serial "file:$results" $disk
