"""Panels other sections register for the board and release pages (portal.registry.PagePanel)."""

from collections.abc import Iterator

import pytest
from django.urls import reverse

from portal.caching import Generation
from portal.registry import PagePanel, register_page_panel, registry

pytestmark = pytest.mark.django_db


@pytest.fixture
def panel_template(settings, tmp_path) -> str:
    folder = tmp_path / "templates"
    (folder / "probe").mkdir(parents=True)
    (folder / "probe" / "_panel.html").write_text('<section class="probe">{{ text }}</section>')
    # Changing TEMPLATES resets the template engines (Django's setting_changed receiver).
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], folder]}
    ]
    return "probe/_panel.html"


@pytest.fixture
def panel_texts() -> Iterator[dict[str, str | None]]:
    """A board panel and a release panel whose text each test sets; None hides the panel."""
    texts: dict[str, str | None] = {"board": None, "release": None}
    calls: list[str] = []
    for page in texts:
        register_page_panel(
            PagePanel(
                name="probe",
                page=page,
                template="probe/_panel.html",
                get_context=lambda request, key, page=page: (
                    calls.append(key)
                    or (None if texts[page] is None else {"text": f"{texts[page]} {key}"})
                ),
                cache_version=lambda request, key, page=page: texts.get(f"{page}:version"),
            )
        )
    texts["calls"] = calls  # type: ignore[assignment]
    yield texts
    for page in ("board", "release"):
        registry.page_panels.pop(f"{page}:probe")


def test_a_registered_panel_shows_on_the_board_and_release_pages(
    client, boards, make_release, panel_template, panel_texts
):
    make_release("3.1", {"d02/Image": b"kernel"})
    board = client.get(reverse("downloads:board", args=["d02"])).content.decode()
    assert 'class="probe"' not in board  # None: the panel shows nothing
    panel_texts["board"] = "Open bugs of"
    panel_texts["release"] = "Fixed in"
    board = client.get(reverse("downloads:board", args=["d02"])).content.decode()
    release = client.get(reverse("downloads:release", args=["3.1"])).content.decode()
    assert '<section class="probe">Open bugs of d02</section>' in board
    assert '<section class="probe">Fixed in 3.1</section>' in release


def test_a_panel_with_a_cache_version_is_rendered_once_per_version(
    client, boards, make_release, panel_template, panel_texts
):
    make_release("3.1", {"d02/Image": b"kernel"})
    panel_texts["board"] = "first"
    panel_texts["board:version"] = 1
    url = reverse("downloads:board", args=["d02"])
    client.get(url)
    client.get(url)
    assert panel_texts["calls"] == ["d02"]  # the second request read the kept panel
    panel_texts["board"] = "second"
    assert "first d02" in client.get(url).content.decode()
    panel_texts["board:version"] = 2
    # A version moves with its section's generation, as the bugs' and builds' panels' do: the
    # whole page kept for signed-out readers follows that (portal/page_cache.py).
    Generation("probe").bump()
    assert "second d02" in client.get(url).content.decode()


def test_a_reader_who_must_get_a_panel_fresh_never_gets_the_copy_kept_for_their_kind(
    boards, make_release, panel_template
):
    from django.contrib.auth import get_user_model
    from django.test import Client

    make_release("3.1", {"d02/Image": b"kernel"})
    clients = {}
    for name in ("ada", "bob"):
        clients[name] = Client()
        clients[name].force_login(get_user_model().objects.create_user(name, password="pw-1"))
    # Kept for ada's kind, made for bob alone: his copy of the shared page cannot be filled.
    register_page_panel(
        PagePanel(
            name="own",
            page="board",
            template=panel_template,
            get_context=lambda request, key: {"text": f"for {request.user.username}"},
            cache_version=lambda request, key: None if request.user.username == "bob" else 1,
        )
    )
    url = reverse("downloads:board", args=["d02"])
    try:
        assert "for ada" in clients["ada"].get(url).content.decode()
        bob_page = clients["bob"].get(url)
        assert "for bob" in bob_page.content.decode()
        assert "for ada" not in bob_page.content.decode() and not bob_page.has_header("Age")
    finally:
        registry.page_panels.pop("board:own")
