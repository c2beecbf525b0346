"""Doc editors edit with a preview; every save is a revision; history, diff, revert; images."""

import io
import re
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from docs_app import services
from docs_app.models import DocImage, Page, PageRevision

pytestmark = pytest.mark.django_db


def form_data(**overrides):
    data = {
        "section": "",
        "slug": "d02",
        "title": "D02 quick start",
        "release": "",
        "language": "en",
        "parent": "",
        "order": "10",
        "tags": "d02, uefi",
        "source": "# Start\n\nFirst words.",
        "message": "First draft",
    }
    data.update(overrides)
    return data


def test_a_reader_cannot_edit(client, reader, make_page, section):
    page = make_page()
    for name, args in [("create", []), ("edit", [page.pk]), ("history", [page.pk]),
                       ("images", []), ("broken", [])]:  # fmt: skip
        target = reverse(f"docs_app:{name}", args=args)
        assert client.get(target).status_code == 302  # anonymous: to the sign-in page
        client.force_login(reader)
        assert client.get(target).status_code == 403
        client.logout()
    client.force_login(reader)
    post = client.post(reverse("docs_app:edit", args=[page.pk]), form_data(section=section.pk))
    assert post.status_code == 403
    revert = client.post(reverse("docs_app:revert", args=[page.pk, 1]))
    assert revert.status_code == 403
    assert client.post(reverse("docs_app:preview"), {"source": "x"}).status_code == 403
    page.refresh_from_db()
    assert page.source == "Hello." and page.revisions.count() == 1
    assert 'data-test="edit-page"' not in client.get(page.get_absolute_url()).content.decode()


def test_editor_creates_and_edits_with_revisions(client, editor, section):
    client.force_login(editor)
    response = client.post(reverse("docs_app:create"), form_data(section=section.pk))
    page = Page.objects.get()
    assert response.status_code == 302 and response["Location"] == page.get_absolute_url()
    assert page.tags == ["d02", "uefi"] and page.updated_by == editor
    assert 'data-test="edit-page"' in client.get(page.get_absolute_url()).content.decode()
    client.post(
        reverse("docs_app:edit", args=[page.pk]),
        form_data(section=section.pk, source="# Start\n\nBetter words.", message="Clearer"),
    )
    revisions = list(page.revisions.order_by("number"))
    assert [(r.number, r.message, r.author) for r in revisions] == [
        (1, "First draft", editor),
        (2, "Clearer", editor),
    ]
    history = client.get(reverse("docs_app:history", args=[page.pk])).content.decode()
    assert "Clearer" in history and "First draft" in history and "eda" in history
    diff = client.get(reverse("docs_app:diff", args=[page.pk, 2])).content.decode()
    assert '<span class="diff-removed">-First words.</span>' in diff
    assert '<span class="diff-added">+Better words.</span>' in diff


def test_editor_reverts_to_an_older_revision(client, editor, make_page):
    page = make_page(source="Version one.", author=editor, message="one")
    services.save_page(page=page, section=page.section, slug="d02", title="Renamed",
                       source="Version two.", author=editor, message="two")  # fmt: skip
    client.force_login(editor)
    response = client.post(reverse("docs_app:revert", args=[page.pk, 1]))
    assert response.status_code == 302
    page.refresh_from_db()
    assert page.source == "Version one." and page.title == "D02 quick start"
    assert "Version one." in page.html
    latest = page.revisions.first()
    assert latest.number == 3 and latest.message == "Reverted to revision 1"
    assert latest.author == editor
    assert "Version one." in client.get(page.get_absolute_url()).content.decode()


def test_saving_without_change_writes_no_revision(make_page):
    page = make_page()
    again = services.save_page(page=page, section=page.section, slug="d02",
                               title="D02 quick start", source="Hello.")  # fmt: skip
    assert again.updated_at == page.updated_at and page.revisions.count() == 1


def test_bad_input_is_a_form_error_and_writes_nothing(client, editor, section, make_page):
    client.force_login(editor)
    bad_slug = client.post(reverse("docs_app:create"), form_data(section=section.pk, slug="No Way"))
    assert bad_slug.status_code == 200 and "slug" in bad_slug.content.decode().lower()
    make_page()
    clash = client.post(reverse("docs_app:create"), form_data(section=section.pk))
    assert "already exists for this version and language" in clash.content.decode()
    too_long = client.post(
        reverse("docs_app:create"), form_data(section=section.pk, slug="long", source="x" * 200_001)
    )
    assert too_long.status_code == 200 and "at most 200000" in too_long.content.decode()
    assert Page.objects.count() == 1 and PageRevision.objects.count() == 1
    assert client.get(reverse("docs_app:edit", args=[999])).status_code == 404


