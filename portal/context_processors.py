import functools

from django.conf import settings
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language


def site(request):
    """What every page's frame needs; nothing here queries the database."""
    resolved = getattr(request, "resolver_match", None)
    section = resolved.namespace if resolved else ""
    return {
        "SITE_NAME": "Estuary",
        "SITE_URL": settings.SITE_URL.rstrip("/"),
        "DEBUG": settings.DEBUG,
        # Parts of the frame that are the same on every page of a section (a template calls
        # these when it shows them).
        "head_links": lambda: frame_part("portal/_head_links.html"),
        "site_nav": lambda: frame_part("portal/_site_nav.html", section),
        "footer_links": lambda: frame_part("portal/_footer_links.html"),
    }


def frame_part(template: str, section: str = "") -> SafeString:
    """A part of every page's frame that depends on nothing but the language and the section
    (which link is the current one): rendered once per process, not on every page that is
    rendered (its links and words were a third of the frame's cost)."""
    return _frame_part(template, get_language(), section)


@functools.lru_cache(maxsize=128)
def _frame_part(template: str, language: str, section: str) -> SafeString:
    # `language` is in the arguments: it chooses the words.
    rendered = render_to_string(template, {"section": section})
    return mark_safe(rendered.strip())  # noqa: S308  # our own templates  # nosec B308 B703


def notifications(request):
    """The header's unread badge: evaluated only when a page shows it; cached in Redis."""
    from django.utils.functional import SimpleLazyObject

    from portal.notifications import unread_count

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"unread_notifications": 0}
    return {"unread_notifications": SimpleLazyObject(lambda: unread_count(user))}
