"""[[artifact:...]] links resolve to the right release's file; broken ones are reported."""

import hashlib

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

SOURCE = """\
Kernel: [[artifact:d02/Image]]

Newest kernel: [[artifact:d02/latest/Image]]

Missing: [[artifact:d02/NoSuchFile]]

Not a reference: `[[artifact:d02/Image]]`
"""


def page_html(client, version):
    return client.get(
        reverse("docs_app:page", args=[version, "quick-start", "d02"])
    ).content.decode()


def test_references_resolve_to_the_release_read(client, make_release, make_page):
    make_release("1.0", {"Image": b"kernel one"}, days_ago=30)
    make_release("2.0", {"Image": b"kernel two, larger"})
    page = make_page(source=SOURCE)
    assert page.artifact_refs == ["d02/Image", "d02/latest/Image", "d02/NoSuchFile"]
    one = page_html(client, "1.0")
    assert 'href="/downloads/releases/1.0/d02/Image"' in one
    assert hashlib.sha256(b"kernel one").hexdigest() in one
    assert "10\xa0bytes" in one
    # "latest" always means the newest release, on any version's page.
    assert 'href="/downloads/releases/2.0/d02/Image"' in one
    latest = page_html(client, "latest")
    assert latest.count('href="/downloads/releases/2.0/d02/Image"') == 2
    assert hashlib.sha256(b"kernel two, larger").hexdigest() in latest
    # Code is left alone.
    assert "<code>[[artifact:d02/Image]]</code>" in latest


def test_latest_is_the_boards_latest_release_as_everywhere_else(client, make_release, make_page):
    make_release("2.0", {"Image": b"kernel two"}, days_ago=10)
    # A newer release with no file for the D02 (only a common initramfs): not the D02's latest.
    make_release("3.0", {"initrd.cpio.gz": b"common initramfs"})
    make_page(source="Newest kernel: [[artifact:d02/latest/Image]]")
    html = page_html(client, "latest")
    assert 'href="/downloads/releases/2.0/d02/Image"' in html
    assert "not in this release" not in html
    assert client.get("/downloads/latest/d02/Image")["Location"].endswith("/2.0/d02/Image")


def test_a_broken_reference_is_an_error_for_editors_only(client, make_release, make_page, editor):
    make_release("1.0", {"Image": b"kernel"})
    make_page(source=SOURCE)
    reader_view = page_html(client, "latest")
    assert "NoSuchFile (not in this release)" in reader_view
    assert "artifact-broken" not in reader_view
    client.force_login(editor)
    editor_view = page_html(client, "latest")
    assert '<span class="artifact-broken" role="note">[[artifact:d02/NoSuchFile]]' in editor_view
    assert "no file NoSuchFile for d02 in release 1.0" in editor_view


def test_broken_references_page_lists_them(client, make_release, make_page, editor, section):
    one = make_release("1.0", {"Image": b"kernel", "mini-rootfs.cpio.gz": b"rootfs"}, days_ago=3)
    make_release("2.0", {"Other": b"x"})
    make_page(source=SOURCE)  # latest = 2.0, which has no Image
    make_page(
        slug="old",
        title="Old",
        source=(
            "[[artifact:d02/Image]] [[artifact:common/mini-rootfs.cpio.gz]] [[artifact:nonsense]]"
        ),
        release=one,
    )
    client.force_login(editor)
    response = client.get(reverse("docs_app:broken"))
    assert response.status_code == 200
    html = response.content.decode()
    rows = html.split("<tr>")[2:]
    found = sorted((r.split("<code>")[1].split("</code>")[0]) for r in rows)
    assert found == [
        "[[artifact:d02/Image]]",
        "[[artifact:d02/NoSuchFile]]",
        "[[artifact:d02/latest/Image]]",
        "[[artifact:nonsense]]",
    ]
    assert "not a reference" in html


def test_no_release_at_all_is_reported_not_a_crash(client, make_page, editor):
    make_page(source="[[artifact:d02/Image]]")
    assert "Image (not in this release)" in page_html(client, "latest")
    client.force_login(editor)
    assert "no published release" in page_html(client, "latest")
