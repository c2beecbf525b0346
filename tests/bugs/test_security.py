"""A security bug is seen by the security group, its reporter, its assignee and its CC only:
one test per path it could leak through."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse

from bugs import querysets as q
from bugs import reports
from bugs.models import Bug
from bugs.services import filing, triage
from portal.models import Notification
from portal.notifications import subscribe
from portal.registry import registry

SECRET = "Heap overflow in hns descriptor parsing"


@pytest.fixture
def secret(file_bug, boards, make_release, assignee):
    release = make_release("3.1", {"d02/Image": b"k"})
    bug = file_bug(SECRET, is_security=True, board=boards["d02"], release=release)
    Bug.objects.filter(pk=bug.pk).update(assignee=assignee, fixed_in=release)
    bug.refresh_from_db()
    return bug


@pytest.fixture
def public_bug(file_bug, boards):
    return file_bug("Heap usage grows in hns driver", board=boards["d02"])


@pytest.fixture
def cc_person(make_user, secret, triager):
    person = make_user("cici")
    triage.set_cc(actor=triager, bug=secret, person=person, on=True)
    return person


def _login(client, user):
    if user is not None:
        client.force_login(user)
    return client


@pytest.mark.parametrize("who", [None, "outsider", "triager"])
def test_others_get_404_for_its_page_its_files_and_its_tree(client, request, secret, who):
    attachment = filing.add_attachment(
        bug=secret, uploader=secret.reporter, upload=_upload("dmesg.txt", b"[0.0] boot\n")
    )
    _login(client, request.getfixturevalue(who) if who else None)
    for url in (
        reverse("bugs:detail", args=[secret.pk]),
        reverse("bugs:tree", args=[secret.pk]),
        reverse("bugs:attachment", args=[secret.pk, attachment.pk]),
        reverse("bugs:attachment_raw", args=[secret.pk, attachment.pk]),
    ):
        assert client.get(url).status_code == 404, url


@pytest.mark.parametrize("who", ["reporter", "assignee", "security_member", "cc_person"])
def test_the_people_it_belongs_to_see_it(client, request, secret, who):
    person = request.getfixturevalue(who)
    _login(client, person)
    assert client.get(reverse("bugs:detail", args=[secret.pk])).status_code == 200
    assert SECRET in client.get(reverse("bugs:index")).content.decode()


@pytest.mark.parametrize("who", [None, "outsider"])
def test_not_in_lists(client, request, secret, public_bug, who):
    _login(client, request.getfixturevalue(who) if who else None)
    html = client.get(reverse("bugs:index"), {"q": "hns"}).content.decode()
    assert public_bug.summary in html and SECRET not in html
    html = client.get(reverse("bugs:index"), {"board": "d02", "status": "open"}).content.decode()
    assert SECRET not in html and "1 bug" in html


def test_not_in_my_bugs_of_others(client, outsider, secret):
    _login(client, outsider)
    assert SECRET not in client.get(reverse("bugs:mine")).content.decode()


def test_not_in_search(client, outsider, secret, public_bug, security_member):
    provider = registry.search_providers["bugs"]
    assert [h.title for h in provider.search(query="hns", user=outsider, limit=10)] == [
        str(public_bug)
    ]
    assert str(secret) in [
        h.title for h in provider.search(query="hns", user=security_member, limit=10)
    ]
    page = client.get(reverse("search"), {"q": "overflow"}).content.decode()
    assert SECRET not in page


def test_not_in_feeds(client, secret, public_bug):
    feed = client.get(reverse("bugs:feed"), {"q": "hns"}).content.decode()
    assert public_bug.summary in feed and SECRET not in feed


def test_not_in_csv(client, outsider, secret, public_bug):
    _login(client, outsider)
    rows = b"".join(client.get(reverse("bugs:csv")).streaming_content).decode()
    assert public_bug.summary in rows and SECRET not in rows


def test_not_counted_in_reports(secret, public_bug, security_member):
    anonymous = reports.report_context(AnonymousUser())
    assert anonymous["boards"]["table"] == [("d02", [2 - 1, 0, 0, 0])]
    assert anonymous["releases"]["table"] == [("—", 1)]
    member = reports.report_context(security_member)
    assert member["boards"]["table"] == [("d02", [2, 0, 0, 0])]
    assert sum(c["opened"] for c in anonymous["weekly"]["columns"]) == 1


def test_not_in_dependency_trees(client, file_bug, secret, triager, outsider):
    parent = file_bug("Networking umbrella bug")
    triage.add_dependency(actor=triager, bug=parent, depends_on=secret)
    _login(client, outsider)
    page = client.get(reverse("bugs:tree", args=[parent.pk])).content.decode()
    assert SECRET not in page and 'data-test="tree-node"' not in page
    detail = client.get(reverse("bugs:detail", args=[parent.pk])).content.decode()
    assert f"#{secret.pk}<" not in detail and SECRET not in detail
    assert q.dependency_tree(secret.reporter, parent)[0]["bug"] == secret


def test_not_in_duplicate_suggestions(secret, public_bug, outsider, reporter):
    text = "heap overflow hns descriptor"
    assert secret not in q.likely_duplicates(outsider, text)
    assert public_bug in q.likely_duplicates(outsider, text)
    assert secret in q.likely_duplicates(reporter, text)


def test_not_on_board_release_home_or_profile(client, secret, public_bug, reporter):
    board_page = client.get(reverse("downloads:board", args=["d02"])).content.decode()
    assert public_bug.summary in board_page and SECRET not in board_page
    release_page = client.get(reverse("downloads:release", args=["3.1"])).content.decode()
    assert SECRET not in release_page
    assert SECRET not in client.get("/").content.decode()
    profile = client.get(reverse("profile", args=[reporter.username])).content.decode()
    assert public_bug.summary in profile and SECRET not in profile


def test_no_mail_or_notification_to_anyone_else(secret, cc_person, outsider, triager, reporter):
    subscribe(user=outsider, target=secret)  # even a watcher hears nothing
    Notification.objects.all().delete()
    triage.update_bug(actor=triager, bug=secret, values={"priority": "P1"})
    filing.add_comment(bug=secret, author=triager, body="Fix in review.")
    recipients = set(Notification.objects.values_list("recipient__username", flat=True))
    assert recipients == {"rita", "alan", "cici"}


def _upload(name, data):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


def test_the_kept_list_never_carries_a_security_bug_to_others(
    client, secret, public_bug, outsider, reporter
):
    """The rendered list is shared by readers who see what anonymous readers see: the
    security bug's reporter gets a list of their own, and others never get theirs."""
    _login(client, reporter)
    assert SECRET in client.get(reverse("bugs:index")).content.decode()
    client.logout()
    assert SECRET not in client.get(reverse("bugs:index")).content.decode()
    _login(client, outsider)
    assert q.sees_only_public(outsider) and not q.sees_only_public(reporter)
    assert SECRET not in client.get(reverse("bugs:index")).content.decode()
    _login(client, reporter)
    assert SECRET in client.get(reverse("bugs:index")).content.decode()


def test_not_in_the_sitemap_or_the_feeds_page(client, secret, public_bug):
    sitemap = client.get("/sitemap-bugs.xml").content.decode()
    assert public_bug.get_absolute_url() in sitemap
    assert secret.get_absolute_url() not in sitemap
    feeds = client.get(reverse("feeds")).content.decode()
    assert "/bugs/feed/?board=d02&amp;status=open" in feeds
