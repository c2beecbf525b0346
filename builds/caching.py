"""The generation of the boot tests: the board and release pages' boot panels are kept under it
(and under the catalogue's), bumped when a boot test is queued or ends."""

from portal.caching import Generation

BOOT_TESTS = Generation("builds.boot-tests")


def boot_panel_version(request, key: str) -> str:
    from downloads.caching import generation

    return f"{generation()}:{BOOT_TESTS.current()}"
