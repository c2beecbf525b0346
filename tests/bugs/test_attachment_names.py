"""Attachment names come from the sender's machine: whatever they hold, the name kept is one
file name, printable, not a path, not `..`, of a sane length; the stored file's name is ours."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from bugs.services import filing

NAMES = [
    ("../../etc/passwd", "passwd"),
    ("..\\..\\windows\\win.ini", "win.ini"),
    ("...", "attachment"),
    (" . ", "attachment"),
    ("log\x00.txt", "log.txt"),
    ("\x1b[31mred\x1b[0m.log", "[31mred[0m.log"),
    ("a\u202etxt.exe", "atxt.exe"),
    ('x"><img src=x onerror=alert(1)>.log', "ximg src=x onerror=alert(1).log"),
    ("y" * 1000 + ".log", "y" * 196 + ".log"),
    ("z" * 1000, "z" * 200),
]


def test_an_attachment_name_is_one_sane_file_name(bug, reporter, attachment_root):
    for sent, kept in NAMES:
        _check(bug, reporter, attachment_root, sent, kept)


def _check(bug, reporter, attachment_root, sent: str, kept: str) -> None:
    upload = SimpleUploadedFile("placeholder", b"some log\n")
    upload.name = sent  # as the multipart parser hands it over, unvalidated by Django's File
    attachment = filing.add_attachment(bug=bug, uploader=reporter, upload=upload)
    assert attachment.original_name == kept
    stored = attachment_root / attachment.file.name
    assert stored.is_file() and stored.resolve().is_relative_to(attachment_root.resolve())
    assert kept not in attachment.file.name
