#!/bin/bash
# PID 1 of the VM, running from the host's root filesystem (overlaid, writable in the VM only).
# Mounts what a minimal Linux needs, runs the cluster scenarios, and powers the VM off: the
# VM's exit is how the host learns the run is over. Results go to the second serial port
# (/dev/ttyS1), which the host writes to a file; this console (ttyS0) is the human log.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LC_ALL=C
# Resolved first: the checkout may live anywhere on the host, /tmp included.
here=$(dirname "$(readlink -f "$0")")

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
# devtmpfs lacks these; bash's <(...) needs /dev/fd.
ln -s /proc/self/fd /dev/fd
ln -s /proc/self/fd/0 /dev/stdin; ln -s /proc/self/fd/1 /dev/stdout; ln -s /proc/self/fd/2 /dev/stderr
mount -t tmpfs -o mode=0755 tmpfs /run
# /tmp is not replaced by an empty tmpfs: the checkout (and this script) may be under it.
# It is writable all the same, through the overlay's tmpfs upper layer.
ip link set lo up

echo "guest: kernel $(uname -r), modes: ${E2E_MODES:-?}"
if [ "${E2E_SHELL:-0}" = 1 ]; then
  setsid -c bash -i </dev/ttyS0 >/dev/ttyS0 2>&1
else
  "${E2E_SCRIPT:-$here/cluster.sh}" >/dev/ttyS1
  echo "guest: cluster.sh exited $?"
fi

sync
# PID 1 must not exit (the kernel would panic); sysrq "o" powers off immediately, and qemu
# then exits.
echo o > /proc/sysrq-trigger
# Wait for it without running anything: the host root may already be gone, and PID 1
# exiting would panic the kernel.
while :; do :; done
