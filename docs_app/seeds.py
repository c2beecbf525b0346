"""Demo docs: a D02 quick start, board pages and a build-it-yourself guide, written for this site.

File links use [[artifact:...]] so that they follow the release a reader picks.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction

from docs_app import services
from docs_app.models import Page, Section
from docs_app.sections import ensure_sections
from downloads.models import Board

D02_QUICK_START = """\
This guide takes a D02 from its box to a running Linux system with the files of this release.
It needs a second computer (Linux, on the same network as the board), a serial cable and
about half an hour.

!!! note "Which release?"
    Every link on this page points at the files of the release chosen in the version
    switcher. Switch the version and the links follow.

## What you need

| Item | Why |
|---|---|
| D02 board with its power supply | the machine to bring up |
| USB-to-serial cable (115200 8N1) | to watch the firmware and the kernel boot |
| A Linux host on the same LAN | to serve files over TFTP/NFS, or to prepare a disk |
| A SATA disk (optional) | to boot without the network |

## 1. Download the release's files

Take these files of the release you read about. Each link shows the file's size and its
SHA-256 checksum:

- Kernel: [[artifact:d02/Image]]
- Device tree source: [[artifact:d02/hip05-d02.dts]]
- GRUB configuration: [[artifact:d02/grub.cfg]]
- Ubuntu root file system: [[artifact:d02/ubuntu-16.04-rootfs.tar.gz]]
- Read me first: [[artifact:common/README.txt]]

The UEFI firmware (`UEFI_D02.fd`) and GRUB for arm64 (`grubaa64.efi`) come with the board's
firmware package.

Check what you downloaded before you flash anything:

```bash
sha256sum -c --ignore-missing SHA256SUMS   # SHA256SUMS of the board's folder, same release
dtc -I dts -O dtb -o hip05-d02.dtb hip05-d02.dts
```

Every file must say `OK`; the second line compiles the device tree the kernel needs.

## 2. Flash the UEFI firmware

Connect the serial cable and open a console on the host:

```bash
sudo screen /dev/ttyUSB0 115200
```

Power the board on and press any key when the console asks, to stop in the UEFI menu.
Choose the *Embedded Boot Loader (EBL)* entry, then fetch the firmware from a TFTP server on
your host and write it to the SPI flash:

```text
provision <host-ip> -u <user> -p <password> -f UEFI_D02.fd -a 100000
spiwfmem 100000 0000000 300000
```

!!! warning
    Do not power the board off while `spiwfmem` runs. If the new firmware does not start,
    the board's BMC can put the old one back.

Reset the board (`reset`); the new firmware prints its build date on the console.

## 3. Boot over the network (PXE)

Over PXE the board takes GRUB, the kernel and the root file system from your host.

1. Install a DHCP and a TFTP server on the host (`isc-dhcp-server` and `tftpd-hpa` on Debian).
2. Put `grubaa64.efi`, `Image` and `hip05-d02.dtb` in the TFTP folder, and unpack the root
   file system into `/srv/nfs/estuary` exported over NFS.
3. Tell the DHCP server to hand out GRUB to the board:

```text
host d02 {
  hardware ethernet <board-mac>;
  fixed-address 192.168.1.20;
  filename "grubaa64.efi";
}
```

4. Write `grub.cfg` beside GRUB in the TFTP folder:

```text
set timeout=5
menuentry "Estuary on D02 (PXE)" {
  linux /Image console=ttyS0,115200 earlycon root=/dev/nfs rw \\
        nfsroot=<host-ip>:/srv/nfs/estuary,v3 ip=dhcp
  devicetree /hip05-d02.dtb
}
```

5. In the UEFI boot menu choose the network (PXE) entry of the port you cabled.

The kernel starts and mounts Ubuntu from your host; log in on the console.

## 4. Or boot from a SATA disk

To boot without the network, put the system on a disk:

