"""Demo data of the catalogue: the real boards and distributions Estuary supports, and two
releases made of real small files generated here: an arm64 kernel Image (a valid boot header
and a stub that parks the CPU), each board's device-tree source, a GRUB configuration, and
tar.gz root file system skeletons. The files are the same bytes on every run, so seeding twice
changes nothing, and `sha256sum -c SHA256SUMS` passes on what a visitor downloads.
"""

from __future__ import annotations

import datetime
import gzip
import io
import shutil
import struct
import tarfile
import tempfile
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.db import transaction

from downloads.models import Artifact, Board, Distribution, Release
from downloads.services.artifacts import add_artifact_from_path, guess_kind, import_dirs
from downloads.services.publishing import create_release, publish_release
from downloads.services.signing import create_signing_key, signing_enabled
from portal.markup import render_markdown

BOARDS = [
    {
        "slug": "d02",
        "name": "D02",
        "soc": "HiSilicon Hip05",
        "vendor": "HiSilicon",
        "order": 10,
        "summary": "The first HiSilicon ARM64 server development board: 16 Cortex-A57 cores.",
        "specs": {
            "CPU": "16 × Cortex-A57 @ 2.1 GHz (Hip05)",
            "Memory": "up to 64 GB DDR3, 4 channels",
            "Storage": "2 × SATA 3.0, SAS",
            "Network": "2 × 10 GbE, 2 × GbE",
            "Expansion": "PCIe 3.0 x8",
            "Firmware": "UEFI, with GRUB 2 as boot loader",
        },
        "description": (
            "The D02 is where Estuary started: a server-class board built around the Hip05 "
            "SoC. It boots UEFI from its SPI flash, loads GRUB over the network (PXE) or from "
            "SATA, and runs every Estuary distribution."
        ),
    },
    {
        "slug": "d03",
        "name": "D03",
        "soc": "HiSilicon Hi1612 (Hip06)",
        "vendor": "HiSilicon",
        "order": 20,
        "summary": "16 Cortex-A72 cores, DDR4 and 10 GbE: the second-generation server board.",
        "specs": {
            "CPU": "16 × Cortex-A72 @ 2.1 GHz (Hip06)",
            "Memory": "up to 64 GB DDR4",
            "Storage": "SATA 3.0, SAS 3.0",
            "Network": "2 × 10 GbE, 2 × GbE",
            "Expansion": "PCIe 3.0",
            "Firmware": "UEFI, GRUB 2",
        },
        "description": (
            "The D03 brought Cortex-A72 cores and DDR4 memory. Estuary supports it from "
            "release 2.2 on, with UEFI and ACPI."
        ),
    },
    {
        "slug": "d05",
        "name": "D05",
        "soc": "HiSilicon Hi1616 (Hip07)",
        "vendor": "HiSilicon",
        "order": 30,
        "summary": "Two sockets, 64 Cortex-A72 cores: the ARM64 server for real workloads.",
        "specs": {
            "CPU": "2 × 32 Cortex-A72 @ 2.4 GHz (Hip07)",
            "Memory": "up to 512 GB DDR4, 16 DIMMs",
            "Storage": "SAS 3.0, SATA 3.0",
            "Network": "2 × 10 GbE, 2 × GbE",
            "Expansion": "PCIe 3.0 x16",
            "Firmware": "UEFI, ACPI, GRUB 2",
        },
        "description": (
            "The D05 is a dual-socket server with 64 cores. Estuary supports it from release "
            "3.0 on; it is the reference board for benchmarking."
        ),
    },
    {
        "slug": "hikey",
        "name": "HiKey",
        "soc": "HiSilicon Kirin 620 (Hi6220)",
        "vendor": "96Boards (LeMaker)",
        "order": 40,
        "summary": "The 96Boards Consumer Edition board with 8 Cortex-A53 cores.",
        "specs": {
            "CPU": "8 × Cortex-A53 @ 1.2 GHz (Kirin 620)",
            "Memory": "1 or 2 GB LPDDR3",
            "Storage": "8 GB eMMC, microSD",
            "Network": "Wi-Fi 802.11 b/g/n, Bluetooth 4.1",
            "Form factor": "96Boards Consumer Edition, 85 × 54 mm",
            "Firmware": "UEFI (ARM Trusted Firmware), GRUB 2",
        },
        "description": (
            "HiKey is a small, cheap board for developers. It is flashed over USB with "
            "`fastboot` and boots UEFI and GRUB from its eMMC."
        ),
    },
    {
        "slug": "qemu",
        "name": "QEMU",
        "soc": "virt (emulated Cortex-A57)",
        "vendor": "QEMU project",
        "order": 50,
        "support_level": Board.SupportLevel.COMMUNITY,
        "summary": "No board at hand? Run Estuary's arm64 kernel and rootfs under QEMU.",
        "specs": {
            "Machine": "qemu-system-aarch64 -M virt -cpu cortex-a57",
            "Memory": "as given with -m",
            "Storage": "virtio block",
            "Network": "virtio-net",
            "Firmware": "direct kernel boot, or UEFI (EDK II)",
        },
        "description": (
            "The QEMU target boots the same arm64 kernel and root file systems on any PC, so "
            "you can try a release before you flash a board."
        ),
    },
]

