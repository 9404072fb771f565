#!/bin/sh
# Debian 12 packages the e2e VM suites need (npm run test:e2e); run as root. The one place that
# lists them: ../install-deps.sh --with-e2e (what npm run test:all runs) installs them too, with
# one apt-get update for both lists.
#   qemu-system-x86    qemu-system-x86_64, run with TCG: no /dev/kvm needed
#   linux-image-amd64  the VM's kernel; unlike many CI kernels it has ipip and ip_vs as modules,
#                      installed under /lib/modules/<version>, which the VM sees through the host root
#   busybox-static     the initramfs userland (a static binary: no libraries to copy)
#   kmod               modprobe: builds the initramfs module list, and rs-agent runs it in the VM
#   cpio               packs the initramfs
#   ipvsadm            the director
#   iputils-arping     the client's ARP probes (arping -b: iputils' option, which the other
#                      arping package reads differently); the host tiers need no arping
#   ndisc6             the client's IPv6 neighbour solicitations (ndisc6 -m lists every answer)
#   tcpdump            watches ARP on the bridge while rs-agent starts
#   python3            the ARP prober (a request every 5 ms; arping cannot go below 1 s)
#   iproute2, curl     namespaces, bridge, veth; the client's HTTP requests
#   jq                 the in-VM scenarios print their observations as JSON lines
#   keepalived         the director of the maintenance case, checking each real server's
#                      rs-agent health endpoint (run in the VM from the host's root; its unit
#                      starts only with an /etc/keepalived/keepalived.conf, which is left absent)
# --list prints the package names and installs nothing.
# --no-install-recommends keeps qemu from pulling in a desktop's worth of packages.
# shellcheck disable=SC2086 # $packages splits into one word per package
set -eu
packages='qemu-system-x86 linux-image-amd64 busybox-static kmod cpio
  ipvsadm iputils-arping ndisc6 tcpdump python3 iproute2 curl jq keepalived'
if [ "${1:-}" = --list ]; then
  echo $packages
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
# The VMs boot linux-image-amd64's kernel with an initramfs of their own (vm/build-initramfs.sh):
# the one its install would generate (update-initramfs, over a minute of CPU on 2 cores) is
# never read. initramfs-tools' kernel hook skips it when INITRD is No.
export INITRD=No
# On a shared machine another apt may hold the lock: wait for it rather than fail.
apt-get -o DPkg::Lock::Timeout=600 update -qq
apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends $packages >/dev/null
