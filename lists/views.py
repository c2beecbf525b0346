"""The archive's pages. Reads go through lists.querysets (a private list answers 404 to whoever
may not read it, on every page), writes through lists.services."""

from __future__ import annotations

import datetime
import math
from urllib.parse import quote, urlencode

from django.conf import settings
from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from lists import querysets as q
from lists.caching import SITE, list_generation
from lists.forms import ReplyForm
from lists.jwz import display_tree
from lists.mailboxes import envelope_line, write_mboxrd_gz
from lists.models import Attachment, MailingList, Message, Thread
from lists.rendering import bodies_html, obfuscate
from lists.services.replies import ReplyError, reply_addresses, send_web_reply
from lists.services.watching import is_watching, set_watching
from portal.page_cache import (
    not_kept_for_signed_out,
    reader_form,
    reader_mark,
    shared_with_readers,
)
from portal.search import query_text

THREADS_PER_PAGE = 30
SEARCH_RESULTS = 50
EXPORT_LIMIT = 5000
FRAGMENT_TIMEOUT = 600


def _page_number(request: HttpRequest) -> int:
    try:
        return max(1, int(request.GET.get("page", "1")))
    except ValueError:
        return 1


def _pages(current: int, total: int) -> list[int]:
    around = {1, total, *range(max(1, current - 2), min(total, current + 2) + 1)}
    return sorted(p for p in around if p >= 1)


def _sender(message: Message, request: HttpRequest) -> dict:
    """Who sent it: the name for everyone, the address (obfuscated) for signed-in readers."""
    shown = request.user.is_authenticated
    return {
        "name": message.sender_name or (message.sender_email.split("@")[0] if shown else ""),
        "address": obfuscate(message.sender_email) if shown else "",
    }


@require_safe
def index(request: HttpRequest) -> HttpResponse:
    lists = list(q.visible_lists(request.user))
    # Counts of every list, kept until mail arrives anywhere; each reader sees only theirs.
    key = f"lists:counts:{SITE.current()}"
    counts = cache.get(key)
    if counts is None:
        counts = q.message_counts()
        cache.set(key, counts, timeout=FRAGMENT_TIMEOUT)
    for mailing_list in lists:
        mailing_list.message_total = counts.get(mailing_list.pk, 0)
    return render(request, "lists/index.html", {"lists": lists})


@require_safe
def list_page(request: HttpRequest, list_name: str) -> HttpResponse:
    mailing_list = q.list_for(request.user, list_name)
    page = _page_number(request)
    generation = list_generation(mailing_list.pk)
    # The thread list and the months are kept rendered until mail arrives in this list.
    key = f"lists:listpage:{mailing_list.pk}:{page}:{get_language()}"
    found = cache.get_many([generation.key, key])
    current = found.get(generation.key) or generation.current()
    stored = found.get(key)
    if stored is not None and stored[0] == current:
        body_html = mark_safe(stored[1])  # noqa: S308 - our own rendered template  # nosec B308 B703
    else:
        body_html = render_to_string(
            "lists/_list_body.html",
            {"mailing_list": mailing_list, **_list_body(mailing_list, page)},
            request=request,
        )
        cache.set(key, (current, body_html), timeout=FRAGMENT_TIMEOUT)
    response = render(
        request, "lists/list.html", {"mailing_list": mailing_list, "body_html": body_html}
    )
    return shared_with_readers(response) if _shared(request, mailing_list) else response


def _shared(request: HttpRequest, mailing_list: MailingList) -> bool:
    """A public list's page is the same for every signed-in reader of a kind (portal/page_cache);
    a private one's is rendered for each member: its membership is no group's."""
    return getattr(request, "shared_page", False) and not mailing_list.is_private


def _list_body(mailing_list: MailingList, page: int) -> dict:
    threads_qs = q.list_threads(mailing_list)
    thread_total = threads_qs.count()
    total_pages = max(1, math.ceil(thread_total / THREADS_PER_PAGE))
    if page > total_pages:
        raise Http404(_("No such page."))
    threads = list(threads_qs[(page - 1) * THREADS_PER_PAGE : page * THREADS_PER_PAGE])
    months = q.month_counts(mailing_list)
    years: dict[int, list] = {}
    for row in months:
        years.setdefault(row["month"].year, []).append(row)
    return {
        "threads": threads,
        "thread_total": thread_total,
        "message_total": sum(r["count"] for r in months),
        "years": sorted(years.items(), reverse=True),
        "page": page,
        "total_pages": total_pages,
        "pages": _pages(page, total_pages),
    }


