#!/bin/busybox sh
# /init of the VM's initramfs (busybox). Its only job: mount the host's root filesystem,
# shared read-only over virtio-9p, under a tmpfs overlay so the VM can write anywhere, and
# hand over to $E2E_INIT inside it. The kernel passes unknown "KEY=value" boot parameters to
# this process as environment variables; that is how E2E_INIT and E2E_* arrive, and switch_root
# keeps the environment.
# E2E_BOOT=systemd: hand over to systemd as PID 1 instead, with $E2E_INIT as a oneshot unit
# that runs once the system is up and powers the VM off when it ends (prepare_systemd).
# E2E_UPPER=disk: the overlay's upper layer is the ext4 disk /dev/vda (run-vm.sh E2E_DISK)
# instead of tmpfs, so what the VM writes survives into the next boot of the same image.
/bin/busybox --install -s /bin
export PATH=/bin

die() { echo "initramfs: $*" >&2; exec sh; }

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

# Modules in dependency order (see build-initramfs.sh); those built into this kernel are absent.
while read -r ko; do
  insmod "/modules/$ko" || die "insmod $ko failed"
done < /modules/order
if [ "${E2E_UPPER:-tmpfs}" = disk ]; then
  while read -r ko; do
    insmod "/modules/$ko" || die "insmod $ko failed"
  done < /modules/order-disk
fi

mkdir -p /lower /rw /newroot
# cache=loose: the host tree does not change while the VM runs, and it makes loading node's
# many files several times faster. msize: bigger 9p messages, fewer round trips.
mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=262144 hostroot /lower \
  || die "9p mount failed"
if [ "${E2E_UPPER:-tmpfs}" = disk ]; then
  mount -t ext4 /dev/vda /rw || die "E2E_UPPER=disk: cannot mount /dev/vda"
else
  mount -t tmpfs -o mode=0755 tmpfs /rw
fi
mkdir -p /rw/upper /rw/work
mount -t overlay overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work /newroot \
  || die "overlay mount failed"

umount /proc /sys
umount /dev
[ -x "/newroot$E2E_INIT" ] || die "E2E_INIT=$E2E_INIT is not executable in the host root"
if [ "${E2E_BOOT:-script}" = systemd ]; then
  . /prepare-systemd.sh
  prepare_systemd /newroot
  exec switch_root /newroot /lib/systemd/systemd
fi
exec switch_root /newroot "$E2E_INIT"
