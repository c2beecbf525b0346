"""JWZ threading: replies in any order, missing parents, loops, duplicated Message-IDs, and the
thread count of a generated archive checked against an independent count."""

from __future__ import annotations

import hashlib
import itertools
import mailbox
import subprocess
import sys

import pytest

from lists.jwz import Forest, display_tree
from lists.models import Message, Thread, ThreadNode
from lists.services.ingestion import import_paths

from .conftest import GEN_MBOX, mail

pytestmark = pytest.mark.django_db

# a ─ b ─ c
#   └ d ─ e
TREE = {
    "a": [],
    "b": ["a"],
    "c": ["a", "b"],
    "d": ["a"],
    "e": ["a", "d"],
}


def messages_of_tree() -> dict[str, bytes]:
    return {
        key: mail(f"{key}@x", subject="Tree" if not refs else "Re: Tree", references=[
            f"{r}@x" for r in refs
        ], day=i + 1)
        for i, (key, refs) in enumerate(TREE.items())
    }  # fmt: skip


def shape(mailing_list) -> tuple[int, dict[str, str | None]]:
    threads = set(
        Message.objects.filter(mailing_list=mailing_list).values_list("thread", flat=True)
    )
    parents = {
        m.message_id.split("@")[0]: (m.parent.message_id.split("@")[0] if m.parent else None)
        for m in Message.objects.filter(mailing_list=mailing_list).select_related("parent")
    }
    return len(threads), parents


EXPECTED_PARENTS = {"a": None, "b": "a", "c": "b", "d": "a", "e": "d"}


@pytest.mark.parametrize(
    "order", [p for i, p in enumerate(itertools.permutations("abcde")) if i % 7 == 0]
)
def test_any_arrival_order_gives_the_same_tree(public_list, archive, order):
    raws = messages_of_tree()
    for key in order:  # one message per delivery, as mail arrives
        archive(public_list, raws[key])
    assert shape(public_list) == (1, EXPECTED_PARENTS)
    thread = Thread.objects.get(mailing_list=public_list)
    assert thread.message_count == 5
    assert thread.subject == "Tree"  # the earliest message's


def test_a_reply_before_its_parent_joins_when_the_parent_comes(public_list, archive):
    raws = messages_of_tree()
    archive(public_list, raws["c"])
    archive(public_list, raws["e"])
    # Both hang under the placeholder of a: one thread already, with no parent archived.
    assert shape(public_list) == (1, {"c": None, "e": None})
    archive(public_list, raws["a"])
    assert shape(public_list) == (1, {"a": None, "c": "a", "e": "a"})
    archive(public_list, raws["b"], raws["d"])
    assert shape(public_list) == (1, EXPECTED_PARENTS)
    assert Thread.objects.filter(mailing_list=public_list).count() == 1
    assert ThreadNode.objects.filter(mailing_list=public_list, message__isnull=True).count() == 0


def test_two_threads_merge_when_the_missing_link_arrives(public_list, archive):
    archive(public_list, mail("x1@x", references=["root@x"]))
    archive(public_list, mail("y1@x", in_reply_to="mid@x"))
    assert Thread.objects.filter(mailing_list=public_list).count() == 2
    first_thread = Message.objects.get(message_id="x1@x").thread_id
    # mid replies to root: the two trees are one now, and one thread survives.
    archive(public_list, mail("mid@x", references=["root@x"]))
    assert Thread.objects.filter(mailing_list=public_list).count() == 1
    assert set(Message.objects.values_list("thread", flat=True)) == {first_thread}
    assert Message.objects.get(message_id="y1@x").parent.message_id == "mid@x"


def test_no_grouping_by_subject_alone(public_list, archive):
    archive(
        public_list,
        mail("s1@x", subject="Kernel 4.9 for HiKey"),
        mail("s2@x", subject="Re: Kernel 4.9 for HiKey"),
    )
    assert Thread.objects.filter(mailing_list=public_list).count() == 2