def _month(year: int, month: int) -> tuple[int, int]:
    if not (1 <= month <= 12 and 1970 <= year <= 9999):
        raise Http404(_("No such month."))
    return year, month


@require_safe
def month_page(request: HttpRequest, list_name: str, year: int, month: int) -> HttpResponse:
    mailing_list = q.list_for(request.user, list_name)
    year, month = _month(year, month)
    threads = list(q.month_threads(mailing_list, year, month)[:1000])
    message_count = q.month_messages(mailing_list, year, month).count()
    return render(
        request,
        "lists/month.html",
        {
            "mailing_list": mailing_list,
            "threads": threads,
            "month": datetime.date(year, month, 1),
            "message_count": message_count,
        },
    )


def _reply_links(mailing_list: MailingList, message: Message, request: HttpRequest) -> dict:
    references = [*message.references, message.message_id][-20:]
    subject = (
        message.subject if message.subject.lower().startswith("re:") else (f"Re: {message.subject}")
    )
    params = {
        "subject": subject,
        "In-Reply-To": f"<{message.message_id}>",
        "References": " ".join(f"<{r}>" for r in references),
    }
    mailto = f"mailto:{mailing_list.posting_address}?" + urlencode(params, quote_via=quote)
    send_email = (
        f"git send-email --in-reply-to='<{message.message_id}>' --to={mailing_list.posting_address}"
    )
    if request.user.is_authenticated and message.sender_email:
        send_email += f" --cc={message.sender_email}"
    return {"mailto": mailto, "send_email": send_email}


@require_safe
def thread_page(request: HttpRequest, list_name: str, pk: int) -> HttpResponse:
    mailing_list = q.list_for(request.user, list_name)
    thread = q.thread_for(mailing_list, pk)
    flat = request.GET.get("view") == "flat"
    signed_in = request.user.is_authenticated
    generation = list_generation(mailing_list.pk)
    # The rendered messages are kept under the list's generation: what they show changes only
    # when mail arrives. Signed-in readers (addresses, reply links) get a version of their own.
    key = f"lists:thread:{thread.pk}:{int(flat)}:{int(signed_in)}:{get_language()}"
    found = cache.get_many([generation.key, key])
    current = found.get(generation.key) or generation.current()
    stored = found.get(key)
    if stored is not None and stored[0] == current:
        messages_html = mark_safe(stored[1])  # noqa: S308 - our own rendered template  # nosec B308 B703
    else:
        messages_html = render_to_string(
            "lists/_thread_messages.html",
            {"mailing_list": mailing_list, "entries": _thread_entries(request, thread, flat)},
            request=request,
        )
        cache.set(key, (current, messages_html), timeout=FRAGMENT_TIMEOUT)
    context = {
        "mailing_list": mailing_list,
        "thread": thread,
        "messages_html": messages_html,
        "flat": flat,
    }
    if _shared(request, mailing_list):
        # Kept for every signed-in reader of this kind; each one's watch button filled in.
        context["watch_form"] = reader_mark("watch")
        response = render(request, "lists/thread.html", context)
        return shared_with_readers(response, THREAD_PARTS, mailing_list.name, thread.pk)
    if signed_in:  # a private list's member: the page is theirs, and so is its token
        watching = is_watching(user=request.user, thread=thread)
        form = {"list_name": mailing_list.name, "thread_pk": thread.pk, "watching": watching}
        context["watch_form"] = render_to_string("lists/_watch_thread.html", form, request)
    return render(request, "lists/thread.html", context)


THREAD_PARTS = "lists.views.thread_reader_parts"


def thread_reader_parts(request: HttpRequest, list_name: str, thread_pk: int) -> dict[str, str]:
    """A signed-in reader's own part of a thread page: their watch button (one query)."""
    watching = is_watching(user=request.user, thread=Thread(pk=thread_pk))
    return {
        "watch": reader_form(
            "lists/_watch_thread.html", list_name=list_name, thread_pk=thread_pk, watching=watching
        )
    }


