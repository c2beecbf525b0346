"""Forms of the build pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from builds.querysets import draft_releases, enabled_recipes
from downloads.models import Board


class StartBuildsForm(forms.Form):
    release = forms.ModelChoiceField(
        label=_("Release"),
        queryset=draft_releases(),
        to_field_name="version",
        empty_label=None,
        help_text=_("Builds attach their files to a draft release."),
        error_messages={
            "invalid_choice": _("There is no draft release with that version."),
        },
    )
    board = forms.ModelChoiceField(
        label=_("Board"),
        queryset=Board.objects.filter(pk__in=enabled_recipes().values("board_id")).order_by(
            "order", "name"
        ),
        to_field_name="slug",
        required=False,
        empty_label=_("All boards"),
        error_messages={
            "invalid_choice": _("No enabled build recipe exists for that board."),
        },
    )
