"""import_hexo: every post of the original site imports; bad posts are named, others go in."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from docs_app.models import Page, PageRevision
from tests.docs_app.conftest import HEXO_SITE

pytestmark = pytest.mark.django_db

POSTS = sorted(p.name for p in HEXO_SITE.glob("*.md"))


def run(*args, **options) -> str:
    out, err = StringIO(), StringIO()
    try:
        call_command("import_hexo", *args, stdout=out, stderr=err, **options)
    finally:
        run.err = err.getvalue()
    return out.getvalue()


def test_every_shared_post_imports():
    assert len(POSTS) >= 6, f"no posts in {HEXO_SITE} (set TESTDATA_DIR)"
    output = run(str(HEXO_SITE))
    assert f"{len(POSTS)} created, 0 updated, 0 unchanged, 0 failed" in output
    assert Page.objects.count() == len(POSTS)
    quick = Page.objects.get(slug="quick-start")
    assert quick.title == "Estuary QuickStart Guide"
    assert quick.section.slug == "quick-start"
    assert quick.tags == ["Quick Start"]
    assert quick.updated_at.year == 2015 and quick.updated_at.month == 8
    assert Page.objects.get(slug="uefi-and-grub").section.slug == "uefi-and-grub"
    assert Page.objects.get(slug="go-through").section.slug == "go-through"
    for page in Page.objects.all():
        assert page.html and page.text
        assert page.revisions.count() == 1


def test_rerun_updates_and_never_duplicates():
    run(str(HEXO_SITE))
    output = run(str(HEXO_SITE))
    assert f"0 created, 0 updated, {len(POSTS)} unchanged" in output
    assert Page.objects.count() == len(POSTS)
    assert PageRevision.objects.count() == len(POSTS)


def test_links_between_posts_are_rewritten_and_raw_html_sanitized():
    run(str(HEXO_SITE))
    go = Page.objects.get(slug="go-through")
    # <a href="/tags/UEFI-and-Grub/"> pointed at another post of the old site.
    assert 'href="/docs/latest/uefi-and-grub/uefi-and-grub/"' in go.html
    assert "/tags/UEFI-and-Grub/" not in go.html
    # A tag page that no post became is sent to the docs search instead.
    assert 'href="/docs/search/?q=Hardware%20Boards"' in go.html
    # Headings written as ##<span id="x">Title</span> keep their anchors.
    assert 'id="preparation"' in go.html and 'href="#preparation"' in go.html
    overview = Page.objects.get(slug="overview-introduction")
    assert "<img" in overview.html and "style=" not in overview.html


def test_front_matter_with_opening_dashes_and_a_tag_list(tmp_path):
    (tmp_path / "Boards.md").write_text(
        "---\ntitle: Hardware Boards\ndate: 2016-01-02\ntags:\n- D02\n- D03\n---\n# Boards\n"
    )
    run(str(tmp_path), section="hardware-boards")
    page = Page.objects.get(slug="boards")
    assert page.tags == ["D02", "D03"] and page.section.slug == "hardware-boards"


def test_a_broken_post_is_named_with_its_line_and_the_others_import(tmp_path):
    (tmp_path / "Good.md").write_text("title: Good\ndate: 2015-08-10 10:00:00\n---\nFine.\n")
    (tmp_path / "Bad-Date.md").write_text("title: Bad\ndate: yesterday\n---\nText\n")
    (tmp_path / "No-End.md").write_text("title: Open\ntags: x\nNo closing line\n")
    (tmp_path / "Latin1.md").write_bytes(b"title: Caf\xe9\n---\nText\n")
    with pytest.raises(CommandError, match="3 post"):
        run(str(tmp_path))
    assert "Bad-Date.md:2: date 'yesterday' is not a date" in run.err
    assert "No-End.md:3: front matter line is not 'key: value'" in run.err
    assert "Latin1.md:1: not UTF-8 text" in run.err
    assert list(Page.objects.values_list("slug", flat=True)) == ["good"]


def test_unknown_section_or_release_is_a_command_error(tmp_path):
    with pytest.raises(CommandError, match="No section 'nope'"):
        run(str(HEXO_SITE), section="nope")
    with pytest.raises(CommandError, match=r"No release '9\.9'"):
        run(str(HEXO_SITE), version="9.9")
    with pytest.raises(CommandError, match="not a folder"):
        run(str(tmp_path / "missing"))
    assert not Page.objects.exists()


def test_import_into_a_release(make_release):
    make_release("2.2", {"Image": b"kernel"})
    run(str(HEXO_SITE), version="2.2")
    assert Page.objects.filter(release__version="2.2").count() == len(POSTS)
    go = Page.objects.get(slug="go-through")
    assert 'href="/docs/2.2/uefi-and-grub/uefi-and-grub/"' in go.html


def test_a_post_linked_from_outside_the_folder_is_not_read(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    secret = tmp_path / "private" / "Secret.md"
    secret.parent.mkdir()
    secret.write_text("title: Secret\ndate: 2015-08-10 10:00:00\n---\nA private note.\n")
    (site / "Good.md").write_text("title: Good\ndate: 2015-08-10 10:00:00\n---\nFine.\n")
    (site / "Secret.md").symlink_to(secret)
    with pytest.raises(CommandError, match="1 post"):
        run(str(site))
    assert "Secret.md:0: a link to outside" in run.err
    assert list(Page.objects.values_list("slug", flat=True)) == ["good"]