@login_required
@require_POST
def watch_thread(request: HttpRequest, list_name: str, pk: int) -> HttpResponse:
    mailing_list = q.list_for(request.user, list_name)
    thread = q.thread_for(mailing_list, pk)
    action = request.POST.get("action")
    if action not in ("watch", "unwatch"):
        return HttpResponseBadRequest(_("Choose to watch the thread or to stop watching it."))
    set_watching(user=request.user, thread=thread, watching=action == "watch")
    flash.success(
        request,
        _("You will be told of new messages in this thread.")
        if action == "watch"
        else _("You no longer watch this thread."),
    )
    return redirect("lists:thread", mailing_list.name, thread.pk)


def _thread_entries(request: HttpRequest, thread, flat: bool) -> list[dict]:
    messages = q.thread_messages(thread)
    attachments = q.attachments_of([m.pk for m in messages])
    bodies = bodies_html(messages)
    if flat:
        ordered = [(0, m) for m in messages]
    else:
        by_pk = {m.pk: m for m in messages}
        nodes = [(msgid, parent, by_pk.get(pk)) for msgid, parent, pk in q.thread_nodes(thread)]
        ordered = display_tree(nodes)
    return [
        {
            "depth": min(depth, 12),
            "message": message,
            "body": bodies[message.pk],
            "sender": _sender(message, request),
            "attachments": attachments.get(message.pk, []),
        }
        for depth, message in ordered
    ]


@require_safe
def message_page(request: HttpRequest, list_name: str, message_id: str) -> HttpResponse:
    mailing_list = q.list_for(request.user, list_name)
    message = q.message_for(mailing_list, message_id)
    body = bodies_html([message])[message.pk]
    parent = (
        Message.objects.filter(pk=message.parent_id).only("message_id", "subject").first()
        if message.parent_id
        else None
    )
    replies = list(
        Message.objects.filter(parent_id=message.pk)
        .only("message_id", "subject", "sender_name", "date")
        .order_by("date")[:100]
    )
    context = {
        "mailing_list": mailing_list,
        "message": message,
        "body": body,
        "sender": _sender(message, request),
        "attachments": q.attachments_with_text(message),
        "parent": parent,
        "replies": replies,
        "links": _reply_links(mailing_list, message, request),
    }
    if _shared(request, mailing_list):
        # Kept for every signed-in reader of this kind; each one's way to reply filled in.
        context["reply_choice"] = reader_mark("reply")
        response = render(request, "lists/message.html", context)
        return shared_with_readers(response, MESSAGE_PARTS, mailing_list.name, message.message_id)
    context["reply_choice"] = _reply_choice(request, mailing_list.name, message.message_id)
    return render(request, "lists/message.html", context)


MESSAGE_PARTS = "lists.views.message_reader_parts"


def message_reader_parts(request: HttpRequest, list_name: str, message_id: str) -> dict[str, str]:
    """A signed-in reader's own part of a message page: their way to reply (one query)."""
    return {"reply": _reply_choice(request, list_name, message_id)}


def _reply_choice(request: HttpRequest, list_name: str, message_id: str) -> str:
    """From the web for a reader with a verified address; otherwise how to get there."""
    context = {
        "list_name": list_name,
        "message_id": message_id,
        "signed_in": request.user.is_authenticated,
        "may_reply": bool(reply_addresses(request.user)),
        "next": request.get_full_path(),
    }
    return render_to_string("lists/_reply_choice.html", context)


@require_safe
def raw_message(request: HttpRequest, list_name: str, message_id: str) -> HttpResponse:
    mailing_list = q.list_for(request.user, list_name)
    message = q.message_for(mailing_list, message_id, with_raw=True)
    # As it came: no charset is claimed for bytes that may hold any (or several).
    response = HttpResponse(bytes(message.raw), content_type="text/plain")
    response["Content-Disposition"] = "inline"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_safe
