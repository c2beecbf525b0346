from django import forms
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
