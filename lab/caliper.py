"""Caliper's result files, read safely and checked against the format.

Each of `<host>.yaml`, `<host>_score.yaml` and `<host>_score_post.yaml` holds a top-level
`name:` (the host) and `results:`, then Test Item → Sub-item → Point → `Point_Scores`
{case: value}; 0 is a failed case. Caliper also writes `Total_Scores` beside the points and
sub-items, and a `Configuration:` block in `<host>.yaml`: both are accepted and not stored.

The files are composed into YAML nodes with PyYAML's safe loader (no tags that build objects),
so that every complaint can name the line it is about.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import yaml
from django.utils.translation import gettext as _

from lab.errors import LabError

MAX_FILE_BYTES = 2 * 1024 * 1024
HOST_PATTERN = r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}"
SUFFIXES = {"raw": ".yaml", "score": "_score.yaml", "post": "_score_post.yaml"}
IGNORED_KEYS = {"Total_Scores"}
MAP_TAG = "tag:yaml.org,2002:map"
NUMBER_TAGS = {"tag:yaml.org,2002:int", "tag:yaml.org,2002:float"}


@dataclass(frozen=True)
class Case:
    item: str
    sub_item: str
    point: str
    case: str
    value: float


@dataclass(frozen=True)
class CaliperFile:
    filename: str
    host: str
    text: str
    cases: list[Case]
    name_line: int = 1


def _fail(filename: str, line: int, expected: str) -> LabError:
    return LabError(
        _("%(file)s, line %(line)d: expected %(expected)s")
        % {"file": filename, "line": line, "expected": expected}
    )


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _mapping(filename: str, node: yaml.Node, what: str) -> list[tuple[str, yaml.Node]]:
    # Composed, never constructed: a tag such as !!python/object builds nothing and is refused.
    if not isinstance(node, yaml.MappingNode) or node.tag != MAP_TAG:
        raise _fail(filename, _line(node), what)
    pairs = []
    seen = set()
    for key, value in node.value:
        if not isinstance(key, yaml.ScalarNode) or not key.value.strip():
            raise _fail(filename, _line(key), _("a name as key"))
        name = key.value.strip()
        if name in seen:
            raise _fail(
                filename, _line(key), _("each name once (%(name)s repeats)") % {"name": name}
            )
        if len(name) > 200:
            raise _fail(filename, _line(key), _("a name of at most 200 characters"))
        seen.add(name)
        pairs.append((name, value))
    return pairs


def _number(filename: str, node: yaml.Node, case: str) -> float:
    if isinstance(node, yaml.ScalarNode) and node.tag in NUMBER_TAGS:
        try:
            value = float(node.value.replace("_", ""))
        except ValueError:
            value = math.nan
        if math.isfinite(value) and value >= 0:
            return value
    raise _fail(
        filename,
        _line(node),
        _("a number of zero or more for %(case)s (0: failed)") % {"case": case},
    )


def parse_file(*, filename: str, data: bytes) -> CaliperFile:
    """The cases of one Caliper file, or LabError naming the file, the line and what was
    expected."""
    if len(data) > MAX_FILE_BYTES:
        raise LabError(_("%(file)s: larger than 2 MB") % {"file": filename})
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise _fail(filename, line, _("UTF-8 text")) from exc
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        problem = exc.problem or exc.context or "?"
        raise LabError(
            _("%(file)s, line %(line)d: expected valid YAML (%(problem)s)")
            % {"file": filename, "line": line, "problem": problem}
        ) from exc
    except yaml.YAMLError as exc:
        raise LabError(
            _("%(file)s: expected valid YAML (%(problem)s)") % {"file": filename, "problem": exc}
        ) from exc
    if root is None:
        raise _fail(filename, 1, _("name: and results: (the file is empty)"))
    top = dict(_mapping(filename, root, _("a mapping with name: and results:")))
    if "name" not in top:
        raise _fail(filename, _line(root), _("a top-level name: (the host)"))
    name_node = top["name"]
    if not isinstance(name_node, yaml.ScalarNode) or not re.fullmatch(
        HOST_PATTERN, str(name_node.value)
    ):
        raise _fail(filename, _line(name_node), _("a host name (letters, digits, . _ -)"))
    if "results" not in top:
        raise _fail(filename, _line(root), _("a top-level results:"))
    cases: list[Case] = []
    items = _mapping(filename, top["results"], _("Test Items under results:"))
    for item, item_node in items:
        if item in IGNORED_KEYS:
            continue
        for sub_item, sub_node in _mapping(
            filename, item_node, _("sub-items under %(name)s") % {"name": item}
        ):
            if sub_item in IGNORED_KEYS:
                continue
            for point, point_node in _mapping(
                filename, sub_node, _("points under %(name)s") % {"name": sub_item}
            ):
                if point in IGNORED_KEYS:
                    continue
                parts = dict(
                    _mapping(
                        filename, point_node, _("Point_Scores under %(name)s") % {"name": point}
                    )
                )
                if "Point_Scores" not in parts:
                    raise _fail(
                        filename,
                        _line(point_node),
                        _("Point_Scores under %(name)s") % {"name": point},
                    )
                for case, value_node in _mapping(
                    filename, parts["Point_Scores"], _("cases under Point_Scores")
                ):
                    cases.append(
                        Case(
                            item=item[:100],
                            sub_item=sub_item[:100],
                            point=point[:100],
                            case=case,
                            value=_number(filename, value_node, case),
                        )
                    )
    if not cases:
        raise _fail(filename, _line(top["results"]), _("at least one case under results:"))
    return CaliperFile(
        filename=filename,
        host=str(name_node.value),
        text=text,
        cases=cases,
        name_line=_line(name_node),
    )


def host_of(filename: str, source: str) -> str | None:
    """The host a file name announces for its role, or None if it does not follow the pattern."""
    suffix = SUFFIXES[source]
    base = filename.rsplit("/", 1)[-1]
    if not base.endswith(suffix):
        return None
    host = base[: -len(suffix)]
    if source == "raw" and (host.endswith("_score") or host.endswith("_score_post")):
        return None
    return host if re.fullmatch(HOST_PATTERN, host) else None


def parse_run(files: dict[str, tuple[str, bytes]]) -> tuple[str, dict[str, CaliperFile]]:
    """The three files of a run ({source: (filename, bytes)}), checked to name one host."""
    parsed: dict[str, CaliperFile] = {}
    hosts = set()
    for source in SUFFIXES:
        if source not in files:
            raise LabError(_("the file <host>%(suffix)s is missing") % {"suffix": SUFFIXES[source]})
        filename, data = files[source]
        host = host_of(filename, source)
        if host is None:
            raise LabError(
                _("%(file)s: expected a name like <host>%(suffix)s")
                % {"file": filename, "suffix": SUFFIXES[source]}
            )
        parsed[source] = parse_file(filename=filename, data=data)
        if parsed[source].host != host:
            raise _fail(
                filename,
                parsed[source].name_line,
                _("name: %(host)s, as in the file name (found %(found)s)")
                % {"host": host, "found": parsed[source].host},
            )
        hosts.add(host)
    if len(hosts) != 1:
        raise LabError(
            _("the three files must come from one host (found %(hosts)s)")
            % {"hosts": ", ".join(sorted(hosts))}
        )
    return hosts.pop(), parsed
