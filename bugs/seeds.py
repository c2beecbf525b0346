"""Demo data of the tracker: products and components that fit Estuary and a handful of bugs
in several states, filed and moved through the services so that each has its history."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from bugs.models import Bug, Component, Keyword, Product, Resolution
from bugs.services import filing, triage
from bugs.workflow import SECURITY, TRIAGERS
from downloads.models import Board, Release

PRODUCTS = [
    ("uefi", "UEFI", "The UEFI firmware of the boards (edk2 and the platform code).", [
        ("boot", "Boot", "Reaching GRUB: boot manager, boot order, NVRAM variables."),
        ("drivers", "Drivers", "PCIe, network, SATA and console drivers in the firmware."),
    ]),
    ("grub", "GRUB", "The boot loader and its configuration.", [
        ("config", "Configuration", "grub.cfg, menu entries and kernel command lines."),
    ]),
    ("kernel", "Kernel", "The Estuary Linux kernel and its board support.", [
        ("drivers", "Drivers", "Device drivers: network, storage, USB, PCIe."),
        ("device-tree", "Device tree", "The .dts files of each board."),
        ("acpi", "ACPI", "ACPI tables and their use by the kernel."),
    ]),
    ("distributions", "Distributions", "The root filesystems: Ubuntu, Debian, CentOS, Fedora…", [
        ("ubuntu", "Ubuntu", "The Ubuntu root filesystem and its packages."),
        ("centos", "CentOS", "The CentOS root filesystem and its packages."),
        ("debian", "Debian", "The Debian root filesystem and its packages."),
    ]),
    ("build-system", "Build system", "build.sh, the recipes and the release images.", [
        ("scripts", "Scripts", "build.sh and the helper scripts."),
        ("images", "Images", "Layout and contents of the release images."),
    ]),
    ("portal", "Portal", "This web site: docs, downloads, forum, lists and this tracker.", [
        ("website", "Web site", "Pages, search and accounts."),
        ("docs", "Docs", "The guides: mistakes, gaps, steps that no longer work."),
    ]),
]  # fmt: skip

KEYWORDS = [
    ("regression", "Worked in an earlier release."),
    ("crash", "A panic, an oops or a hang."),
    ("patch", "A patch is attached."),
    ("documentation", "The docs need a change."),
]

PEOPLE = [("lin", "Lin Wei"), ("marta", "Marta Kowalska"), ("joao", "João Pereira")]
TRIAGER = "marta"

# (reporter, product, component, board, severity, summary, description, steps)
# steps: ("status"|"comment"|"assign"|"fixed", actor, value...)
BUGS = [
    ("lin", "uefi", "boot", "d05", "critical",
     "D05 stops at 'Synchronous Exception' after a UEFI update",
     "After flashing the latest UEFI the board prints\n\n```\nSynchronous Exception at "
     "0x000000003FB3A2C4\n```\n\nand never reaches GRUB.",
     [("assign", "marta", "joao"), ("status", "marta", "CONFIRMED"),
      ("comment", "joao", "Reproduced: stale NVRAM variables from the previous firmware."),
      ("status", "joao", "IN_PROGRESS")]),
    ("joao", "kernel", "drivers", "d03", "major",
     "hns network interface drops link under load on D03",
     "With `iperf3 -P 8` the `eth0` link goes down after a minute; `dmesg` shows "
     "`hns: link down`.",
     [("assign", "marta", "lin"), ("status", "marta", "CONFIRMED"),
      ("status", "lin", "RESOLVED", "FIXED")]),
    ("marta", "grub", "config", None, "minor",
     "grub.cfg misses the console=ttyAMA0 option for QEMU",
     "The QEMU image boots without a serial console unless `console=ttyAMA0` is added.",
     [("comment", "lin", "Same here with the latest release.")]),
    ("lin", "distributions", "ubuntu", "hikey", "normal",
     "Ubuntu root filesystem lacks the HiKey Wi-Fi firmware",
     "`wlan0` does not appear on HiKey: `wl18xx` firmware files are missing.",
     [("status", "marta", "RESOLVED", "WORKSFORME"),
      ("comment", "marta", "The firmware is in the `linux-firmware` package now.")]),
    ("joao", "build-system", "scripts", None, "enhancement",
     "build.sh should resume an interrupted download",
     "A dropped connection during `build.sh` starts the whole download again.",
     [("assign", "marta", "joao"), ("status", "marta", "CONFIRMED")]),
    ("joao", "distributions", "debian", None, "normal",
     "No serial console when booting the QEMU image",
     "Booting the QEMU image with `-nographic` shows nothing after GRUB.",
     [("status", "marta", "RESOLVED", "DUPLICATE", 2)]),
]  # fmt: skip


@transaction.atomic
def seed_bugs(say: Callable[[str], None]) -> None:
    for group in (TRIAGERS, SECURITY):
        Group.objects.get_or_create(name=group)
    user_model = get_user_model()
    people = {}
    for username, _name in PEOPLE:
        person, created = user_model.objects.get_or_create(
            username=username, defaults={"email": f"{username}@estuary.localhost"}
        )
        if created:
            person.set_unusable_password()
            person.save()
        people[username] = person
    people[TRIAGER].groups.add(Group.objects.get(name=TRIAGERS))
    components: dict[tuple[str, str], Component] = {}
    for order, (slug, name, description, parts) in enumerate(PRODUCTS):
        product, _created = Product.objects.update_or_create(
            slug=slug, defaults={"name": name, "description": description, "order": order}
        )
        for c_slug, c_name, c_description in parts:
            components[(slug, c_slug)], _created = Component.objects.update_or_create(
                product=product,
                slug=c_slug,
                defaults={"name": c_name, "description": c_description},
            )
    for name, description in KEYWORDS:
        Keyword.objects.update_or_create(name=name, defaults={"description": description})
    if Bug.objects.exists():
        say("bugs: products and components up to date; bugs already there")
        return
    release = (
        Release.objects.filter(status=Release.Status.PUBLISHED).order_by("-published_at").first()
    )
    filed: list[Bug] = []
    for reporter, product, component, board, severity, summary, description, steps in BUGS:
        bug = filing.file_bug(
            reporter=people[reporter],
            component=components[(product, component)],
            summary=summary,
            description=description,
            board=Board.objects.filter(slug=board).first() if board else None,
            release=release,
            severity=severity,
        )
        filed.append(bug)
        for step in steps:
            kind, actor = step[0], people[step[1]]
            if kind == "assign":
                triage.update_bug(actor=actor, bug=bug, values={"assignee": people[step[2]]})
            elif kind == "comment":
                filing.add_comment(bug=bug, author=actor, body=step[2])
            elif kind == "status":
                resolution = step[3] if len(step) > 3 else ""
                original = filed[step[4]] if resolution == Resolution.DUPLICATE else None
                fixed_in = release if resolution == Resolution.FIXED else None
                bug = triage.change_status(
                    actor=actor,
                    bug=bug,
                    status=step[2],
                    resolution=resolution,
                    duplicate_of=original,
                    fixed_in=fixed_in,
                )
    triage.add_dependency(actor=people[TRIAGER], bug=filed[0], depends_on=filed[4])
    say(f"bugs: {len(PRODUCTS)} products, {len(filed)} bugs")
