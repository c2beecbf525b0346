# Optional, not run in tests: a full arm64 Debian root file system, first stage only
# (`debootstrap --foreign`), packed as a tarball. The second stage runs on the board or under
# qemu-user-static: chroot rootfs /debootstrap/debootstrap --second-stage
# Needs debootstrap (Debian package) and the network to $DEBIAN_MIRROR (BUILD_DEBIAN_MIRROR);
# runs as the worker's user with fakeroot when it is not root. Takes minutes and ~300 MB.

suite="${DEBIAN_SUITE:-stable}"
[ -n "$DEBIAN_MIRROR" ] || { echo "set BUILD_DEBIAN_MIRROR to a Debian mirror"; exit 2; }
command -v debootstrap >/dev/null || { echo "debootstrap is not installed"; exit 2; }
wrap=""
[ "$(id -u)" = 0 ] || wrap="fakeroot"
echo "::progress 5"
$wrap debootstrap --arch=arm64 --foreign --variant=minbase \
  --include=systemd-sysv,openssh-server,iproute2 "$suite" rootfs "$DEBIAN_MIRROR"
echo "::progress 80"
$wrap tar --numeric-owner -C rootfs -cJf "$OUTPUT_DIR/debian-$suite-arm64-rootfs.tar.xz" .
(cd "$OUTPUT_DIR" && sha256sum *)
echo "::progress 100"
