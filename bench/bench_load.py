"""A busy day: concurrency 64 for N minutes (10 by default), reads and writes mixed, over the
site bench's community (bench.generate). `make bench` runs it with the others; alone:

    python -m bench load --minutes 10 [--scale small|full]

Connections: 40 anonymous readers rotating over the site bench's pages, 8 signed-in readers,
and writers signed in as staff (the forum's new-account pacing does not apply to them):
2 starting topics, 6 replying, 4 commenting on bugs, 4 downloading a release file. Each kind
is one wrk process counting its answers by status class. Passes when no answer is a 5xx and
every write answered with a redirect is in the database afterwards (the rows added lie between
the redirects counted and those plus the writes still in flight when wrk stopped, at most one
per connection), downloads counted by the download counter once it is flushed.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
import time
from pathlib import Path

from bench.common import gunicorn, session_cookie, warm

# 32 characters, as the CSRF cookie holds: wrk sends it as cookie and header.
CSRF_SECRET = "benchloadcsrfsecret0123456789abc"  # noqa: S105  # nosec B105
STATUS_LUA = """
local threads = {}
local made = 0
setup = function(thread)
  made = made + 1
  thread:set("id", made)
  table.insert(threads, thread)
end
init = function(args) s2 = 0; s3 = 0; s4 = 0; s5 = 0; counter = 0 end
response = function(status, headers, body)
  if status >= 500 then s5 = s5 + 1 elseif status >= 400 then s4 = s4 + 1
  elseif status >= 300 then s3 = s3 + 1 else s2 = s2 + 1 end
