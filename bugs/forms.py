from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from bugs import querysets as q
from bugs.models import Bug, Component, Keyword, Priority, Resolution, Severity, Status
from bugs.workflow import allowed_moves, editable_fields
from downloads.models import Board, Release

User = get_user_model()


class ComponentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Component) -> str:
        return obj.name


def _grouped_components() -> list:
    groups: dict[str, list] = {}
    for component in q.components():
        groups.setdefault(component.product.name, []).append((component.pk, component.name))
    return [("", _("Choose a component")), *groups.items()]


def published_releases():
    return Release.objects.filter(status=Release.Status.PUBLISHED).order_by("-published_at", "-id")


class AttachmentField(forms.FileField):
    def clean(self, data, initial=None):
        upload = super().clean(data, initial)
        if upload and upload.size > settings.BUGS_ATTACHMENT_MAX_BYTES:
            raise forms.ValidationError(
                _("%(name)s is larger than %(limit)d MiB.")
                % {"name": upload.name, "limit": settings.BUGS_ATTACHMENT_MAX_BYTES // 2**20}
            )
        return upload


class FileBugForm(forms.Form):
    component = ComponentChoiceField(
        label=_("Product and component"),
        queryset=Component.objects.select_related("product"),
        help_text=_("Where the problem is: firmware, kernel, a distribution, the build system…"),
    )
    board = forms.ModelChoiceField(
        label=_("Board"),
        queryset=Board.objects.all(),
        to_field_name="slug",
        required=False,
        empty_label=_("Not board-specific"),
    )
    release = forms.ModelChoiceField(
        label=_("Release"),
        queryset=published_releases(),
        to_field_name="version",
        required=False,
        empty_label=_("No release / from source"),
    )
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices, initial="normal")
    summary = forms.CharField(
        label=_("Summary"),
        max_length=200,
        help_text=_("One line: what goes wrong, where."),
    )
    steps = forms.CharField(
        label=_("Steps to reproduce"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Markdown. Commands in fenced code blocks."),
    )
    expected = forms.CharField(label=_("Expected result"), widget=forms.Textarea(attrs={"rows": 2}))
    actual = forms.CharField(label=_("Actual result"), widget=forms.Textarea(attrs={"rows": 3}))
    attachment = AttachmentField(
        label=_("Attachment"),
        required=False,
        help_text=_("A log, a patch, dmesg output or a screenshot."),
    )
    is_security = forms.BooleanField(
        label=_("This is a security problem"),
        required=False,
        help_text=_("Only the security team, you, the assignee and CC will see it."),
    )
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["component"].choices = _grouped_components()

    def description(self) -> str:
        data = self.cleaned_data
        return (
            f"## {_('Steps to reproduce')}\n\n{data['steps'].strip()}\n\n"
            f"## {_('Expected result')}\n\n{data['expected'].strip()}\n\n"
            f"## {_('Actual result')}\n\n{data['actual'].strip()}\n"
        )


class CommentForm(forms.Form):
    body = forms.CharField(
        label=_("Comment"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Markdown."),
    )
    attachment = AttachmentField(label=_("Attachment"), required=False)
    attachment_description = forms.CharField(
        label=_("What the file is"), max_length=200, required=False
    )


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"))
    resolution = forms.ChoiceField(
        label=_("Resolution"), choices=[c for c in Resolution.choices if c[0]], required=False
    )
    duplicate_of = forms.IntegerField(
        label=_("Duplicate of bug #"),
        required=False,
        min_value=1,
        help_text=_("For the DUPLICATE resolution: the original bug's number."),
    )
    fixed_in = forms.ModelChoiceField(
        label=_("Fixed in"),
        queryset=published_releases(),
        to_field_name="version",
        required=False,
    )
    comment = forms.CharField(
        label=_("Comment"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )

    def __init__(self, *args, user, bug: Bug, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [(s, Status(s).label) for s in allowed_moves(user, bug)]


class EditForm(forms.Form):
    """The fields this person may change on this bug, and only those."""

    summary = forms.CharField(label=_("Summary"), max_length=200)
    component = ComponentChoiceField(
        label=_("Component"), queryset=Component.objects.select_related("product")
    )
    board = forms.ModelChoiceField(
        label=_("Board"),
        queryset=Board.objects.all(),
        to_field_name="slug",
        required=False,
        empty_label=_("Not board-specific"),
    )
    release = forms.ModelChoiceField(
        label=_("Release"), queryset=published_releases(), to_field_name="version", required=False
    )
    fixed_in = forms.ModelChoiceField(
        label=_("Fixed in"), queryset=published_releases(), to_field_name="version", required=False
    )
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices)
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices)
    assignee = forms.CharField(
        label=_("Assignee"), max_length=150, required=False, help_text=_("A username.")
    )
    keywords = forms.ModelMultipleChoiceField(
        label=_("Keywords"), queryset=Keyword.objects.all(), to_field_name="name", required=False
    )
    is_security = forms.BooleanField(label=_("Security bug"), required=False)

    def __init__(self, *args, user, bug: Bug, **kwargs):
        kwargs.setdefault(
            "initial",
            {
                "summary": bug.summary,
                "component": bug.component_id,
                "board": bug.board.slug if bug.board_id else None,
                "release": bug.release.version if bug.release_id else None,
                "fixed_in": bug.fixed_in.version if bug.fixed_in_id else None,
                "severity": bug.severity,
                "priority": bug.priority,
                "assignee": bug.assignee.get_username() if bug.assignee_id else "",
                "keywords": [k.name for k in bug.keywords.all()],
                "is_security": bug.is_security,
            },
        )
        super().__init__(*args, **kwargs)
        allowed = editable_fields(user, bug)
        for name in list(self.fields):
            if name not in allowed:
                del self.fields[name]
        if "component" in self.fields:
            self.fields["component"].choices = _grouped_components()

    def clean_assignee(self):
        name = self.cleaned_data["assignee"].strip()
        if not name:
            return None
        person = User.objects.filter(username=name, is_active=True).first()
        if person is None:
            raise forms.ValidationError(_("No one is called %(name)s.") % {"name": name})
        return person

    def changed_values(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.changed_data}


class DependencyForm(forms.Form):
    other = forms.IntegerField(label=_("Bug #"), min_value=1)
    action = forms.ChoiceField(
        choices=[("add", _("add")), ("remove", _("remove"))], widget=forms.HiddenInput
    )


class BulkEditForm(forms.Form):
    bugs = forms.TypedMultipleChoiceField(coerce=int, choices=[], label=_("Bugs"))
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("unchanged")), *Status.choices], required=False
    )
    resolution = forms.ChoiceField(
        label=_("Resolution"),
        choices=[("", "—"), *[c for c in Resolution.choices if c[0]]],
        required=False,
    )
    assignee = forms.CharField(label=_("Assignee"), max_length=150, required=False)
    component = ComponentChoiceField(
        label=_("Component"),
        queryset=Component.objects.select_related("product"),
        required=False,
    )
    release = forms.ModelChoiceField(
        label=_("Release"), queryset=published_releases(), to_field_name="version", required=False
    )
    priority = forms.ChoiceField(
        label=_("Priority"), choices=[("", _("unchanged")), *Priority.choices], required=False
    )
    comment = forms.CharField(
        label=_("Comment"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, bug_ids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["bugs"].choices = [(i, f"#{i}") for i in bug_ids]
        self.fields["component"].choices = [("", _("unchanged")), *_grouped_components()[1:]]
        self.fields["release"].empty_label = _("unchanged")

    def clean_assignee(self):
        name = self.cleaned_data["assignee"].strip()
        if not name:
            return None
        person = User.objects.filter(username=name, is_active=True).first()
        if person is None:
            raise forms.ValidationError(_("No one is called %(name)s.") % {"name": name})
        return person


class SaveSearchForm(forms.Form):
    name = forms.CharField(label=_("Name this search"), max_length=80)
    query = forms.CharField(required=False, widget=forms.HiddenInput, max_length=1000)
