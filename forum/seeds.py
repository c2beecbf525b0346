"""Demo data of the forum: categories and a few conversations people have about the boards."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from forum.indexing import index_topics
from forum.markup import render_post
from forum.models import Access, Category, Post, Topic
from forum.services import index_post, recount_categories, renumber_topic
from portal.models import Profile
from portal.services import ensure_profile

CATEGORIES = [
    # slug, name, description, parent slug, read access, post access
    ("announcements", "Announcements", "Releases, events and news from the Estuary team.",
     None, Access.EVERYONE, Access.GROUP),
    ("getting-started", "Getting Started", "First boot, flashing images, where to begin.",
     None, Access.EVERYONE, Access.MEMBERS),
    ("boards", "Boards", "One place per board: bring-up, firmware, quirks.",
     None, Access.EVERYONE, Access.MEMBERS),
    ("d02", "D02", "The HiSilicon Hip05 development board.", "boards", Access.EVERYONE, Access.MEMBERS),  # noqa: E501
    ("d03", "D03", "The Hip06 server board.", "boards", Access.EVERYONE, Access.MEMBERS),
    ("d05", "D05", "The Hip07 dual-socket server.", "boards", Access.EVERYONE, Access.MEMBERS),
    ("hikey", "HiKey", "The 96Boards HiKey (Kirin 620).", "boards", Access.EVERYONE, Access.MEMBERS),  # noqa: E501
    ("kernel-firmware", "Kernel & Firmware", "UEFI, GRUB, ACPI and device tree, the kernel.",
     None, Access.EVERYONE, Access.MEMBERS),
    ("distributions", "Distributions", "Ubuntu, Debian, CentOS, Fedora, openSUSE, OpenEmbedded.",
     None, Access.EVERYONE, Access.MEMBERS),
    ("open-lab", "Open Lab", "Remote access to boards in the open lab: booking and results.",
     None, Access.MEMBERS, Access.MEMBERS),
    ("moderators", "Moderators", "Where the moderators talk about the forum itself.",
     None, Access.GROUP, Access.GROUP),
]  # fmt: skip

PEOPLE = [("lin", "Lin Wei"), ("marta", "Marta Kowalska"), ("joao", "João Pereira")]

CONVERSATIONS = [
    ("d05", "lin", "D05 stops at 'Synchronous Exception' after a UEFI update", [
        ("lin", "After flashing the latest UEFI on my D05 it prints\n\n```\nSynchronous Exception at 0x000000003FB3A2C4\n```\n\nand never reaches GRUB. The BMC still answers. Has anyone seen this?"),  # noqa: E501
        ("marta", "Yes, once. The NVRAM variables from the old firmware confused it. From the BMC serial console, hold **F9** at power-on to reset the variables to defaults, then boot again."),  # noqa: E501
        ("lin", "That was it: back in GRUB after resetting the variables. Thanks @marta!"),
    ], 2),
    ("hikey", "joao", "Which fastboot images go on which HiKey partition?", [
        ("joao", "The release has `ptable-linux-8g.img`, `boot-fat.uefi.img` and a rootfs. Which one goes where with `fastboot flash`?"),  # noqa: E501
        ("lin", "In order:\n\n```sh\nfastboot flash ptable ptable-linux-8g.img\nfastboot flash fastboot fip.bin\nfastboot flash boot boot-fat.uefi.img\nfastboot flash system rootfs.img\n```\n\nUse the 4g table on the 4 GB eMMC model."),  # noqa: E501
    ], 1),
    ("kernel-firmware", "marta", "ACPI or device tree on D03?", [
        ("marta", "The D03 firmware can hand over either ACPI tables or a device tree. Which one do people run in production, and does the Estuary kernel care?"),  # noqa: E501
        ("joao", "ACPI for distributions that expect server-style boot (CentOS, openSUSE); device tree is handy when you hack on drivers. The Estuary kernel handles both."),  # noqa: E501
    ], None),
    ("getting-started", "joao", "Running the Estuary images in QEMU first", [
        ("joao", "If you have no board yet, `qemu-system-aarch64 -M virt -cpu cortex-a57 -m 2048` with the QEMU image from Downloads boots to a login prompt in about a minute."),  # noqa: E501
    ], None),
]  # fmt: skip


@transaction.atomic
def seed_forum(say: Callable[[str], None]) -> None:
    moderators, _created = Group.objects.get_or_create(name="moderators")
    by_slug: dict[str, Category] = {}
    for position, (slug, name, description, parent, read, post) in enumerate(CATEGORIES):
        category, _created = Category.objects.update_or_create(
            slug=slug,
            defaults={
                "name": name,
                "description": description,
                "parent": by_slug.get(parent) if parent else None,
                "position": position,
                "read_access": read,
                "read_group": moderators if read == Access.GROUP else None,
                "post_access": post,
                "post_group": moderators if post == Access.GROUP else None,
            },
        )
        by_slug[slug] = category
    user_model = get_user_model()
    people = {}
    for username, display_name in PEOPLE:
        person, created = user_model.objects.get_or_create(
            username=username, defaults={"email": f"{username}@estuary.localhost"}
        )
        if created:
            person.set_unusable_password()
            person.save()
        EmailAddress.objects.update_or_create(
            user=person, email=person.email, defaults={"verified": True, "primary": True}
        )
        profile = ensure_profile(user=person)
        Profile.objects.filter(pk=profile.pk).update(
            display_name=display_name, trust_level=Profile.TrustLevel.MEMBER
        )
        people[username] = person
    start = timezone.now() - timedelta(days=len(CONVERSATIONS) + 1)
    made = 0
    for index, (slug, author, title, posts, answer) in enumerate(CONVERSATIONS):
        if Topic.objects.filter(title=title).exists():
            continue
        when = start + timedelta(days=index)
        topic = Topic.objects.create(
            category=by_slug[slug], title=title, author=people[author], created_at=when
        )
        for number, (poster, text) in enumerate(posts, start=1):
            rendered = render_post(text)
            post = Post.objects.create(
                topic=topic,
                number=number,
                author=people[poster],
                source=text,
                html=rendered.html,
                created_at=when + timedelta(hours=number),
            )
            index_post(post, title=title, text=rendered.text)
        renumber_topic(topic.pk)
        index_topics([topic.pk])
        if answer:
            topic.answer = Post.objects.get(topic=topic, number=answer + 1)
            topic.save(update_fields=["answer"])
        made += 1
    recount_categories(c.pk for c in by_slug.values())
    say(f"Forum: {len(by_slug)} categories, {made} new topics.")
