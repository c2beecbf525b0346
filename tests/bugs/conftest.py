"""Tracker fixtures: people in each role, a product with components, boards and releases."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from bugs.models import Component, Keyword, Product
from bugs.services import filing
from bugs.workflow import SECURITY, TRIAGERS
from tests.downloads.conftest import boards, incoming, make_release, storage  # noqa: F401


@pytest.fixture(autouse=True)
def attachment_root(settings, tmp_path):
    settings.BUGS_ATTACHMENT_ROOT = tmp_path / "bug-attachments"
    from django.utils.functional import empty

    from bugs.models import attachment_storage

    attachment_storage._wrapped = empty  # the storage is built again on the new root
    return settings.BUGS_ATTACHMENT_ROOT


@pytest.fixture
def make_user(db):
    def make(username: str, *, groups=(), **extra):
        user = get_user_model().objects.create_user(
            username, f"{username}@example.org", "pw-for-tests-1", **extra
        )
        for name in groups:
            user.groups.add(Group.objects.get_or_create(name=name)[0])
        return user

    return make


@pytest.fixture
def reporter(make_user):
    return make_user("rita")


@pytest.fixture
def triager(make_user):
    return make_user("tom", groups=[TRIAGERS])


@pytest.fixture
def assignee(make_user):
    return make_user("alan")


@pytest.fixture
def outsider(make_user):
    return make_user("oscar")


@pytest.fixture
def security_member(make_user):
    return make_user("sam", groups=[SECURITY])


@pytest.fixture
def staff(make_user):
    return make_user("stella", is_staff=True)


@pytest.fixture
def product(db):
    return Product.objects.create(name="Kernel", slug="kernel", description="The kernel.")


@pytest.fixture
def component(product):
    return Component.objects.create(product=product, name="Drivers", slug="drivers")


@pytest.fixture
def other_component(product):
    return Component.objects.create(product=product, name="ACPI", slug="acpi")


@pytest.fixture
def keyword(db):
    return Keyword.objects.create(name="regression")


@pytest.fixture
def file_bug(reporter, component):
    def make(summary: str = "Network drops under load", **extra):
        extra.setdefault("reporter", reporter)
        extra.setdefault("component", component)
        extra.setdefault("description", "Steps:\n\n1. run iperf3\n2. watch it drop")
        return filing.file_bug(summary=summary, **extra)

    return make


@pytest.fixture
def bug(file_bug):
    return file_bug()
