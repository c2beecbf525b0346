from django.conf import settings


def site(request):
    """What every page's frame needs; nothing here queries the database."""
    return {
        "SITE_NAME": "Estuary",
        "SITE_URL": settings.SITE_URL.rstrip("/"),
        "DEBUG": settings.DEBUG,
    }


def notifications(request):
    """The header's unread badge: evaluated only when a page shows it; cached in Redis."""
    from django.utils.functional import SimpleLazyObject

    from portal.notifications import unread_count

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"unread_notifications": 0}
    return {"unread_notifications": SimpleLazyObject(lambda: unread_count(user))}
