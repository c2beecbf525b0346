"""Forms of the release managers' pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from downloads.models import Artifact, Board, Distribution, Release
from downloads.querysets import published_releases

GUESS = ""


class ReleaseForm(forms.Form):
    version = forms.CharField(label=_("Version"), max_length=50, help_text=_("e.g. 5.1 or 5.2-rc1"))
    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    release_date = forms.DateField(
        label=_("Release date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Empty: the day it is published."),
    )
    is_prerelease = forms.BooleanField(label=_("Pre-release"), required=False)
    notes = forms.CharField(
        label=_("Release notes (Markdown)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
    )


class ReleaseEditForm(ReleaseForm):
    version = None


class _AttachForm(forms.Form):
    """Where a new file goes and what it is; the subclasses say where its bytes come from."""

    board = forms.ModelChoiceField(
        label=_("Board"),
        queryset=Board.objects.all(),
        required=False,
        empty_label=_("All boards (common)"),
    )
    distribution = forms.ModelChoiceField(
        label=_("Distribution"),
        queryset=Distribution.objects.all(),
        required=False,
        empty_label=_("None"),
    )
    kind = forms.ChoiceField(
        label=_("Kind"),
        required=False,
        choices=[(GUESS, _("Guess from the file name")), *Artifact.Kind.choices],
    )
    description = forms.CharField(label=_("Description"), max_length=300, required=False)
    field_order = ["file", "path", "board", "distribution", "kind", "description"]


class UploadForm(_AttachForm):
    file = forms.FileField(label=_("File"))


class ServerFileForm(_AttachForm):
    path = forms.CharField(
        label=_("Path on the server"),
        max_length=1000,
        help_text=_("A file in one of the folders files may be taken from."),
    )


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300)
    replaced_by = forms.ModelChoiceField(
        label=_("Replaced by"),
        queryset=Release.objects.none(),
        required=False,
        empty_label=_("No replacement"),
    )

    def __init__(self, *args, release: Release, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["replaced_by"].queryset = published_releases().exclude(pk=release.pk)
