"""The list's filters, whose URL is the query: the page, the feed, the CSV, the API and saved
searches all read the same parameters."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext_lazy as _

from bugs import querysets as q
from bugs.models import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    Bug,
    Component,
    Priority,
    Product,
    Resolution,
    Severity,
    Status,
)
from downloads.models import Board, Release
from portal.caching import PAGES, kept

OPEN, CLOSED = "open", "closed"
STATUS_CHOICES = [(OPEN, _("open (any)")), (CLOSED, _("closed (any)")), *Status.choices]
SORTS = {
    "id": "id",
    "summary": "summary",
    "status": "status",
    "severity": "severity",
    "priority": "priority",
    "product": "product__name",
    "component": "component__name",
    "board": "board__slug",
    "assignee": "assignee__username",
    "changed": "updated_at",
}


def _row_choices() -> dict[str, list[tuple[str, str, int]]]:
    """The products, components, boards and published releases the filters offer, as (value in
    the address, label, id), kept until a row changes anywhere (PAGES): a list no reader asked
    for yet then asks only for its bugs (these were four queries, and one more per choice)."""

    def build() -> dict[str, list[tuple[str, str, int]]]:
        components = Component.objects.select_related("product")
        releases = Release.objects.filter(status=Release.Status.PUBLISHED)
        return {
            "product": [(p.slug, str(p), p.pk) for p in Product.objects.all()],
            "component": [(str(c.pk), str(c), c.pk) for c in components],
            "board": [(b.slug, str(b), b.pk) for b in Board.objects.all()],
            "release": [(r.version, str(r), r.pk) for r in releases],
        }

    return kept(f"bugs:filter-rows:{PAGES.current()}", build)


class BugFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Text"), method="filter_text", max_length=200)
    # Rows by slug (a component by id, a release by version): their choices are _row_choices.
    product = django_filters.ChoiceFilter(label=_("Product"), method="filter_row")
    component = django_filters.ChoiceFilter(label=_("Component"), method="filter_row")
    board = django_filters.ChoiceFilter(label=_("Board"), method="filter_row")
    release = django_filters.ChoiceFilter(label=_("Release"), method="filter_row")
    status = django_filters.MultipleChoiceFilter(
        label=_("Status"), choices=STATUS_CHOICES, method="filter_status", distinct=False
    )
    resolution = django_filters.ChoiceFilter(
        label=_("Resolution"), choices=[c for c in Resolution.choices if c[0]]
    )
    severity = django_filters.MultipleChoiceFilter(
        label=_("Severity"), choices=Severity.choices, distinct=False
    )
    priority = django_filters.MultipleChoiceFilter(
        label=_("Priority"), choices=Priority.choices, distinct=False
    )
    assignee = django_filters.CharFilter(
        label=_("Assignee"), field_name="assignee__username", max_length=150
    )
    reporter = django_filters.CharFilter(
        label=_("Reporter"), field_name="reporter__username", max_length=150
    )
    keyword = django_filters.CharFilter(label=_("Keyword"), method="filter_keyword", max_length=40)
    sort = django_filters.ChoiceFilter(
        label=_("Sort by"),
        choices=[(k, k) for k in SORTS] + [(f"-{k}", f"-{k}") for k in SORTS],
        method="filter_sort",
    )

    class Meta:
        model = Bug
        fields: list[str] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = _row_choices()
        for name, rows in self.rows.items():  # before the form is made from the filters
            self.filters[name].extra["choices"] = [(value, label) for value, label, _pk in rows]
        for name in ("status", "severity", "priority"):
            self.form.fields[name].widget = forms.SelectMultiple(
                choices=self.form.fields[name].choices, attrs={"size": 4}
            )

    def filter_row(self, queryset: QuerySet[Bug], name: str, value: str) -> QuerySet[Bug]:
        ids = {choice: pk for choice, _label, pk in self.rows[name]}
        return queryset.filter(**{f"{name}_id": ids[value]})

    def filter_text(self, queryset: QuerySet[Bug], name: str, value: str) -> QuerySet[Bug]:
        return q.text_search(queryset, value)

    def filter_status(self, queryset: QuerySet[Bug], name: str, value: list[str]) -> QuerySet[Bug]:
        wanted: set[str] = set()
        for item in value:
            if item == OPEN:
                wanted |= set(OPEN_STATUSES)
            elif item == CLOSED:
                wanted |= set(CLOSED_STATUSES)
            else:
                wanted.add(item)
        return queryset.filter(status__in=wanted) if wanted else queryset

    def filter_keyword(self, queryset: QuerySet[Bug], name: str, value: str) -> QuerySet[Bug]:
        through = Bug.keywords.through
        tagged = through.objects.filter(bug_id=OuterRef("pk"), keyword__name=value.strip().lower())
        return queryset.filter(Exists(tagged))

    def filter_sort(self, queryset: QuerySet[Bug], name: str, value: str) -> QuerySet[Bug]:
        return queryset  # applied by `sorted_bugs`, after every filter


def sorted_bugs(bug_filter: BugFilter) -> QuerySet[Bug]:
    """The filtered bugs in the asked order (newest first by default), rows ready to list."""
    bugs = bug_filter.qs
    sort = bug_filter.form.cleaned_data.get("sort") if bug_filter.is_valid() else ""
    if sort:
        descending = sort.startswith("-")
        field = SORTS[sort.lstrip("-")]
        order = [f"-{field}" if descending else field, "-id"]
    else:
        order = ["-id"]
    return q.for_list(bugs).order_by(*order)


def filtered(data, user) -> tuple[BugFilter, QuerySet[Bug]]:
    """Filters over what `user` may see; invalid parameters show on the form, and list nothing."""
    bug_filter = BugFilter(data, queryset=q.visible_to(user))
    if data and not bug_filter.is_valid():
        return bug_filter, q.visible_to(user).none()
    return bug_filter, sorted_bugs(bug_filter)
