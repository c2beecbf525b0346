from django import forms
from django.utils.translation import gettext_lazy as _


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


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Token name"),
        max_length=80,
        help_text=_("What it is for, e.g. “nightly test lab”."),
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