def test_preview_without_and_with_javascript(client, editor, section, make_release):
    make_release("1.0", {"Image": b"kernel"})
    client.force_login(editor)
    response = client.post(
        reverse("docs_app:create"),
        form_data(section=section.pk, source="**bold** [[artifact:d02/Image]]", preview="1"),
    )
    html = response.content.decode()
    assert "<strong>bold</strong>" in html and "/downloads/releases/1.0/d02/Image" in html
    assert not Page.objects.exists()
    live = client.post(reverse("docs_app:preview"), {"source": "<script>x</script>*hi*"})
    assert live.status_code == 200 and live.content.decode().strip() == "<p><em>hi</em></p>"
    too_long = client.post(reverse("docs_app:preview"), {"source": "x" * 200_001})
    assert too_long.status_code == 400


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (3, 2), "red").save(buffer, "PNG")
    return buffer.getvalue()


def test_editor_uploads_an_image_and_a_non_image_is_refused(client, editor):
    client.force_login(editor)
    upload = SimpleUploadedFile("Board Photo.png", png_bytes(), content_type="image/png")
    response = client.post(reverse("docs_app:images"), {"image": upload, "title": "D02"})
    assert response.status_code == 302
    image = DocImage.objects.get()
    assert (image.width, image.height) == (3, 2) and re.search(
        r"/board-photo(_\w+)?\.png$", image.image.name
    )
    fake = SimpleUploadedFile("evil.png", b"<svg onload=alert(1)>", content_type="image/png")
    refused = client.post(reverse("docs_app:images"), {"image": fake})
    assert refused.status_code == 200 and "not an image" in refused.content.decode()
    assert DocImage.objects.count() == 1


def test_editor_pages_render(client, editor, make_page, django_assert_max_num_queries):
    page = make_page(source="Text [[artifact:d02/Image]]")
    client.force_login(editor)
    edit = client.get(reverse("docs_app:edit", args=[page.pk])).content.decode()
    assert 'data-preview-url="/docs/preview/"' in edit and "Text [[artifact:d02/Image]]" in edit
    assert "js/docs.js" in edit
    new = client.get(reverse("docs_app:create"), {"section": "quick-start"}).content.decode()
    assert '<option value="' in new and "selected>Quick Start</option>" in new
    for name, args in [("history", [page.pk]), ("diff", [page.pk, 1]), ("images", []),
                       ("broken", [])]:  # fmt: skip
        with django_assert_max_num_queries(10):
            assert client.get(reverse(f"docs_app:{name}", args=args)).status_code == 200
    assert client.get(reverse("docs_app:diff", args=[page.pk, 7])).status_code == 404


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims width×height pixels: what a decompression bomb looks like at the door."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\0" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def _gif_header_only(width: int, height: int) -> bytes:
    screen = struct.pack("<HHBBB", width, height, 0, 0, 0)
    frame = b"," + struct.pack("<HHHHB", 0, 0, width, height, 0) + b"\x02\x02\x44\x01\x00"
    return b"GIF89a" + screen + frame + b";"


def _large_png(side: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("1", (side, side)).save(buffer, "PNG")  # 144 megapixels in a few kilobytes
    return buffer.getvalue()


def test_image_bombs_and_payloads_are_refused_or_re_encoded(client, editor):
    client.force_login(editor)
    refused = {
        "bomb.png": _png_header_only(30000, 30000),
        "bomb.gif": _gif_header_only(65535, 65535),
        "huge.png": _large_png(12000),
    }
    for name, data in refused.items():
        upload = SimpleUploadedFile(name, data, content_type="image/png")
        response = client.post(reverse("docs_app:images"), {"image": upload})
        assert response.status_code == 200, name
        assert name in response.content.decode(), name  # the error names the file
    assert DocImage.objects.count() == 0
    payload = png_bytes() + b"<html><script>alert(1)</script></html>"
    upload = SimpleUploadedFile("carrier.png", payload, content_type="image/png")
    assert client.post(reverse("docs_app:images"), {"image": upload}).status_code == 302
    stored = DocImage.objects.get().image.read()
    assert b"<script" not in stored and stored.startswith(b"\x89PNG")