DISTRIBUTIONS = [
    ("ubuntu", "Ubuntu", "16.04", "https://ubuntu.com/", 10),
    ("debian", "Debian", "8", "https://www.debian.org/", 20),
    ("centos", "CentOS", "7", "https://www.centos.org/", 30),
    ("fedora", "Fedora", "23", "https://fedoraproject.org/", 40),
    ("opensuse", "openSUSE", "Leap 42.1", "https://www.opensuse.org/", 50),
    ("openembedded", "OpenEmbedded", "", "https://www.openembedded.org/", 60),
]


# Per board: device tree name, model, compatible, CPU, first UART and kernel console.
HARDWARE = {
    "d02": ("hip05-d02", "Hisilicon Hip05 D02 Development Board", "hisilicon,hip05-d02",
            "arm,cortex-a57", (0x80300000, "snps,dw-apb-uart"), "ttyS0,115200"),
    "d03": ("hip06-d03", "Hisilicon Hip06 D03 Development Board", "hisilicon,hip06-d03",
            "arm,cortex-a72", (0x602B0000, "ns16550a"), "ttyS1,115200"),
    "d05": ("hip07-d05", "Hisilicon Hip07 D05 Development Board", "hisilicon,hip07-d05",
            "arm,cortex-a72", (0x602B0000, "arm,pl011"), "ttyAMA0,115200"),
    "hikey": ("hi6220-hikey", "HiKey Development Board", "hisilicon,hi6220-hikey",
              "arm,cortex-a53", (0xF7113000, "arm,pl011"), "ttyAMA3,115200"),
    "qemu": ("qemu-virt", "linux,dummy-virt", "linux,dummy-virt",
             "arm,cortex-a57", (0x09000000, "arm,pl011"), "ttyAMA0"),
}  # fmt: skip

RELEASES = [
    {
        "version": "3.0",
        "title": "D05 support",
        "kernel": "4.9.20-estuary",
        "date": "2017-02-28",
        "distributions": ["ubuntu", "debian"],
        "notes": "Estuary 3.0 adds the **D05** and moves every board to Linux 4.9.",
    },
    {
        "version": "3.1",
        "title": "Linux 4.12",
        "kernel": "4.12.0-estuary",
        "date": "2017-07-14",
        "distributions": ["ubuntu", "debian", "centos"],
        "notes": (
            "Estuary 3.1 moves to Linux 4.12 and adds CentOS 7 root file systems.\n\n"
            "## Verify what you download\n\n"
            "Save the `SHA256SUMS` of your board's folder (linked beside each board below) "
            "in the folder where your files are, then run:\n\n"
            "```sh\nsha256sum -c --ignore-missing SHA256SUMS\n```"
        ),
    },
    {
        "version": "3.2-rc1",
        "title": "Linux 4.14 preview",
        "kernel": "4.14.0-rc5-estuary",
        "date": "2017-10-20",
        "distributions": ["debian"],
        "boards": ["d05", "qemu"],
        "prerelease": True,
        "notes": "A preview of 3.2 for the D05 and QEMU: Linux 4.14-rc5. Not for production.",
    },
]

DATE = 1500000000  # every generated file has this modification time: same bytes every run


