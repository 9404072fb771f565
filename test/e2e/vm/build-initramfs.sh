#!/bin/sh
# Builds the VM's initramfs for kernel version $1 into file $2: busybox-static, the modules
# that mounting the host root over virtio-9p + overlay needs (and virtio_blk + ext4 for an
# overlay upper layer on a disk), initramfs-init.sh as /init and prepare-systemd.sh beside it.
# Module files and their order come from `modprobe --show-depends` against that kernel's
# /lib/modules; a module built into the kernel ("builtin") needs no file, and one this kernel
# does not have at all (netfs and fscache only exist as modules in some versions) is skipped.
set -eu
kver=$1 out=$2
here=$(cd "$(dirname "$0")" && pwd)
wanted="virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci
        9pnet 9pnet_virtio netfs fscache 9p overlay"
# Loaded only with E2E_UPPER=disk (modules/order-disk).
wanted_disk="virtio_blk ext4"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/bin" "$tmp/modules" "$tmp/proc" "$tmp/sys" "$tmp/dev"
cp /bin/busybox "$tmp/bin/busybox"
cp "$here/initramfs-init.sh" "$tmp/init"
cp "$here/prepare-systemd.sh" "$tmp/prepare-systemd.sh"
chmod +x "$tmp/init"

# add_modules LIST ORDER_FILE: each module of LIST with its dependencies, in load order, into
# ORDER_FILE; a file already listed in either order file is not listed again.
add_modules() {
  for mod in $1; do
    if ! deps=$(modprobe -S "$kver" --show-depends "$mod" 2>/dev/null); then
      echo "build-initramfs: $mod: not in kernel $kver, skipped" >&2
      continue
    fi
    # Lines are "insmod /path/x.ko[.xz|.zst] [params]" or "builtin x".
    echo "$deps" | awk '$1 == "insmod" { print $2 }' | while read -r path; do
      name=$(basename "$path")
      case "$name" in
        *.ko.xz)  name=${name%.xz};  decompress="xz -dc" ;;
        *.ko.zst) name=${name%.zst}; decompress="zstd -dc" ;;
        *)        decompress="cat" ;;
      esac
      # busybox insmod cannot read compressed modules: store them plain.
      cat "$tmp/modules/order" "$tmp/modules/order-disk" | grep -qx "$name" && continue
      $decompress "$path" > "$tmp/modules/$name"
      echo "$name" >> "$2"
    done
  done
}
: > "$tmp/modules/order"
: > "$tmp/modules/order-disk"
add_modules "$wanted" "$tmp/modules/order"
add_modules "$wanted_disk" "$tmp/modules/order-disk"

# Written under a name of this process's own, then renamed: the VM suites may boot side by side,
# and two of them finding no initramfs build it at the same time.
(cd "$tmp" && find . | cpio -o -H newc --quiet) > "$out.tmp.$$"
mv "$out.tmp.$$" "$out"
