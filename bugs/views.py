from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


def index(request: HttpRequest) -> HttpResponse:
    context = {
        "title": _("Bugs"),
        "message": _("The bug tracker appears here once its products are set up."),
    }
    return render(request, "portal/section_empty.html", context)
