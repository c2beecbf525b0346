"""By keyboard on a phone: skip link, the menu button, visible focus; copy buttons that sit
beside what they copy, name it, and stay out of a hand-made selection."""

import hashlib
import io
import subprocess

import pytest
from django.core.management import call_command

from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.django_db(transaction=True)

FOCUS_RING = """() => {
  const el = document.activeElement, style = getComputedStyle(el);
  return {tag: el.tagName.toLowerCase(), text: (el.innerText || '').trim(),
          outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2};
}"""


@pytest.fixture
def demo(live_server, settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "artifacts": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "artifacts"},
        },
    }
    settings.ARTIFACT_IMPORT_DIRS = [str(tmp_path / "incoming")]
    call_command("seed_demo", "--only", "site", "--only", "downloads", stdout=io.StringIO())


def _phone(browser, live_server, **options):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 375, "height": 740}, **options
    )
    context.set_default_timeout(15_000)
    return context, context.new_page()


def test_on_a_phone_the_menu_is_a_button_the_keyboard_opens(browser, live_server, demo):
    context, page = _phone(browser, live_server)
    page.goto("/downloads/")
    nav_link = page.locator(".site-nav a", has_text="Forum")
    assert not nav_link.is_visible()  # folded on a phone

    page.keyboard.press("Tab")
    ring = page.evaluate(FOCUS_RING)
    assert ring["text"] == "Skip to content" and ring["outline"]
    assert page.locator(".skip-link").is_visible()  # shown when focused
    page.keyboard.press("Tab")  # the brand
    page.keyboard.press("Tab")
    ring = page.evaluate(FOCUS_RING)
    assert ring["tag"] == "summary" and ring["text"] == "Menu" and ring["outline"]
    snapshot = page.locator("details.site-menu > summary").aria_snapshot()
    assert "Menu" in snapshot
    assert page.locator("details.site-menu").get_attribute("open") is None  # aria: collapsed
    page.keyboard.press("Enter")
    assert nav_link.is_visible()
    assert page.locator("details.site-menu").get_attribute("open") == ""  # aria: expanded
    screenshot(page, "menu-open-375")
    page.keyboard.press("Tab")
    ring = page.evaluate(FOCUS_RING)
    assert ring["text"] == "Docs" and ring["outline"]
    page.keyboard.press("Enter")
    page.wait_for_url("**/docs/")
    context.close()


def test_the_skip_link_moves_focus_to_the_content(browser, live_server, demo):
    context, page = _phone(browser, live_server)
    page.goto("/downloads/")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.keyboard.press("Tab")
    inside = page.evaluate("document.getElementById('main').contains(document.activeElement)")
    assert inside
    context.close()


def test_without_javascript_the_menu_is_there_on_a_phone(browser, live_server, demo):
    context, page = _phone(browser, live_server, java_script_enabled=False)
    page.goto("/downloads/")
    for name in ("Docs", "Downloads", "Forum", "Sign in", "Sign up"):
        assert page.get_by_role("link", name=name, exact=True).first.is_visible(), name
    assert page.locator("#site-q").is_visible()
    screenshot(page, "menu-no-javascript-375")
    context.close()


def test_copy_buttons_name_what_they_copy_and_stay_out_of_the_way(
    browser, live_server, demo, tmp_path
):
    context, page = _phone(browser, live_server)
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto("/downloads/d02/")
    row = page.locator('tr[data-file="d02/Image"]')
    code = row.locator("code.sha256")
    button = row.get_by_role("button", name="Copy the command that checks Image")
    code_box, button_box = code.bounding_box(), button.bounding_box()
    overlap_x = min(code_box["x"] + code_box["width"], button_box["x"] + button_box["width"]) - max(
        code_box["x"], button_box["x"]
    )
    overlap_y = min(
        code_box["y"] + code_box["height"], button_box["y"] + button_box["height"]
    ) - max(code_box["y"], button_box["y"])
    assert overlap_x <= 0 or overlap_y <= 0, (code_box, button_box)  # never over the code

    # Selecting the whole cell and the check box by hand takes the text, not the buttons.
    for container, text in (
        ('tr[data-file="d02/Image"] td.checksum', "  Image"),
        (".verify-box", "sha256sum -c"),
    ):
        selected = page.evaluate(
            """(selector) => { const range = document.createRange();
                 range.selectNodeContents(document.querySelector(selector));
                 const selection = window.getSelection(); selection.removeAllRanges();
                 selection.addRange(range); return selection.toString(); }""",
            container,
        )
        assert text in selected and "Copy" not in selected, selected

    button.click()
    command = page.evaluate("navigator.clipboard.readText()")
    image = tmp_path / "Image"
    with page.expect_download() as info:
        row.locator("a[data-test=file-link]").click()
    info.value.save_as(image)
    assert hashlib.sha256(image.read_bytes()).hexdigest() in command
    result = subprocess.run(
        ["bash", "-c", command], cwd=tmp_path, capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0 and result.stdout.strip() == "Image: OK"

    # In Chinese the labels are translated too.
    context.add_cookies([{"name": "django_language", "value": "zh-hans", "url": live_server.url}])
    page.goto("/downloads/d02/")
    label = page.locator('tr[data-file="d02/Image"] .copy-button').inner_text()
    assert "Image" in label and "Copy" not in label
    context.close()
