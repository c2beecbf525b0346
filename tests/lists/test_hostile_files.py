"""Files that come from outside: an uploaded mbox is kept where the web server cannot hand it
out, under a name of ours; a Maildir given to import_mbox yields only its own files, not what
a symbolic link in it points at."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import override_settings

from lists.models import Message, upload_storage
from lists.services.uploads import queue_mbox_upload

from .conftest import mail


def test_an_uploaded_mbox_is_kept_outside_media_under_a_name_of_ours(
    private_list, ada, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.LISTS_UPLOAD_ROOT = tmp_path / "list-uploads"
    hostile = "../../../media/lists/uploads/x\x00\x1b[31m<svg onload=alert(1)>.html"
    upload = queue_mbox_upload(
        mailing_list=private_list,
        file=SimpleUploadedFile(hostile, b"From a@b Mon Jan  1 00:00:00 2024\n\nx\n"),
        user=ada,
    )
    stored = upload.file.path
    assert stored.startswith(str(settings.LISTS_UPLOAD_ROOT) + "/")
    assert not stored.startswith(str(settings.MEDIA_ROOT))
    name = stored.rsplit("/", 1)[1]
    assert name.endswith(".mbox") and name[:-5].isalnum() and len(name) == 37


def test_a_link_out_of_a_maildir_is_not_imported(public_list, tmp_path):
    secret = tmp_path / "outside" / "shadow"
    secret.parent.mkdir()
    secret.write_bytes(mail("secret@example.org", subject="root:x:0:0", body="secret\n"))
    maildir = tmp_path / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True)
    (maildir / "cur" / "1.mail").write_bytes(mail("own@example.org", subject="Own message"))
    (maildir / "cur" / "2.mail").symlink_to(secret)
    (maildir / "new" / "3.mail").symlink_to(maildir / "cur" / "1.mail")  # inside: fine
    (maildir / "new" / "4.mail").symlink_to(tmp_path / "nowhere")  # dangling
    call_command("import_mbox", public_list.name, str(maildir), "--no-progress", "--workers", "1")
    subjects = list(Message.objects.values_list("subject", flat=True))
    assert subjects == ["Own message"]


def test_the_upload_folder_follows_its_setting_and_comes_back(tmp_path):
    # A storage built once on a test's folder kept it for every later test in the process:
    # the site saved uploads where the worker never looked.
    original = upload_storage.location
    with override_settings(LISTS_UPLOAD_ROOT=tmp_path / "elsewhere"):
        assert upload_storage.location == str(tmp_path / "elsewhere")
    assert upload_storage.location == original
