# What really boots under QEMU: Debian's arm64 kernel (the cloud flavour: virtio and the PL011
# console of QEMU's virt machine, a third of the generic one's size) and an initramfs of
# busybox-static whose /init prints a marker and powers the machine off.
# Needs the network to a Debian mirror: $DEBIAN_MIRROR (setting BUILD_DEBIAN_MIRROR), or the
# first mirror of the worker's own apt sources. Package lists live in a folder of the recipe's
# own under $CACHE_DIR (never the worker's apt state), and the downloaded packages stay there
# for the next build.
# After a successful build, the portal boots the result (builds/validation.py):
#   qemu-system-aarch64 -M virt -cpu cortex-a57 -m 512 -nographic -no-reboot \
#     -kernel vmlinuz -initrd initramfs.cpio.gz -append "console=ttyAMA0 panic=-1"
# $KERNEL_FLAVOUR picks another kernel (e.g. arm64); $BOOT_INIT_BROKEN=1 makes an /init that
# never prints the marker (to see a failed boot test).

suite="${DEBIAN_SUITE:-}"
mirror="${DEBIAN_MIRROR:-}"
if [ -z "$mirror" ] || [ -z "$suite" ]; then
  # The worker's sources: deb822 (.sources) first, then the one-line format.
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -e "$f" ] || continue
    [ -z "$mirror" ] && mirror=$(awk '/^URIs:/ {print $2; exit}' "$f")
    [ -z "$suite" ] && suite=$(awk '/^Suites:/ {print $2; exit}' "$f")
    break
  done
  if [ -z "$mirror" ] && [ -e /etc/apt/sources.list ]; then
    read -r _ mirror line_suite _ < <(grep -E '^deb ' /etc/apt/sources.list | head -n1)
    suite="${suite:-$line_suite}"
  fi
fi
suite="${suite:-stable}"
[ -n "$mirror" ] || { echo "no Debian mirror: set BUILD_DEBIAN_MIRROR"; exit 2; }
echo "Mirror $mirror, suite $suite"
echo "::progress 5"

cache="${CACHE_DIR:-$PWD/cache}/debian-arm64"
apt_root="$cache/apt"
mkdir -p "$apt_root"/{lists/partial,cache/archives/partial,etc/preferences.d,etc/trusted.gpg.d} "$cache/debs"
echo "deb [arch=arm64] $mirror $suite main" > "$apt_root/etc/sources.list"
apt_opts=(
  -o APT::Architecture=arm64 -o APT::Architectures=arm64
  -o Dir::Etc::SourceList="$apt_root/etc/sources.list" -o Dir::Etc::SourceParts=/dev/null
  -o Dir::Etc::Preferences="$apt_root/etc/preferences" -o Dir::Etc::PreferencesParts="$apt_root/etc/preferences.d"
  -o Dir::State::Lists="$apt_root/lists" -o Dir::Cache="$apt_root/cache"
  -o Dir::State::status=/dev/null -o Debug::NoLocking=1
)
flavour="${KERNEL_FLAVOUR:-cloud-arm64}"
# One build at a time updates the shared lists; package lists younger than a day are kept.
(
  flock 9
  if [ -z "$(find "$apt_root/lists" -maxdepth 1 -name '*_Packages*' -mmin -1440 2>/dev/null)" ]; then
    apt-get "${apt_opts[@]}" update
  else
    echo "Package lists of the last day kept in $apt_root/lists"
  fi
) 9>"$cache/lock"
echo "::progress 30"
kernel=$(apt-cache "${apt_opts[@]}" depends "linux-image-$flavour" | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
[ -n "$kernel" ] || { echo "could not find the kernel package behind linux-image-$flavour"; exit 3; }
echo "Kernel package: $kernel"
for package in "$kernel" busybox-static; do
  if ! ls "$cache/debs/${package}"_*.deb >/dev/null 2>&1; then
    (flock 9; cd "$cache/debs" && apt-get "${apt_opts[@]}" download "$package") 9>"$cache/lock"
  fi
  echo "Package: $(basename "$(ls "$cache/debs/${package}"_*.deb | tail -n1)")"
done
echo "::progress 60"

dpkg-deb -x "$(ls "$cache/debs/${kernel}"_*.deb | tail -n1)" kernel
dpkg-deb -x "$(ls "$cache/debs/busybox-static"_*.deb | tail -n1)" busybox
cp kernel/boot/vmlinuz-* "$OUTPUT_DIR/vmlinuz"
cp kernel/boot/config-* "$OUTPUT_DIR/kernel.config"

mkdir -p initramfs/{bin,dev,proc,sys}
cp busybox/bin/busybox initramfs/bin/busybox
if [ "${BOOT_INIT_BROKEN:-0}" = 1 ]; then
  printf '#!/bin/busybox sh\necho "this init is broken on purpose"\nexit 1\n' > initramfs/init
else
cat > initramfs/init <<INIT
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
echo "ESTUARY-BOOT-OK $RELEASE \$(uname -r) \$(uname -m)"
poweroff -f
INIT
fi
chmod +x initramfs/init
(cd initramfs && find . | cpio -o -H newc --owner 0:0 --quiet | gzip -9) > "$OUTPUT_DIR/initramfs.cpio.gz"
echo "::progress 85"

cat > "$OUTPUT_DIR/boot-qemu.sh" <<BOOT
#!/bin/sh
# Boots Estuary $RELEASE under QEMU; prints ESTUARY-BOOT-OK and powers off.
exec qemu-system-aarch64 -M virt -cpu cortex-a57 -m 512 -nographic -no-reboot \\
  -kernel vmlinuz -initrd initramfs.cpio.gz -append "console=ttyAMA0 panic=-1"
BOOT
(cd "$OUTPUT_DIR" && sha256sum * | tee SHA256SUMS-qemu.txt)
echo "::progress 100"
