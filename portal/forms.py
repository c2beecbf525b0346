from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from portal.models import ApiToken
from portal.services import API_TOKEN_DEFAULT_LIFETIME, API_TOKEN_LIFETIMES


class ProfileForm(forms.Form):
    display_name = forms.CharField(
        label=_("Display name"),
        max_length=80,
        required=False,
        help_text=_("Shown beside your posts instead of your username."),
    )
    bio = forms.CharField(
        label=_("Short bio"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Plain text, at most 500 characters."),
    )


LIFETIME_LABELS = {7: _("7 days"), 30: _("30 days"), 90: _("90 days"), 365: _("1 year")}


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Token name"),
        max_length=80,
        help_text=_("What it is for, e.g. “nightly test lab”."),
    )
    # Left out (a script posting the form), a token reads only and lives the default time.
    scope = forms.TypedChoiceField(
        label=_("It may"),
        choices=ApiToken.Scope.choices,
        initial=ApiToken.Scope.READ,
        required=False,
        empty_value=ApiToken.Scope.READ,
        help_text=_("A read-only token cannot file, comment or change anything."),
    )
    days = forms.TypedChoiceField(
        label=_("Expires after"),
        coerce=int,
        required=False,
        empty_value=API_TOKEN_DEFAULT_LIFETIME,
        choices=[(n, LIFETIME_LABELS[n]) for n in API_TOKEN_LIFETIMES],
        initial=API_TOKEN_DEFAULT_LIFETIME,
    )


class MailPreferencesForm(forms.Form):
    """One choice per registered kind of notification: at once, daily digest, or never."""

    def __init__(self, *args, kinds, initial_choices: dict[str, str], **kwargs) -> None:
        from portal.notifications import Delivery

        super().__init__(*args, **kwargs)
        for kind in kinds:
            self.fields[kind.name] = forms.ChoiceField(
                label=kind.label,
                choices=Delivery.choices,
                initial=initial_choices.get(kind.name),
                widget=forms.RadioSelect,
            )


class QuickSelectRenderer(DjangoTemplates):
    """Django's form renderer (FORM_RENDERER), with select boxes written here: its template
    renders every option through an include of a template of its own (the bug list's filters,
    some 130 options, spent 6 of their 8 ms there). The same HTML as Django's templates give
    (tests/portal/test_forms.py compares them)."""

    def render(self, template_name, context, request=None):
        if template_name == "django/forms/widgets/select.html":
            return mark_safe(_select_html(context["widget"]))  # noqa: S308  # escaped  # nosec B308 B703
        return super().render(template_name, context, request)


def _select_html(widget: dict) -> str:
    """django/forms/widgets/select.html and select_option.html, as rendered and stripped."""
    parts = [f'<select name="{conditional_escape(widget["name"])}"{_attrs_html(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{_label(group_name)}">')
        for option in options:
            parts.append(
                f'\n  <option value="{_formatted(option["value"])}"{_attrs_html(option["attrs"])}>'
                f"{_label(option['label'])}</option>\n"
            )
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


def _attrs_html(attrs: dict) -> str:
    """django/forms/widgets/attrs.html: True as a bare name, False left out."""
    return "".join(
        f" {conditional_escape(name)}" + ("" if value is True else f'="{_formatted(value)}"')
        for name, value in attrs.items()
        if value is not False
    )


def _formatted(value: object) -> str:
    """`{{ value|stringformat:'s' }}`: as text, escaped unless marked safe."""
    return conditional_escape(str(value))


def _label(value: object) -> str:
    """`{{ value }}`: localized unless text, escaped unless marked safe."""
    return conditional_escape(value if isinstance(value, str) else str(localize(value)))
