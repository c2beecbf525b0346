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