def test_loops_and_wrong_reference_orders_cannot_hang_or_corrupt(public_list, archive):
    archive(
        public_list,
        mail("p@x", references=["q@x"]),
        mail("q@x", references=["p@x"]),  # each says the other is its parent
        mail("r@x", references=["r@x", "p@x", "r@x"]),  # itself among its references
        mail("s@x", references=["q@x", "p@x", "q@x"]),  # a loop inside one header
    )
    archive(public_list, mail("t@x", references=["s@x", "r@x", "t@x"]))
    assert Message.objects.filter(mailing_list=public_list).count() == 5
    assert Thread.objects.filter(mailing_list=public_list, message_count__gt=0).count() == 1
    # No message is its own ancestor.
    parents = dict(Message.objects.values_list("pk", "parent_id"))
    for pk in parents:
        seen = set()
        current = pk
        while current is not None:
            assert current not in seen
            seen.add(current)
            current = parents[current]


def test_duplicated_message_id_keeps_both_messages(public_list, archive):
    archive(public_list, mail("same@x", subject="first"))
    archive(public_list, mail("same@x", subject="second", body="other text\n"))
    archive(public_list, mail("reply@x", in_reply_to="same@x"))
    first, second = Message.objects.order_by("pk")[:2]
    assert first.message_id == "same@x"
    assert second.message_id.startswith("same@x.dup-") and second.header_message_id == "same@x"
    assert Message.objects.get(message_id="reply@x").parent == first
    # Archiving the same bytes again adds nothing.
    result = archive(public_list, mail("same@x", subject="second", body="other text\n"))
    assert result.imported == 0 and result.skipped == 1


def test_forest_is_bounded_on_corrupt_stored_parents():
    forest = Forest()
    for key, parent in (("a", "b"), ("b", "c"), ("c", "a")):
        forest.get(key).parent = parent  # a stored cycle, however it came
    assert forest.is_ancestor("z", "a") is False
    assert forest.root("a") in {"a", "b", "c"}
    order = display_tree([("a", "b", "A"), ("b", "c", "B"), ("c", "a", "C")])
    assert sorted(item for _depth, item in order) == ["A", "B", "C"]


def independent_thread_count(path) -> int:
    """Threads of a generated archive, counted without our code: the generator starts a thread
    with a message that refers to nothing, and every other message refers within its thread."""
    box = mailbox.mbox(path)
    return sum(1 for message in box if not message["In-Reply-To"] and not message["References"])


def test_generated_archive_has_the_right_number_of_threads(public_list, tmp_path):
    path = tmp_path / "archive.mbox"
    subprocess.run(
        [sys.executable, str(GEN_MBOX), "3000", str(path), "--seed", "7"],
        check=True,
        capture_output=True,
    )
    expected = independent_thread_count(path)
    # Small batches: threads cross batch boundaries and must be joined across them.
    result = import_paths(mailing_list=public_list, paths=[path], batch_size=250)
    assert result.imported == 3000
    assert Thread.objects.filter(mailing_list=public_list, message_count__gt=0).count() == expected
    assert Message.objects.filter(mailing_list=public_list, parent__isnull=True).count() == expected


def awkward_mail() -> dict[str, bytes]:
    """A tree, two trees joined by a late link, a reused Message-ID, a reply to a parent that
    never comes: each message named by a key, with a word of its own for the documents."""
    words = iter(
        ["kernel", "firmware", "bootloader", "regulator", "ethernet", "smmu", "numa", "pci", "uefi"]
    )
    raws = {
        key: mail(f"{key}@x", subject="Tree" if not refs else "Re: Tree", references=[
            f"{r}@x" for r in refs
        ], day=i + 1, body=f"About the {next(words)}.\n")
        for i, (key, refs) in enumerate(TREE.items())
    }  # fmt: skip
    raws |= {
        "x1": mail("x1@x", subject="Joined", references=["root@x"], day=10, body=next(words)),
        "y1": mail("y1@x", subject="Re: Joined", in_reply_to="mid@x", day=12, body=next(words)),
        "mid": mail("mid@x", subject="Re: Joined", references=["root@x"], day=11, body=next(words)),
        "same1": mail("same@x", subject="First of two", day=14),
        "same2": mail("same@x", subject="Second of two", body="Other words.\n", day=15),
        "orphan": mail("orphan@x", subject="Re: Lost", references=["lost@x"], day=16),
        # As early as the root: the first archived of the two names the thread.
        "tie": mail("tie@x", subject="Re: Tree, early", references=["a@x"], body=next(words)),
    }
    return raws


