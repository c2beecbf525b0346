"""The sections every Estuary docs site has (created by a migration, ensured by the seeder)."""

SECTIONS = [
    ("quick-start", "Quick Start", "快速入门", "From a board in its box to a running system.", 10),
    ("hardware-boards", "Hardware Boards", "硬件单板", "The boards Estuary runs on.", 20),
    ("uefi-and-grub", "UEFI and GRUB", "UEFI 与 GRUB", "Firmware and boot loader.", 30),
    (
        "go-through",
        "Build it yourself",
        "自己构建",
        "Getting, building and deploying it yourself.",
        40,
    ),
    ("benchmarking", "Benchmarking", "性能测试", "Measuring boards and releases.", 50),
    ("open-lab", "Open Lab", "开放实验室", "Remote boards you can use.", 60),
    ("tools", "Tools", "工具", "Tools around the platform.", 70),
    ("release-notes", "Release Notes", "发布说明", "What changed in each release.", 80),
]


# Titles renamed since a site was set up, per slug: changed only where nobody edited them since.
RENAMED = {"go-through": {"title": "Go Through", "title_zh": "完整指南"}}


def ensure_sections(section_model) -> None:
    """Create the sections that are missing; existing ones keep what editors changed."""
    for slug, title, title_zh, description, order in SECTIONS:
        old = RENAMED.get(slug, {})
        if old:
            section_model.objects.filter(slug=slug, title=old["title"]).update(title=title)
            section_model.objects.filter(slug=slug, title_zh=old["title_zh"]).update(
                title_zh=title_zh
            )
        section_model.objects.get_or_create(
            slug=slug,
            defaults={
                "title": title,
                "title_zh": title_zh,
                "description": description,
                "order": order,
            },
        )
