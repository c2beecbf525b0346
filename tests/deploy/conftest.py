"""Fixtures the deployment tests share with the downloads tests."""

from tests.downloads.conftest import release_manager  # noqa: F401