def attachment(
    request: HttpRequest, list_name: str, message_id: str, position: int, filename: str = ""
) -> HttpResponse:
    mailing_list = q.list_for(request.user, list_name)
    message = q.message_for(mailing_list, message_id)
    found = Attachment.objects.filter(message=message, position=position).first()
    if found is None:
        raise Http404(_("No such attachment."))
    # Text is shown as text (never as HTML of the sender's making), unless asked for as a
    # download; the rest is always downloaded.
    name = found.filename or f"attachment-{found.position}"
    if found.is_text:
        response = HttpResponse(bytes(found.data), content_type="text/plain; charset=utf-8")
        response["Content-Disposition"] = "inline"
        if "download" in request.GET:
            response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    else:
        response = HttpResponse(bytes(found.data), content_type="application/octet-stream")
        response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def _mbox_response(messages, filename: str) -> StreamingHttpResponse:
    def entries():
        for message in messages.iterator(chunk_size=200):
            envelope = envelope_line(message.sender_email, message.date)
            yield envelope, bytes(message.raw)

    response = StreamingHttpResponse(write_mboxrd_gz(entries()), content_type="application/gzip")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_safe
def thread_mbox(request: HttpRequest, list_name: str, pk: int) -> StreamingHttpResponse:
    mailing_list = q.list_for(request.user, list_name)
    thread = q.thread_for(mailing_list, pk)
    messages = Message.objects.filter(thread=thread).only("sender_email", "date", "raw")
    return _mbox_response(messages.order_by("date", "pk"), f"{list_name}-t{thread.pk}.mbox.gz")


@require_safe
def month_mbox(request: HttpRequest, list_name: str, year: int, month: int):
    mailing_list = q.list_for(request.user, list_name)
    year, month = _month(year, month)
    messages = q.month_messages(mailing_list, year, month).only("sender_email", "date", "raw")
    return _mbox_response(
        messages.order_by("date", "pk"), f"{list_name}-{year:04d}-{month:02d}.mbox.gz"
    )


def _query(request: HttpRequest) -> str:
    return query_text(request, limit=300)


# Free text: endless addresses, each read once; search has its own limits.
@not_kept_for_signed_out
@require_safe
def search(request: HttpRequest, list_name: str) -> HttpResponse:
    mailing_list = q.list_for(request.user, list_name)
    query = _query(request)
    as_threads = request.GET.get("as") == "threads"
    parsed = q.parse_query(query)
    results: list = []
    if query and not parsed.empty:
        if as_threads:
            results = list(
                q.search_threads(request.user, query, mailing_list=mailing_list)[:SEARCH_RESULTS]
            )
        else:
            results = list(
                q.search_messages(request.user, parsed, mailing_list=mailing_list)
                .only("message_id", "subject", "sender_name", "date", "mailing_list_id")
                [:SEARCH_RESULTS]
            )  # fmt: skip
    return render(
        request,
        "lists/search.html",
        {
            "mailing_list": mailing_list,
            "query": query,
            "as_threads": as_threads,
            "results": results,
            "errors": parsed.errors,
        },
    )


@require_safe
def search_mbox(request: HttpRequest, list_name: str):
    mailing_list = q.list_for(request.user, list_name)
    query = _query(request)
    parsed = q.parse_query(query)
    if not query or parsed.empty:
        return HttpResponseBadRequest(_("Give a search to export its results."))
    matching = q.search_messages(request.user, parsed, mailing_list=mailing_list).order_by()
    messages = Message.objects.filter(pk__in=matching.values("pk")[:EXPORT_LIMIT]).only(
        "sender_email", "date", "raw"
    )
    return _mbox_response(messages.order_by("date", "pk"), f"{list_name}-search.mbox.gz")


@login_required
def reply(request: HttpRequest, list_name: str, message_id: str) -> HttpResponse:
    mailing_list = q.list_for(request.user, list_name)
    message = q.message_for(mailing_list, message_id)
    addresses = reply_addresses(request.user)
    if not addresses:
        flash.error(request, _("Verify an e-mail address in your account to reply from here."))
        return redirect(message.get_absolute_url())
    form = ReplyForm(request.POST or None, addresses=addresses, message=message)
    if request.method == "POST" and form.is_valid():
        try:
            send_web_reply(
                user=request.user,
                message=message,
                from_address=form.cleaned_data["from_address"],
                subject=form.cleaned_data["subject"],
                body=form.cleaned_data["body"],
            )
        except ReplyError as exc:
            form.add_error(None, str(exc))
        else:
            flash.success(
                request,
                _("Your reply is on its way to %(address)s; it appears here once the list "
                  "delivers it.") % {"address": mailing_list.posting_address},
            )  # fmt: skip
            return redirect(message.get_absolute_url())
    return render(
        request,
        "lists/reply.html",
        {"mailing_list": mailing_list, "message": message, "form": form},
    )


def site_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path
