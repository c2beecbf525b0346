"""Demo data of the catalogue: the real boards and distributions Estuary supports."""

from collections.abc import Callable

from django.db import transaction

from downloads.models import Board, Distribution
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
