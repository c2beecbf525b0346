"""Forms of the lab's pages: they read input; the services decide."""

from __future__ import annotations

import datetime

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from downloads import querysets as catalogue
from downloads.models import Board, Release
from lab.models import LabBoard

LOCAL_INPUT = "%Y-%m-%dT%H:%M"


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format=LOCAL_INPUT, **kwargs)


class UploadRunForm(forms.Form):
    board = forms.ModelChoiceField(label=_("Board"), queryset=Board.objects.none())
    release = forms.ModelChoiceField(label=_("Release"), queryset=Release.objects.none())
    cpu = forms.CharField(label=_("CPU"), max_length=200)
    memory = forms.CharField(label=_("Memory"), max_length=100)
    kernel = forms.CharField(label=_("Kernel"), max_length=200)
    distribution = forms.CharField(label=_("Distribution"), max_length=200)
    compiler = forms.CharField(label=_("Compiler"), max_length=200)
    raw = forms.FileField(label=_("<host>.yaml"))
    score = forms.FileField(label=_("<host>_score.yaml"))
    post = forms.FileField(label=_("<host>_score_post.yaml"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["board"].queryset = catalogue.boards()
        self.fields["release"].queryset = (
            catalogue.visible_releases(user)
            .exclude(status=Release.Status.WITHDRAWN)
            .order_by("-published_at", "-created_at")
        )

    def clean(self):
        cleaned = super().clean()
        limit = settings.LAB_CALIPER_FILE_MAX_BYTES
        for source in ("raw", "score", "post"):
            upload = cleaned.get(source)
            # Read whole to be parsed, so refused before: a result file is kilobytes.
            if upload is not None and upload.size > limit:
                self.add_error(
                    source,
                    _("%(name)s is larger than %(limit)s.")
                    % {"name": upload.name, "limit": filesizeformat(limit)},
                )
        return cleaned

    def files_by_source(self) -> dict[str, tuple[str, bytes]]:
        found = {}
        for source in ("raw", "score", "post"):
            upload = self.cleaned_data[source]
            found[source] = (upload.name, upload.read())
        return found


class BookForm(forms.Form):
    starts_at = forms.DateTimeField(
        label=_("From"), widget=LocalDateTimeInput(), input_formats=[LOCAL_INPUT]
    )
    ends_at = forms.DateTimeField(
        label=_("To"), widget=LocalDateTimeInput(), input_formats=[LOCAL_INPUT]
    )


EXTEND_CHOICES = [
    ("30", _("30 minutes")),
    ("60", _("1 hour")),
    ("120", _("2 hours")),
    ("240", _("4 hours")),
]


class ExtendForm(forms.Form):
    minutes = forms.TypedChoiceField(
        label=_("Extend by"), choices=EXTEND_CHOICES, coerce=int, initial="60"
    )

    def delta(self) -> datetime.timedelta:
        return datetime.timedelta(minutes=self.cleaned_data["minutes"])


class HealthForm(forms.Form):
    health = forms.ChoiceField(label=_("Health"), choices=LabBoard.Health.choices)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)
