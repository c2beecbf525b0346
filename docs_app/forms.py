from django import forms
from django.utils.translation import gettext_lazy as _

from docs_app.models import Page, Section
from downloads.models import Release


class PageForm(forms.Form):
    section = forms.ModelChoiceField(Section.objects.all(), label=_("Section"))
    slug = forms.SlugField(label=_("Slug"), max_length=100)
    title = forms.CharField(label=_("Title"), max_length=200)
    release = forms.ModelChoiceField(
        Release.objects.exclude(status=Release.Status.WITHDRAWN),
        required=False,
        label=_("Release"),
        empty_label=_("latest (every release without its own page)"),
        to_field_name="version",
    )
    language = forms.ChoiceField(choices=Page.Language.choices, label=_("Language"))
    parent = forms.ModelChoiceField(
        Page.objects.filter(release__isnull=True, language=Page.Language.ENGLISH).select_related(
            "section"
        ),
        required=False,
        label=_("Parent page"),
    )
    order = forms.IntegerField(label=_("Order"), min_value=0, max_value=32767, initial=100)
    tags = forms.CharField(
        label=_("Tags"), required=False, help_text=_("Separated by commas, e.g. d02, uefi.")
    )
    source = forms.CharField(
        label=_("Text (Markdown)"),
        widget=forms.Textarea(attrs={"rows": 24, "class": "source-editor"}),
        help_text=_(
            "Headings, tables, ```code```, !!! note admonitions; "
            "[[artifact:d02/Image]] links a file of the page's release."
        ),
    )
    message = forms.CharField(
        label=_("What changed"), max_length=300, required=False,
        help_text=_("A short note for the history."),
    )  # fmt: skip


class ImageForm(forms.Form):
    image = forms.FileField(label=_("Image"), help_text=_("PNG, JPEG, GIF or WebP, at most 5 MB."))
    title = forms.CharField(label=_("Title"), max_length=200, required=False)
