from django.conf import settings


def site(request):
    """What every page's frame needs; nothing here queries the database."""
    return {
        "SITE_NAME": "Estuary",
        "DEBUG": settings.DEBUG,
    }