end
done = function(summary, latency, requests)
  local t = {0, 0, 0, 0}
  for _, thread in ipairs(threads) do
    t[1] = t[1] + thread:get("s2"); t[2] = t[2] + thread:get("s3")
    t[3] = t[3] + thread:get("s4"); t[4] = t[4] + thread:get("s5")
  end
  io.write(string.format("statuses %d %d %d %d %d %d %d %d\\n", t[1], t[2], t[3], t[4],
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(99), summary.requests))
end
"""
ROTATE_LUA = """
request = function()
  counter = counter + 1
  return wrk.format(nil, paths[1 + (counter * 7 + id) % #paths])
end
"""
POST_LUA = """
request = function()
  counter = counter + 1
  local n = id .. "-" .. counter .. "-" .. math.random(1000000)
  local path = paths[1 + (counter + id) % #paths]
  local body = string.gsub(form, "NNN", n)
  return wrk.format("POST", path, nil, body)
end
"""


def _lua_list(items: list[str]) -> str:
    return "{" + ",".join('"' + i.replace('"', '\\"') + '"' for i in items) + "}"


def _start_wrk(
    url: str, *, connections: int, seconds: int, cookie: str, paths: list[str], form: str = ""
) -> tuple[subprocess.Popen, str]:
    script = f"paths = {_lua_list(paths)}\nform = {json.dumps(form)}\n"
    script += (POST_LUA if form else ROTATE_LUA) + STATUS_LUA
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    command = [
        "wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{seconds}s",
        "--timeout", "30s", "-s", handle.name,
    ]  # fmt: skip
    headers = {"Cookie": cookie} if cookie else {}
    if form:
        headers["Cookie"] = f"{cookie}; csrftoken={CSRF_SECRET}"
        headers["X-CSRFToken"] = CSRF_SECRET
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    process = subprocess.Popen(
        [*command, url], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    return process, handle.name


def _figures(process: subprocess.Popen, script: str, seconds: int) -> dict:
    out, err = process.communicate(timeout=seconds + 120)
    Path(script).unlink()
    found = re.search(r"statuses (.*)", out)
    if not found:
        return {"failed": (err or out)[-300:]}
    s2, s3, s4, s5, errors, p50, p99, requests = map(int, found.group(1).split())
    return {
        "requests": requests,
        "requests_per_second": round(requests / seconds, 1),
        "2xx": s2,
        "3xx": s3,
        "4xx": s4,
        "5xx": s5,
        "socket_errors": errors,
        "p50_ms": round(p50 / 1000, 1),
        "p99_ms": round(p99 / 1000, 1),
    }


def _artifact_file(release: str, board: str) -> tuple[str, int]:
    """The release file downloaded: its stored name must exist (the catalogue's rows share it)."""
    from django.conf import settings

    from downloads.models import Artifact

    artifact = Artifact.objects.get(
        release__version=release, board__slug=board, filename="file-00.bin"
    )
    path = Path(settings.ARTIFACTS_ROOT) / artifact.file.name
    if not path.exists() or path.stat().st_size != artifact.size:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"\0" * artifact.size)
    return f"/downloads/releases/{release}/{board}/file-00.bin", artifact.pk


def run() -> dict:
    from bench.bench_site import BROWSER_HEADERS, pages
    from bench.generate import FORUM_CATEGORY, SCALES, generate

    scale_name = os.environ.get("BENCH_SCALE", "full")
    minutes = float(os.environ.get("BENCH_MINUTES", "10"))
    seconds = max(10, int(minutes * 60))
    generate(scale_name)
    scale = SCALES[scale_name]
    from django.contrib.auth import get_user_model

    from bugs.models import Bug, Comment
    from downloads.models import Artifact
    from downloads.services.counts import download_counter
    from forum.models import Post, Topic

    named = pages(scale)
    reader = session_cookie("bench-reader")
    writer = session_cookie("bench-writer", staff=True)
    writer_user = get_user_model().objects.get(username="bench-writer")
    board = f"bench-{scale.boards // 2:02d}"
    release = f"bench-{scale.releases // 2:02d}"
    download_path, artifact_pk = _artifact_file(release, board)
    topics = list(
        Topic.objects.filter(category__slug=FORUM_CATEGORY, reply_count__lt=50)
        .order_by("-pk")
        .values_list("pk", flat=True)[:100]
    )
    bugs = list(
        Bug.objects.filter(product__slug="bench", is_security=False)
        .order_by("-pk")
        .values_list("pk", flat=True)[:100]
    )
    anonymous = [p for n, p in named.items() if not n.startswith("signed_in") and n != "search"]
    signed_in = [named["signed_in_forum_category"], named["signed_in_topic_500_first"], "/"]
    download_counter.flush()
    before = {
        "topics": Topic.objects.filter(author=writer_user).count(),
        "posts": Post.objects.filter(author=writer_user).count(),
        "bug_comments": Comment.objects.filter(author=writer_user).count(),
        "downloads": Artifact.objects.get(pk=artifact_pk).download_count,
    }
    kinds = {
        "read_anonymous": dict(connections=40, cookie="", paths=anonymous),
        "read_signed_in": dict(connections=8, cookie=reader, paths=signed_in),
        "new_topic": dict(
            connections=2,
            cookie=writer,
            paths=[f"/forum/c/{FORUM_CATEGORY}/new/"],
            form="title=Load+test+topic+NNN&source=A+new+topic+under+load+NNN.",
        ),
        "reply": dict(
            connections=6,
            cookie=writer,
            paths=[f"/forum/t/{pk}/reply/" for pk in topics],
            form="source=A+reply+under+load+NNN.",
        ),
        "bug_comment": dict(
            connections=4,
            cookie=writer,
            paths=[f"/bugs/{pk}/comment/" for pk in bugs],
            form="body=A+comment+under+load+NNN.",
        ),
        "download": dict(connections=4, cookie="", paths=[download_path]),
    }
    workers = 2 * (os.cpu_count() or 1) + 1
    figures: dict = {
        "scale": scale_name,
        "seconds": seconds,
        "concurrency": sum(k["connections"] for k in kinds.values()),
        "load_average_before": [round(x, 2) for x in os.getloadavg()],
    }
    with gunicorn(workers=workers) as url:
        warm(url, ["/healthz", *anonymous], cookie=reader, headers=BROWSER_HEADERS)
        started = time.monotonic()
        running = {name: _start_wrk(url, seconds=seconds, **spec) for name, spec in kinds.items()}
        results = {name: _figures(p, s, seconds) for name, (p, s) in running.items()}
        figures["wall_seconds"] = round(time.monotonic() - started, 1)
    figures["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    download_counter.flush()
    after = {
        "topics": Topic.objects.filter(author=writer_user).count(),
        "posts": Post.objects.filter(author=writer_user).count(),
        "bug_comments": Comment.objects.filter(author=writer_user).count(),
        "downloads": Artifact.objects.get(pk=artifact_pk).download_count,
    }
    added = {k: after[k] - before[k] for k in before}
    # A new topic is a topic and its first post: replies are the other posts.
    added["replies"] = added.pop("posts") - added["topics"]
    figures["kinds"] = results
    figures["rows_added"] = added
    checks = []
    for kind, rows, success in (
        ("new_topic", "topics", "3xx"),
        ("reply", "replies", "3xx"),
        ("bug_comment", "bug_comments", "3xx"),
        ("download", "downloads", "2xx"),
    ):
        answered = results[kind].get(success, 0)
        in_flight = kinds[kind]["connections"]
        checks.append(
            {
                "write": kind,
                "answered": answered,
                "in_database": added[rows],
                "passed": answered > 0 and answered <= added[rows] <= answered + in_flight,
            }
        )
    server_errors = sum(r.get("5xx", 0) for r in results.values())
    figures["5xx"] = server_errors
    figures["writes_counted"] = checks
    figures["passed"] = server_errors == 0 and all(c["passed"] for c in checks)
    for name, result in results.items():
        print(f"   {name:16} {result}")
    for check in checks:
        print(f"   {'pass' if check['passed'] else 'FAIL'}  {check}")
    print(f"   5xx: {server_errors}; {'PASSED' if figures['passed'] else 'FAILED'}", flush=True)
    return figures
