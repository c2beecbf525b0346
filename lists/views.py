from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


def index(request: HttpRequest) -> HttpResponse:
    context = {
        "title": _("Mailing lists"),
        "message": _("The archive of the mailing lists appears here once lists are imported."),
    }
    return render(request, "portal/section_empty.html", context)
