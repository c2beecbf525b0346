"""One `latest` rule: a board's latest release is the newest published release (not a
pre-release) with files for the board; every permalink, page and API answer uses that one."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_every_latest_link_of_a_board_leads_to_the_same_release(client, boards, make_release):
    make_release("3.1", {"d02/Image": b"kernel 3.1", "d02/grub.cfg": b"grub 3.1"})
    # A newer release built without a kernel for the board (as the D02 boot-files recipe does).
    make_release("5.0", {"d02/grub.cfg": b"grub 5.0"})
    sums = client.get(reverse("downloads:latest", args=["d02", "SHA256SUMS"]))
    assert sums["Location"] == "/downloads/releases/5.0/d02/SHA256SUMS"
    grub = client.get(reverse("downloads:latest", args=["d02", "grub.cfg"]))
    assert grub["Location"] == "/downloads/releases/5.0/d02/grub.cfg"
    # The kernel of an older release is not "latest": a clear 404 naming the latest release.
    kernel = client.get(reverse("downloads:latest", args=["d02", "Image"]))
    assert kernel.status_code == 404
    assert "5.0" in kernel.content.decode() and "Image" in kernel.content.decode()
    api = client.get(reverse("downloads_api:board_latest", args=["d02"])).json()
    assert api["release"]["version"] == "5.0"
    assert {a["filename"] for a in api["artifacts"]} == {"grub.cfg"}
    page = client.get(reverse("downloads:board", args=["d02"])).content.decode()
    assert "Latest release: 5.0" in page


def test_latest_common_files_come_from_the_newest_release(client, boards, make_release):
    make_release("3.1", {"common/README.txt": b"3.1", "d02/Image": b"k"})
    make_release("5.0", {"d02/Image": b"k5"})
    response = client.get(reverse("downloads:latest", args=["common", "README.txt"]))
    assert response.status_code == 404 and "5.0" in response.content.decode()


def test_latest_for_an_unknown_board_is_a_404(client, boards):
    response = client.get(reverse("downloads:latest", args=["d99", "Image"]))
    assert response.status_code == 404
