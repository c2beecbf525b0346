"""The Simplified Chinese catalogue: complete, and compiled from its current source."""

import ast
import gettext
import re
from pathlib import Path

from django.conf import settings

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES"
ENTRY = re.compile(
    r'^msgid ((?:".*"\n)+)(?:msgid_plural (?:".*"\n)+)?((?:msgstr(?:\[\d\])? (?:".*"\n)+)+)',
    re.MULTILINE,
)


def _joined(quoted_lines: str) -> str:
    return "".join(re.findall(r'"(.*)"', quoted_lines))


def entries() -> dict[str, str]:
    source = (CATALOGUE / "django.po").read_text(encoding="utf-8")
    live = "\n".join(line for line in source.splitlines() if not line.startswith("#~")) + "\n"
    return {
        _joined(msgid): _joined(msgstr)
        for msgid, msgstr in ENTRY.findall(live)
        if _joined(msgid)  # the header
    }


def test_every_string_is_translated_and_none_is_fuzzy():
    catalogue = entries()
    assert len(catalogue) > 500
    assert [msgid for msgid, msgstr in catalogue.items() if not msgstr] == []
    assert "#, fuzzy" not in (CATALOGUE / "django.po").read_text(encoding="utf-8")


def test_the_compiled_catalogue_matches_its_source():
    with (CATALOGUE / "django.mo").open("rb") as compiled:
        translations = gettext.GNUTranslations(compiled)
    compiled_ids = {key[0] if isinstance(key, tuple) else key for key in translations._catalog}
    for msgid in entries():
        text = msgid.encode().decode("unicode_escape").encode("latin-1").decode("utf-8")
        assert text in compiled_ids, f"not compiled (run make messages): {msgid}"


def test_every_marked_string_can_reach_the_catalogue():
    """makemessages finds the strings marked by gettext's own names and by `_`: imported under
    another name (a `_lazy`), a module's strings stay out of the catalogue, untranslated, and
    the test above cannot see them (the bug list's "Number" and "Changed" did)."""
    renamed = []
    for path in Path(settings.BASE_DIR).glob("*/**/*.py"):
        if path.parts[len(Path(settings.BASE_DIR).parts)] in {".venv", "node_modules", "var"}:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation":
                renamed += [f"{path}: {a.name} as {a.asname}" for a in node.names if a.asname]
    assert [name for name in renamed if not name.endswith(" as _")] == []
