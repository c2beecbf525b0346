"""The forum's forms: they check shape; forum.services decides and may still refuse."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from downloads.models import Board
from forum.models import Flag
from forum.services import TITLE_MAX
from portal.images import PreparedImage, prepare_image


class MultipleImageInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleImageField(forms.FileField):
    widget = MultipleImageInput

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)
        self.widget.attrs["accept"] = "image/png,image/jpeg,image/gif,image/webp"

    def clean(self, data, initial=None) -> list[PreparedImage]:
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        if len(files) > settings.FORUM_MAX_ATTACHMENTS_PER_POST:
            raise ValidationError(
                _("At most %(n)d images per post.") % {"n": settings.FORUM_MAX_ATTACHMENTS_PER_POST}
            )
        return [prepare_image(super(MultipleImageField, self).clean(f, initial)) for f in files]


source_field = forms.CharField(
    label=_("Text"),
    widget=forms.Textarea(attrs={"rows": 10, "data-preview": "1"}),
    help_text=_("Markdown: **bold**, `code`, ```fenced blocks```, > quotes, @username to mention."),
)


class PostForm(forms.Form):
    source = source_field
    images = MultipleImageField(label=_("Images"))


class TopicForm(PostForm):
    title = forms.CharField(label=_("Title"), max_length=TITLE_MAX, min_length=5)
    boards = forms.ModelMultipleChoiceField(
        label=_("Boards"),
        queryset=Board.objects.order_by("order", "name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The boards this topic is about: their pages list it."),
    )
    field_order = ["title", "source", "boards", "images"]


class EditForm(forms.Form):
    source = source_field


class FlagForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("Why?"), choices=Flag.Reason.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(label=_("Note for the moderators"), max_length=500, required=False)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason (logged)"), max_length=500)


class TopicModerationForm(ReasonForm):
    ACTIONS = [
        ("pin", _("Pin")),
        ("unpin", _("Unpin")),
        ("lock", _("Lock")),
        ("unlock", _("Unlock")),
        ("hide_topic", _("Hide")),
        ("unhide_topic", _("Unhide")),
        ("move", _("Move to category")),
        ("split", _("Split replies into a new topic")),
        ("merge", _("Merge into another topic")),
    ]
    action = forms.ChoiceField(label=_("Action"), choices=ACTIONS)
    category = forms.IntegerField(label=_("Category (for move or split)"), required=False)
    numbers = forms.CharField(
        label=_("Post numbers to split off, e.g. 3,4,7"), required=False, max_length=2000
    )
    title = forms.CharField(label=_("New topic's title"), required=False, max_length=TITLE_MAX)
    target = forms.IntegerField(label=_("Merge into topic number"), required=False)

    def clean_numbers(self) -> list[int]:
        raw = self.cleaned_data.get("numbers") or ""
        try:
            return [int(part) for part in raw.replace(" ", "").split(",") if part]
        except ValueError as exc:
            raise ValidationError(_("Give post numbers separated by commas.")) from exc
