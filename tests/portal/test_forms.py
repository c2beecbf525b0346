"""The site's form renderer writes select boxes itself: exactly the HTML Django's templates give."""

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates, get_default_renderer
from django.utils.safestring import mark_safe

from bugs.filters import BugFilter
from bugs.models import Bug
from portal.forms import QuickSelectRenderer

pytestmark = pytest.mark.django_db


class Odd(forms.Form):
    """What the templates treat apart: groups, escaping, marked-safe text, numbers, booleans."""

    grouped = forms.ChoiceField(
        choices=[
            ("", "—"),
            ("Boards & <friends>", [("d02", 'D02 "classic"'), ("d05", "D05 <new>")]),
            ("x", mark_safe("<b>safe</b>")),
            (1234, 5678.5),
        ],
        required=False,
    )
    many = forms.MultipleChoiceField(choices=[(1000, 1000), ("a&b", "A & B")], disabled=True)
    typed = forms.TypedChoiceField(choices=[(None, None), (True, True)], coerce=str)


def _both(form: forms.Form) -> list[tuple[str, str]]:
    """Every select of the form as the site renders it and as Django's templates do."""
    pairs = []
    for name, field in form.fields.items():
        if isinstance(field.widget, forms.Select):
            rendered = []
            for renderer in (QuickSelectRenderer(), DjangoTemplates()):
                form.renderer = renderer
                rendered.append(str(form[name]))
            pairs.append((rendered[0], rendered[1]))
    return pairs


def test_select_boxes_are_rendered_as_djangos_templates_render_them(settings):
    settings.USE_THOUSAND_SEPARATOR = True  # numbers in labels are localized, values not
    forms_to_render = [
        Odd(),
        Odd({"grouped": "d05", "many": ["1000", "a&b"], "typed": "True"}),
        BugFilter(queryset=Bug.objects.none()).form,
        BugFilter(
            {"status": ["open", "closed"], "severity": ["major"], "sort": "-updated"},
            queryset=Bug.objects.none(),
        ).form,
    ]
    compared = 0
    for form in forms_to_render:
        for ours, djangos in _both(form):
            assert ours == djangos
            compared += 1
    assert compared >= 2 * 3 + 2 * 9
    assert isinstance(get_default_renderer(), QuickSelectRenderer)
