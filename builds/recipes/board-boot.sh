# Boot files and a minimal root file system for one board: a GRUB configuration, a UEFI shell
# boot script, the board's device tree (compiled with dtc when it is installed), a small rootfs
# tarball and a manifest with the checksums of everything.
# Runs on any Debian worker in a second or two; needs no network.
# Environment: BOARD, RELEASE, DISTRIBUTION, OUTPUT_DIR, JOBS (set by the build worker).

case "$BOARD" in
  d02)   soc="hisilicon,hip05"; compatible="hisilicon,hip05-d02"; cores=16; cpu="arm,cortex-a57"; mem=0x400000000; uart=0x80300000 ;;
  d03)   soc="hisilicon,hip06"; compatible="hisilicon,hip06-d03"; cores=16; cpu="arm,cortex-a72"; mem=0x400000000; uart=0x602b0000 ;;
  d05)   soc="hisilicon,hip07"; compatible="hisilicon,hip07-d05"; cores=64; cpu="arm,cortex-a72"; mem=0x2000000000; uart=0x602b0000 ;;
  hikey) soc="hisilicon,hi6220"; compatible="hisilicon,hi6220-hikey"; cores=8; cpu="arm,cortex-a53"; mem=0x40000000; uart=0xf7113000 ;;
  *)     soc="linux,dummy-virt"; compatible="linux,dummy-virt"; cores=4; cpu="arm,cortex-a57"; mem=0x40000000; uart=0x09000000 ;;
esac
stamp="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "Building boot files of Estuary $RELEASE for $BOARD ($compatible), $JOBS jobs"
echo "::progress 5"

echo "== GRUB configuration"
cat > "$OUTPUT_DIR/grub.cfg" <<GRUB
# Estuary $RELEASE for $BOARD, generated $stamp
set default=0
set timeout=5
menuentry "Estuary $RELEASE ($BOARD, SATA)" --id sata {
    search --no-floppy --fs-uuid --set=root \${estuary_boot_uuid}
    linux /Image console=ttyAMA0,115200 root=/dev/sda2 rootwait rw
    devicetree /$BOARD.dtb
}
menuentry "Estuary $RELEASE ($BOARD, NFS)" --id nfs {
    set root=(tftp)
    linux /Image console=ttyAMA0,115200 root=/dev/nfs rw nfsroot=\${nfs_server}:/estuary/$BOARD,vers=3 ip=dhcp
    devicetree /$BOARD.dtb
}
GRUB
cat "$OUTPUT_DIR/grub.cfg"
echo "::progress 25"

echo "== UEFI shell boot script"
cat > "$OUTPUT_DIR/startup-$BOARD.nsh" <<NSH
@echo -off
echo "Estuary $RELEASE: starting GRUB on $BOARD"
fs0:
\\EFI\\GRUB2\\grubaa64.efi
NSH
echo "::progress 40"

echo "== Device tree"
{
  printf '/dts-v1/;\n\n/ {\n'
  printf '\tmodel = "Estuary %s";\n\tcompatible = "%s", "%s";\n' "$BOARD" "$compatible" "$soc"
  printf '\t#address-cells = <2>;\n\t#size-cells = <2>;\n\n'
  printf '\tchosen {\n\t\tstdout-path = "serial0:115200n8";\n\t\testuary,release = "%s";\n\t};\n\n' "$RELEASE"
  printf '\taliases {\n\t\tserial0 = &uart0;\n\t};\n\n'
  printf '\tcpus {\n\t\t#address-cells = <1>;\n\t\t#size-cells = <0>;\n'
  for ((i = 0; i < cores; i++)); do
    printf '\t\tcpu@%x {\n\t\t\tdevice_type = "cpu";\n\t\t\tcompatible = "%s";\n\t\t\treg = <0x%x>;\n\t\t\tenable-method = "psci";\n\t\t};\n' "$i" "$cpu" "$i"
  done
  printf '\t};\n\n'
  printf '\tmemory@0 {\n\t\tdevice_type = "memory";\n\t\treg = <0x0 0x0 0x%x 0x%x>;\n\t};\n\n' $((mem >> 32)) $((mem & 0xffffffff))
  printf '\tuart0: serial@%x {\n\t\tcompatible = "arm,pl011", "arm,primecell";\n\t\treg = <0x0 0x%x 0x0 0x1000>;\n\t\tstatus = "okay";\n\t};\n};\n' "$uart" "$uart"
} > "$BOARD.dts"
if command -v dtc >/dev/null; then
  dtc -I dts -O dtb -o "$OUTPUT_DIR/$BOARD.dtb" "$BOARD.dts"
  echo "compiled $BOARD.dtb ($(stat -c %s "$OUTPUT_DIR/$BOARD.dtb") bytes) with $(dtc --version)"
else
  echo "dtc is not installed: no device tree this time (Debian package device-tree-compiler)"
fi
echo "::progress 60"

echo "== Root file system"
root="rootfs"
mkdir -p "$root"/{bin,dev,etc,proc,root,sys,tmp,usr/share/estuary,var/log}
cat > "$root/etc/os-release" <<OS
NAME="Estuary"
VERSION="$RELEASE"
ID=estuary
PRETTY_NAME="Estuary $RELEASE ($BOARD)"
HOME_URL="https://estuary.example.org/"
OS
echo "estuary-$BOARD" > "$root/etc/hostname"
printf 'Estuary %s on %s \\n \\l\n' "$RELEASE" "$BOARD" > "$root/etc/issue"
printf 'root:x:0:0:root:/root:/bin/sh\n' > "$root/etc/passwd"
printf '/dev/sda2 / ext4 defaults 0 1\nproc /proc proc defaults 0 0\n' > "$root/etc/fstab"
cp "$BOARD.dts" "$root/usr/share/estuary/"
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@0" -C "$root" -czf "$OUTPUT_DIR/rootfs-$BOARD.tar.gz" .
tar -tzf "$OUTPUT_DIR/rootfs-$BOARD.tar.gz" | head -n 20
echo "::progress 85"

echo "== Manifest"
(
  cd "$OUTPUT_DIR"
  {
    echo "release: $RELEASE"
    echo "board: $BOARD"
    echo "distribution: ${DISTRIBUTION:-none}"
    echo "built: $stamp"
    echo "files:"
    for f in *; do
      [ "$f" = "MANIFEST-$BOARD.txt" ] && continue
      printf '  - name: %s\n    size: %s\n    sha256: %s\n' "$f" "$(stat -c %s "$f")" "$(sha256sum "$f" | cut -d' ' -f1)"
    done
  } > "MANIFEST-$BOARD.txt"
  cat "MANIFEST-$BOARD.txt"
)
echo "::progress 100"
