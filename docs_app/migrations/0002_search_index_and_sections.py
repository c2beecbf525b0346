"""The GIN index of the search vector (PostgreSQL only) and the sections every site has."""

from django.db import migrations

SECTIONS = [
    ("quick-start", "Quick Start", "快速入门", "From a board in its box to a running system.", 10),
    ("hardware-boards", "Hardware Boards", "硬件单板", "The boards Estuary runs on.", 20),
    ("uefi-and-grub", "UEFI and GRUB", "UEFI 与 GRUB", "Firmware and boot loader.", 30),
    ("go-through", "Go Through", "完整指南", "Getting, building and deploying it yourself.", 40),
    ("benchmarking", "Benchmarking", "性能测试", "Measuring boards and releases.", 50),
    ("open-lab", "Open Lab", "开放实验室", "Remote boards you can use.", 60),
    ("tools", "Tools", "工具", "Tools around the platform.", 70),
    ("release-notes", "Release Notes", "发布说明", "What changed in each release.", 80),
]


def add_sections(apps, schema_editor):
    Section = apps.get_model("docs_app", "Section")
    for slug, title, title_zh, description, order in SECTIONS:
        Section.objects.get_or_create(
            slug=slug,
            defaults={
                "title": title,
                "title_zh": title_zh,
                "description": description,
                "order": order,
            },
        )


def create_gin_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS docs_page_search_gin "
            "ON docs_app_page USING gin (search_vector)"
        )


def drop_gin_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS docs_page_search_gin")


class Migration(migrations.Migration):
    dependencies = [("docs_app", "0001_initial")]

    operations = [
        migrations.RunPython(create_gin_index, drop_gin_index),
        migrations.RunPython(add_sections, migrations.RunPython.noop),
    ]