EXPECTED_THREADS = {
    frozenset({"a", "b", "c", "d", "e", "tie"}),
    frozenset({"x1", "y1", "mid"}),
    frozenset({"same1"}),
    frozenset({"same2"}),
    frozenset({"orphan"}),
}


def assert_threads_match_their_messages(mailing_list, *, allow_empty: bool = False) -> None:
    """Every thread's count, dates, subject and search document as a full recomputation from
    its messages gives them."""
    from lists.documents import index_threads

    threads = list(Thread.objects.filter(mailing_list=mailing_list).order_by("pk"))
    for thread in threads:
        messages = list(thread.messages.order_by("date", "pk"))
        assert thread.message_count == len(messages)
        if not messages:
            assert allow_empty and thread.started_at is None and thread.subject == ""
            continue
        assert thread.started_at == messages[0].date
        assert thread.last_activity == max(m.date for m in messages)
        assert thread.subject == messages[0].subject
    stored = {t.pk: t.search_document for t in threads}
    index_threads(stored)
    assert dict(Thread.objects.filter(pk__in=stored).values_list("pk", "search_document")) == (
        stored
    )


@pytest.mark.parametrize("seed, size", [(1, 1), (2, 2), (3, 3), (4, 5), (5, 20)])
def test_batches_in_any_order_give_the_threads_one_batch_gives(public_list, archive, seed, size):
    import random

    raws = awkward_mail()
    order = [*raws, "b", "same2"]  # the same bytes twice: archived once
    random.Random(seed).shuffle(order)
    for start in range(0, len(order), size):
        archive(public_list, *(raws[key] for key in order[start : start + size]))
    key_of = {hashlib.sha256(raw).hexdigest(): key for key, raw in raws.items()}
    threads: dict[int, set[str]] = {}
    for thread_id, sha in Message.objects.filter(mailing_list=public_list).values_list(
        "thread", "sha256"
    ):
        threads.setdefault(thread_id, set()).add(key_of[sha])
    assert {frozenset(keys) for keys in threads.values()} == EXPECTED_THREADS
    assert Thread.objects.filter(mailing_list=public_list).count() == len(EXPECTED_THREADS)
    parents = shape(public_list)[1]
    assert {k: parents[k] for k in "abcde"} == EXPECTED_PARENTS
    assert parents["y1"] == "mid" and parents["x1"] is None and parents["mid"] is None
    assert parents["tie"] == "a"
    assert_threads_match_their_messages(public_list)


def test_a_message_deleted_by_an_admin_leaves_its_thread_recounted(public_list, archive):
    from django.contrib import admin

    from lists.admin import MessageAdmin

    raws = awkward_mail()
    archive(public_list, *raws.values())
    messages = MessageAdmin(Message, admin.site)
    messages.delete_model(None, Message.objects.get(message_id="a@x"))
    messages.delete_queryset(None, Message.objects.filter(message_id__in=["x1@x", "orphan@x"]))
    assert_threads_match_their_messages(public_list, allow_empty=True)
    # The next mail is added to counts that are right.
    archive(public_list, mail("f@x", subject="Re: Tree", references=["a@x", "d@x"], day=20))
    archive(public_list, mail("z1@x", subject="Re: Joined", references=["root@x"], day=21))
    assert_threads_match_their_messages(public_list, allow_empty=True)