def kernel_image(*, board: str, kernel: str) -> bytes:
    """An arm64 Linux boot Image: the 64-byte header of Documentation/arm64/booting and a
    stub (`wfi; b .`) that parks the CPU, followed by the build's banner."""
    banner = f"Linux version {kernel} (estuary@{board}) #1 SMP PREEMPT aarch64\n".encode()
    body_size = 64 + len(banner)
    image_size = (body_size + 4095) // 4096 * 4096
    header = struct.pack(
        "<IIQQQQQQII",
        0xD503207F,  # code0: wfi
        0x17FFFFFF,  # code1: b . (back to wfi)
        0x80000,  # text_offset
        image_size,  # image_size
        0xA,  # flags: little-endian, 4K pages, placed anywhere
        0,
        0,
        0,  # res2-4
        0x644D5241,  # magic "ARM\x64"
        0,  # res5: no PE header
    )
    return (header + banner).ljust(image_size, b"\0")


def device_tree_source(board: str, *, kernel: str) -> str:
    name, model, compatible, cpu, (uart, uart_compatible), _console = HARDWARE[board]
    return f"""// SPDX-License-Identifier: GPL-2.0
/*
 * {name}.dts: {model}, as shipped with Estuary (Linux {kernel}).
 * Build it with: dtc -I dts -O dtb -o {name}.dtb {name}.dts
 */
/dts-v1/;

/ {{
\tmodel = "{model}";
\tcompatible = "{compatible}";
\tinterrupt-parent = <&gic>;
\t#address-cells = <2>;
\t#size-cells = <2>;

\taliases {{
\t\tserial0 = &uart0;
\t}};

\tchosen {{
\t\tstdout-path = "serial0:115200n8";
\t}};

\tpsci {{
\t\tcompatible = "arm,psci-0.2";
\t\tmethod = "smc";
\t}};

\tcpus {{
\t\t#address-cells = <1>;
\t\t#size-cells = <0>;

\t\tcpu@0 {{
\t\t\tdevice_type = "cpu";
\t\t\tcompatible = "{cpu}";
\t\t\treg = <0x0>;
\t\t\tenable-method = "psci";
\t\t}};
\t}};

\tmemory@0 {{
\t\tdevice_type = "memory";
\t\treg = <0x0 0x00000000 0x0 0x40000000>;
\t}};

\tgic: interrupt-controller@8d000000 {{
\t\tcompatible = "arm,gic-v3";
\t\t#interrupt-cells = <3>;
\t\tinterrupt-controller;
\t\treg = <0x0 0x8d000000 0 0x10000>, <0x0 0x8d100000 0 0x300000>;
\t}};

\tuart0: serial@{uart:x} {{
\t\tcompatible = "{uart_compatible}";
\t\treg = <0x0 0x{uart:08x} 0x0 0x10000>;
\t\tclock-frequency = <200000000>;
\t\treg-shift = <2>;
\t\treg-io-width = <4>;
\t\tstatus = "okay";
\t}};
}};
"""


def grub_config(board: str, *, version: str, kernel: str) -> str:
    name, model, _compatible, _cpu, _uart, console = HARDWARE[board]
    return f"""# GRUB 2 configuration of Estuary {version} for the {model}.
# Copy it with Image and {name}.dtb to the EFI system partition or the TFTP root.
set default=0
set timeout=5

menuentry "Estuary {version} (Linux {kernel}) from SATA" --id estuary-sata {{
    search --no-floppy --label --set=root estuary-boot
    linux /Image root=/dev/sda2 rootwait rw console={console} earlycon pcie_aspm=off
    devicetree /{name}.dtb
}}

menuentry "Estuary {version} (Linux {kernel}) over NFS" --id estuary-nfs {{
    set root=(tftp)
    linux /Image root=/dev/nfs rw nfsroot=${{net_default_server}}:/srv/nfs/estuary,v3 \\
        ip=dhcp console={console}
    devicetree /{name}.dtb
}}
"""


def rootfs_tarball(*, distribution: Distribution, version: str) -> bytes:
    """A root file system skeleton: the folders, os-release, fstab, hostname and an init."""
    os_release = (
        f'NAME="{distribution.name}"\nVERSION="{distribution.version}"\n'
        f'ID={distribution.slug}\nPRETTY_NAME="{distribution} (Estuary {version})"\n'
    )
    files = {
        "etc/os-release": os_release,
        "etc/hostname": "estuary\n",
        "etc/fstab": "/dev/root  /  auto  defaults  0  1\nproc  /proc  proc  defaults  0  0\n",
        "etc/issue": f"Estuary {version} \\n \\l\n",
        "sbin/init": "#!/bin/sh\nmount -t proc proc /proc\nmount -t sysfs sys /sys\n"
        "echo 'Welcome to Estuary'\nexec /bin/sh\n",
    }
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for folder in ["bin", "dev", "etc", "proc", "root", "sbin", "sys", "tmp", "usr", "var"]:
            info = tarfile.TarInfo(f"./{folder}")
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, DATE
            tar.addfile(info)
        for path, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f"./{path}")
            info.size, info.mtime = len(data), DATE
            info.mode = 0o755 if path.startswith("sbin/") else 0o644
            tar.addfile(info, io.BytesIO(data))
    return gzip.compress(raw.getvalue(), mtime=0)


