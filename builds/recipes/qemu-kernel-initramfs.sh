# What really boots under QEMU: Debian's arm64 kernel and an initramfs of busybox-static whose
# /init prints a marker and powers the machine off.
# Needs the network to a Debian mirror: $DEBIAN_MIRROR (setting BUILD_DEBIAN_MIRROR), or the
# first mirror of the worker's own apt sources. Packages are fetched with a package-lists folder
# of this build's own, so the worker's apt state is never touched.
# Boot the result (a later issue boots it after every build):
#   qemu-system-aarch64 -M virt -cpu cortex-a57 -m 512 -nographic -no-reboot \
#     -kernel vmlinuz -initrd initramfs.cpio.gz -append "console=ttyAMA0 panic=-1"

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

apt_root="$PWD/apt"
mkdir -p "$apt_root"/{lists/partial,cache/archives/partial,etc/preferences.d,etc/trusted.gpg.d}
echo "deb [arch=arm64] $mirror $suite main" > "$apt_root/etc/sources.list"
apt_opts=(
  -o APT::Architecture=arm64 -o APT::Architectures=arm64
  -o Dir::Etc::SourceList="$apt_root/etc/sources.list" -o Dir::Etc::SourceParts=/dev/null
  -o Dir::Etc::Preferences="$apt_root/etc/preferences" -o Dir::Etc::PreferencesParts="$apt_root/etc/preferences.d"
  -o Dir::State::Lists="$apt_root/lists" -o Dir::Cache="$apt_root/cache"
  -o Dir::State::status=/dev/null -o Debug::NoLocking=1
)
apt-get "${apt_opts[@]}" update
echo "::progress 30"
kernel=$(apt-cache "${apt_opts[@]}" depends linux-image-arm64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
[ -n "$kernel" ] || { echo "could not find the kernel package behind linux-image-arm64"; exit 3; }
echo "Kernel package: $kernel"
apt-get "${apt_opts[@]}" download "$kernel" busybox-static
echo "::progress 60"

dpkg-deb -x "$kernel"_*.deb kernel
dpkg-deb -x busybox-static_*.deb busybox
cp kernel/boot/vmlinuz-* "$OUTPUT_DIR/vmlinuz"
cp kernel/boot/config-* "$OUTPUT_DIR/kernel.config"

mkdir -p initramfs/{bin,dev,proc,sys}
cp busybox/bin/busybox initramfs/bin/busybox
cat > initramfs/init <<INIT
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
echo "ESTUARY-BOOT-OK $RELEASE \$(uname -r) \$(uname -m)"
poweroff -f
INIT
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
