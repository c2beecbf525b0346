"""Demo build recipes: real scripts (downloads/recipes/*.sh) for the demo boards."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from django.db import transaction

from builds.models import BuildRecipe
from downloads.models import Board, Distribution

RECIPES_DIR = Path(__file__).resolve().parent / "recipes"

BOOT_FILES = {
    "name": "boot-files",
    "script": "board-boot.sh",
    "description": "GRUB configuration, UEFI boot script, device tree, mini rootfs, manifest.",
    "output_patterns": [
        {"pattern": "grub.cfg", "kind": "bootloader"},
        {"pattern": "startup-*.nsh", "kind": "bootloader"},
        {"pattern": "*.dtb", "kind": "dtb", "optional": True},
        {"pattern": "rootfs-*.tar.gz", "kind": "initramfs"},
        {"pattern": "MANIFEST-*.txt", "kind": "other"},
    ],
    "tools": ["tar", "gzip", {"command": "sha256sum", "package": "coreutils"}],
    "timeout_seconds": 300,
    "enabled": True,
}

# What the QEMU recipe runs that a worker may lack (`make test-tools` installs them).
QEMU_TOOLS = [
    {"command": "apt-get", "package": "apt"},
    {"command": "dpkg-deb", "package": "dpkg"},
    "cpio",
    "gzip",
    {"command": "flock", "package": "util-linux"},
    {"command": "sha256sum", "package": "coreutils"},
]

RECIPES = {
    "d02": [BOOT_FILES],
    "d03": [BOOT_FILES],
    "d05": [BOOT_FILES],
    "hikey": [BOOT_FILES],
    "qemu": [
        {
            "name": "kernel-initramfs",
            "script": "qemu-kernel-initramfs.sh",
            "description": "Debian's arm64 kernel and a busybox initramfs, boot-tested in "
            "QEMU after each build (needs a Debian mirror).",
            "output_patterns": [
                {"pattern": "vmlinuz", "kind": "kernel"},
                {"pattern": "initramfs.cpio.gz", "kind": "initramfs"},
                {"pattern": "kernel.config", "kind": "other"},
                {"pattern": "boot-qemu.sh", "kind": "other"},
                {"pattern": "SHA256SUMS-qemu.txt", "kind": "other"},
            ],
            "tools": QEMU_TOOLS,
            "boot_test": True,
            "timeout_seconds": 1800,
            "enabled": True,
        },
        {
            "name": "debian-rootfs",
            "script": "debian-rootfs-debootstrap.sh",
            "distribution": "debian",
            "description": "Optional: a full arm64 Debian rootfs with debootstrap --foreign "
            "(needs debootstrap and BUILD_DEBIAN_MIRROR).",
            "output_patterns": [{"pattern": "debian-*-arm64-rootfs.tar.xz", "kind": "rootfs"}],
            "tools": ["debootstrap", {"command": "xz", "package": "xz-utils"}],
            "timeout_seconds": 3600,
            "enabled": False,
        },
    ],
}


@transaction.atomic
def seed_recipes(say: Callable[[str], None]) -> None:
    """Create the demo recipes, refreshing their scripts; `enabled` is left as an admin set it."""
    count = 0
    for slug, recipes in RECIPES.items():
        board = Board.objects.filter(slug=slug).first()
        if board is None:
            continue
        for spec in recipes:
            fields = dict(spec)
            distribution = fields.pop("distribution", None)
            enabled = fields.pop("enabled")
            fields["script"] = (RECIPES_DIR / fields["script"]).read_text()
            fields["distribution"] = (
                Distribution.objects.filter(slug=distribution).first() if distribution else None
            )
            _recipe, created = BuildRecipe.objects.update_or_create(
                board=board, name=fields.pop("name"), defaults=fields
            )
            if created:
                BuildRecipe.objects.filter(pk=_recipe.pk).update(enabled=enabled)
            count += 1
    say(f"  {count} build recipes")
