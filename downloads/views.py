from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from downloads.querysets import boards


def index(request: HttpRequest) -> HttpResponse:
    return render(request, "downloads/index.html", {"boards": list(boards())})


def board(request: HttpRequest, slug: str) -> HttpResponse:
    board_obj = get_object_or_404(boards(), slug=slug)
    return render(request, "downloads/board.html", {"board": board_obj})
