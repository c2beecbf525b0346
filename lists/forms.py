from django import forms
from django.utils.translation import gettext_lazy as _

from lists.models import MailingList, Message


class ReplyForm(forms.Form):
    from_address = forms.ChoiceField(label=_("From"))
    subject = forms.CharField(label=_("Subject"), max_length=300)
    body = forms.CharField(
        label=_("Message"), widget=forms.Textarea(attrs={"rows": 14}), max_length=100_000
    )

    def __init__(self, *args, addresses: list[str], message: Message, **kwargs):
        initial = kwargs.setdefault("initial", {})
        subject = message.subject
        initial.setdefault(
            "subject", subject if subject.lower().startswith("re:") else f"Re: {subject}"
        )
        who = message.sender_name or _("someone")
        quoted = "\n".join(f"> {line}" if line else ">" for line in message.text.splitlines()[:60])
        initial.setdefault("body", f"{who} wrote:\n{quoted}\n\n")
        super().__init__(*args, **kwargs)
        self.fields["from_address"].choices = [(a, a) for a in addresses]


class MboxUploadForm(forms.Form):
    mailing_list = forms.ModelChoiceField(queryset=MailingList.objects.all(), label=_("List"))
    file = forms.FileField(label=_("mbox file"))