def _write(folder: Path, name: str, data: bytes | str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def seed_release(spec: dict, *, boards: list[Board], workdir: Path) -> Release | None:
    """Generate a release's files and publish it; nothing when it exists already."""
    version = spec["version"]
    if Release.objects.filter(version=version).exists():
        return None
    release = create_release(
        version=version,
        title=spec["title"],
        notes=spec["notes"],
        is_prerelease=spec.get("prerelease", False),
        release_date=datetime.date.fromisoformat(spec["date"]),
    )
    distributions = list(Distribution.objects.filter(slug__in=spec["distributions"]))
    readme = (
        f"Estuary {version}\n\nEach board folder holds its kernel Image, device tree source, "
        "GRUB configuration and root file systems.\nVerify them in the folder with:\n\n"
        "    sha256sum -c --ignore-missing SHA256SUMS\n"
    )
    common = workdir / version / "common"
    add_artifact_from_path(
        release=release, path=_write(common, "README.txt", readme), description="Read me first"
    )
    for board in boards:
        if board.slug not in HARDWARE or board.slug not in spec.get("boards", HARDWARE):
            continue
        folder = workdir / version / board.slug
        dts_name = HARDWARE[board.slug][0]
        files = [
            ("Image", kernel_image(board=board.slug, kernel=spec["kernel"]), None),
            (f"{dts_name}.dts", device_tree_source(board.slug, kernel=spec["kernel"]), None),
            ("grub.cfg", grub_config(board.slug, version=version, kernel=spec["kernel"]), None),
        ]
        for distribution in distributions:
            name = f"{distribution.slug}-{distribution.version or 'rolling'}-rootfs.tar.gz"
            tarball = rootfs_tarball(distribution=distribution, version=version)
            files.append((name.replace(" ", "-").lower(), tarball, distribution))
        for name, data, distribution in files:
            add_artifact_from_path(
                release=release,
                path=_write(folder, name, data),
                board=board,
                distribution=distribution,
                kind=guess_kind(name),
            )
    return publish_release(release=release)


@transaction.atomic
def seed_releases(say: Callable[[str], None]) -> None:
    boards = list(Board.objects.all())
    import_root = import_dirs()[0]
    import_root.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="demo-release-", dir=import_root))
    try:
        for spec in RELEASES:
            release = seed_release(spec, boards=boards, workdir=workdir)
            if release is not None:
                count = Artifact.objects.filter(release=release).count()
                say(f"  release {release.version}: {count} files published")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


@transaction.atomic
def seed_catalogue(say: Callable[[str], None]) -> None:
    for data in BOARDS:
        fields = dict(data)
        fields["description_html"] = render_markdown(fields["description"], trusted=True).html
        Board.objects.update_or_create(slug=fields.pop("slug"), defaults=fields)
    for slug, name, version, homepage, order in DISTRIBUTIONS:
        Distribution.objects.update_or_create(
            slug=slug,
            defaults={"name": name, "version": version, "homepage": homepage, "order": order},
        )
    say(f"  {len(BOARDS)} boards, {len(DISTRIBUTIONS)} distributions")
    if not signing_enabled():
        # The demo releases come signed, so that the embedded default shows .asc files too.
        fingerprint = create_signing_key(
            name="Estuary demo releases (throwaway key)", email="demo@estuary.localhost"
        )
        say(f"  a throwaway signing key {fingerprint} in {settings.GNUPG_HOME}")
    seed_releases(say)


@transaction.atomic
def seed_watchers(say: Callable[[str], None]) -> None:
    """The demo admin watches the D02 board and all releases: the board page shows the
    "Stop watching" state and the next publish notifies them."""
    from django.contrib.auth import get_user_model

    from downloads.services.announcing import releases_watch_target
    from portal.notifications import subscribe

    admin = get_user_model().objects.filter(username="admin").first()
    board = Board.objects.filter(slug="d02").first()
    if admin is None or board is None:
        return
    subscribe(user=admin, target=board)
    subscribe(user=admin, target=releases_watch_target())
    say("  admin watches D02 and all releases")