1. Make a GPT disk with a 200 MB EFI system partition (FAT) and an ext4 partition.
2. Copy `grubaa64.efi` to `EFI/GRUB2/` on the EFI partition, with a `grub.cfg` like the one
   above whose `linux` line says `root=/dev/sda2 rootwait` instead of the NFS root (the
   release's own `grub.cfg` has such an entry).
3. Unpack a distribution's root file system of the same release into the ext4 partition.
4. In the UEFI boot manager add a boot option for `EFI/GRUB2/grubaa64.efi` and start it.

## What next

- The [D02 board page](../../hardware-boards/d02/) lists the board's ports and switches.
- [Build it yourself](../../go-through/build-it-yourself/) makes the same files from source.
"""

BOARD_PAGES = {
    "d02": (
        "D02",
        """\
The D02 is HiSilicon's first ARM64 server development board, built around the Hip05 SoC with
16 Cortex-A57 cores.

| | |
|---|---|
| CPU | 16 × Cortex-A57 at up to 2.1 GHz |
| Memory | up to 64 GB DDR3 in four channels |
| Storage | two SATA 3.0 ports |
| Network | two 10 GbE and two GbE ports |
| Expansion | PCIe 3.0 x8 |
| Console | serial (UART0) at 115200 8N1 |

## Booting

UEFI lives in the SPI flash and starts GRUB from the network (PXE) or from a SATA disk. The
[D02 quick start](../../quick-start/d02/) walks through both.

## Files of this release

- [[artifact:d02/Image]]
- [[artifact:d02/hip05-d02.dts]]
""",
    ),
    "d03": (
        "D03",
        """\
The D03 carries the Hip06 SoC: 16 Cortex-A72 cores and DDR4 memory. It boots UEFI and GRUB
like the D02, with ACPI tables for the kernel.

## Files of this release

- [[artifact:d03/Image]]
- [[artifact:d03/hip06-d03.dts]]
""",
    ),
    "d05": (
        "D05",
        """\
The D05 is a two-socket server with 64 Cortex-A72 cores (Hip07). It boots UEFI with ACPI and is
the reference board for benchmarking.
""",
    ),
    "hikey": (
        "HiKey",
        """\
HiKey is a 96Boards Consumer Edition board with the Kirin 620 (8 Cortex-A53 cores). It is
flashed over USB with `fastboot` and boots UEFI and GRUB from its eMMC.

```bash
sudo fastboot flash fastboot fip.bin
sudo fastboot flash boot boot-fat.uefi.img
```
""",
    ),
}

GO_THROUGH = """\
The quick starts use the files of a release. This guide builds the same files on your own
computer, so that you can change the kernel, the firmware or the distributions.

## Get the sources

Estuary's build is driven by one script and one configuration file per release:

```bash
git clone https://github.com/open-estuary/estuary.git
cd estuary
git checkout <release-tag>
```

## Build

```bash
./estuary/build.sh --file=./estuary/estuarycfg.json --builddir=./workspace
```

The configuration names the boards and the distributions to build. The first build downloads
the toolchain and the distributions' root file systems and takes a while; later builds reuse
them.

## Build only the kernel

```bash
export ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-
make defconfig
make -j"$(nproc)" Image hisilicon/hip05-d02.dtb
```

## Deploy

The results land in `workspace/binary/<board>/`: the same file names as a release's, so every
quick start works with your own build too.
"""


@transaction.atomic
def seed_docs(say: Callable[[str], None]) -> None:
    ensure_sections(Section)
    sections = {s.slug: s for s in Section.objects.all()}
    pages = [
        ("quick-start", "d02", "D02 quick start", D02_QUICK_START, ["d02", "uefi", "pxe", "sata"],
         10),
        ("go-through", "build-it-yourself", "Build it yourself", GO_THROUGH,
         ["build"], 10),
    ]  # fmt: skip
    for order, (slug, (name, text)) in enumerate(BOARD_PAGES.items(), start=1):
        pages.append(("hardware-boards", slug, name, text, [slug], order * 10))
    count = 0
    for section, slug, title, source, tags, order in pages:
        existing = Page.objects.filter(
            section=sections[section], slug=slug, release=None, language=Page.Language.ENGLISH
        ).first()
        services.save_page(
            page=existing,
            section=sections[section],
            slug=slug,
            title=title,
            source=source,
            tags=tags,
            order=order,
            message="Demo content",
        )
        count += 1
    zh = Page.objects.filter(
        section=sections["quick-start"], slug="d02", release=None, language="zh-hans"
    ).first()
    services.save_page(
        page=zh,
        section=sections["quick-start"],
        slug="d02",
        title="D02 快速入门",
        source=D02_QUICK_START_ZH,
        language="zh-hans",
        tags=["d02"],
        order=10,
        message="Demo content",
    )
    # The board's download page links its quick start (downloads knows no docs, so we tell it).
    quick_start = Page.objects.get(
        section=sections["quick-start"], slug="d02", release=None, language="en"
    )
    Board.objects.filter(slug="d02").update(quickstart_url=quick_start.get_absolute_url())
    say(f"  {count + 1} doc pages")


D02_QUICK_START_ZH = """\
本指南带你用本版本的文件，把 D02 单板从开箱带到运行中的 Linux 系统。

## 1. 下载本版本的文件

- 内核：[[artifact:d02/Image]]
- 设备树源文件：[[artifact:d02/hip05-d02.dts]]
- GRUB 配置：[[artifact:d02/grub.cfg]]
- Ubuntu 根文件系统：[[artifact:d02/ubuntu-16.04-rootfs.tar.gz]]

UEFI 固件（`UEFI_D02.fd`）与 GRUB（`grubaa64.efi`）随开发板的固件包提供。

## 2. 烧写 UEFI

通过串口（115200 8N1）进入 UEFI 菜单，选择 EBL，用 `provision` 从 TFTP 取回固件，
再用 `spiwfmem` 写入 SPI Flash。

## 3. 通过 PXE 或 SATA 启动

PXE：在主机上配置 DHCP 与 TFTP，提供 `grubaa64.efi`、内核、设备树和根文件系统。
SATA：在 EFI 分区放入 GRUB，在 ext4 分区解开发行版根文件系统。
"""
