import functools

from django.conf import settings
from django.template.defaultfilters import urlencode
from django.template.loader import render_to_string
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from portal.page_cache import fill_marks, own_account_menu, reader_mark


def site(request):
    """What every page's frame needs; nothing here queries the database."""
    resolved = getattr(request, "resolver_match", None)
    section = resolved.namespace if resolved else ""

    def back() -> str:  # the page's address, for a link that comes back to it
        return escape(urlencode(request.get_full_path()))

    return {
        "SITE_NAME": "Estuary",
        "SITE_URL": settings.SITE_URL.rstrip("/"),
        "DEBUG": settings.DEBUG,
        # Parts of the frame that are the same on every page of a section but for what is
        # filled in (a template calls these when it shows them).
        "head_links": lambda: frame_part("portal/_head_links.html"),
        "site_nav": lambda: frame_part("portal/_site_nav.html", section),
        "site_search": lambda: frame_part(
            "portal/_site_search.html", q=escape(request.GET.get("q", ""))
        ),
        "sign_in_links": lambda: frame_part("portal/_sign_in.html", next=back()),
        "site_footer": lambda: frame_part("portal/_site_footer.html", next=back()),
        "account_menu": lambda: mark_safe(own_account_menu(request)),  # noqa: S308  # nosec B308 B703
    }


def frame_part(template: str, section: str = "", **values: str) -> SafeString:
    """A part of every page's frame that depends on nothing but the language and the section
    (which link is the current one): rendered once per process, not on every page that is
    rendered (its links and words were most of the frame's cost). What differs from page to
    page, `values` (HTML, escaped already), fills the marks the template leaves as
    {{ fill.<name> }}: the words in the search box, the address to come back to."""
    rendered = _frame_part(template, get_language(), section, tuple(sorted(values)))
    if not values:
        return rendered
    filled = fill_marks(rendered, {_fill_mark(name): value for name, value in values.items()})
    return mark_safe(filled)  # noqa: S308  # our template, escaped values  # nosec B308 B703


def _fill_mark(name: str) -> str:
    return f"fill-{name}"


@functools.lru_cache(maxsize=128)
def _frame_part(template: str, language: str, section: str, names: tuple = ()) -> SafeString:
    # `language` is in the arguments: it chooses the words.
    fill = {name: reader_mark(_fill_mark(name)) for name in names}
    rendered = render_to_string(template, {"section": section, "fill": fill})
    return mark_safe(rendered.strip())  # noqa: S308  # our own templates  # nosec B308 B703


def notifications(request):
    """The header's unread badge: evaluated only when a page shows it; cached in Redis."""
    from django.utils.functional import SimpleLazyObject

    from portal.notifications import unread_count

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"unread_notifications": 0}
    return {"unread_notifications": SimpleLazyObject(lambda: unread_count(user))}
