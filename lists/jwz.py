"""Threading by Jamie Zawinski's algorithm (https://www.jwz.org/doc/threading.html), kept
incrementally: the forest of Message-IDs lives in ThreadNode rows, and each batch of new mail
loads the trees it touches, links its messages in, and says which nodes moved.

Steps 1A-1C of the algorithm: every Message-ID in References gets a container (a placeholder
until its message arrives), consecutive References are linked parent to child unless the child
has a parent already or the link would make a loop, and a message's own last reference is its
parent (its own headers win over what others said of it), again never making a loop. No
grouping by subject (step 5): a thread is what the headers say. Trees are thread units: each
tree keeps the thread id most of its old nodes had, so URLs of threads stay put.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from itertools import pairwise


@dataclass
class Container:
    message_id: str
    parent: str = ""
    thread_id: int | None = None
    node_pk: int | None = None
    message_pk: int | None = None
    # What the database holds, to tell which rows a batch must write.
    stored_parent: str | None = None
    stored_thread_id: int | None = None
    stored_message_pk: int | None = None
    stored_parent_pk: int | None = None


@dataclass
class Forest:
    containers: dict[str, Container] = field(default_factory=dict)

    def get(self, message_id: str) -> Container:
        container = self.containers.get(message_id)
        if container is None:
            container = self.containers[message_id] = Container(message_id=message_id)
        return container

    def is_ancestor(self, ancestor: str, of: str) -> bool:
        """Whether `ancestor` is `of` or above it (bounded: corrupt stored parents cannot hang)."""
        seen = set()
        current = of
        while current and current not in seen:
            if current == ancestor:
                return True
            seen.add(current)
            container = self.containers.get(current)
            current = container.parent if container else ""
        return False

    def link(self, parent: str, child: str, *, override: bool = False) -> None:
        node = self.get(child)
        self.get(parent)
        if node.parent == parent:
            return
        if node.parent and not override:
            return
        if self.is_ancestor(child, parent):
            return  # the link would close a loop: the first word stands
        node.parent = parent

    def add(self, message_id: str, references: list[str]) -> Container:
        """Step 1 for one message: its references chained, then its own parent."""
        refs = [r for r in dict.fromkeys(references) if r != message_id]
        for parent, child in pairwise(refs):
            self.link(parent, child)
        node = self.get(message_id)
        if refs:
            self.link(refs[-1], message_id, override=True)
        return node

    def root(self, message_id: str) -> str:
        seen = set()
        current = message_id
        while True:
            seen.add(current)
            parent = self.containers[current].parent
            if not parent or parent in seen or parent not in self.containers:
                return current
            current = parent

    def trees(self) -> dict[str, list[Container]]:
        """Every container grouped under its root's Message-ID."""
        groups: dict[str, list[Container]] = {}
        for message_id, container in self.containers.items():
            groups.setdefault(self.root(message_id), []).append(container)
        return groups


def assign_threads(forest: Forest) -> tuple[dict[str, list[Container]], set[int]]:
    """Give each tree a thread id: the one most of its old nodes had (None: a new thread).

    Returns the trees with container.thread_id set where an old thread survives, and the ids
    of old threads no tree kept (their nodes all moved into others): to be deleted.
    """
    trees = forest.trees()
    old_ids = {c.stored_thread_id for c in forest.containers.values() if c.stored_thread_id}
    claimed: set[int] = set()
    # Larger trees choose first, so a merge keeps the id of the bigger side.
    for _root, members in sorted(trees.items(), key=lambda item: (-len(item[1]), item[0])):
        votes = Counter(c.stored_thread_id for c in members if c.stored_thread_id)
        chosen = None
        for thread_id, _count in sorted(votes.items(), key=lambda kv: (-kv[1], kv[0])):
            if thread_id not in claimed:
                chosen = thread_id
                break
        if chosen is not None:
            claimed.add(chosen)
        for container in members:
            container.thread_id = chosen
    return trees, old_ids - claimed


def nearest_message(forest: Forest, container: Container) -> int | None:
    """The message pk of the nearest archived ancestor (placeholders skipped)."""
    seen = {container.message_id}
    current = forest.containers.get(container.parent) if container.parent else None
    while current is not None and current.message_id not in seen:
        if current.message_pk is not None:
            return current.message_pk
        seen.add(current.message_id)
        current = forest.containers.get(current.parent) if current.parent else None
    return None


def display_tree(nodes: list[tuple[str, str, object]]) -> list[tuple[int, object]]:
    """(message_id, parent_ref, item-or-None) rows of one thread into (depth, item) in reading
    order; placeholders (item None) are dropped and their children lifted."""
    children: dict[str, list[str]] = {}
    items = {}
    ids = set()
    for message_id, _parent, item in nodes:
        ids.add(message_id)
        items[message_id] = item
    roots = []
    for message_id, parent, _item in nodes:
        if parent and parent in ids and parent != message_id:
            children.setdefault(parent, []).append(message_id)
        else:
            roots.append(message_id)

    def sort_key(message_id: str):
        item = items.get(message_id)
        return (getattr(item, "date", None) is None, getattr(item, "date", None), message_id)

    out: list[tuple[int, object]] = []
    visited: set[str] = set()

    def walk(start: list[str]) -> None:
        stack = [(0, r) for r in sorted(start, key=sort_key, reverse=True)]
        while stack:
            depth, message_id = stack.pop()
            if message_id in visited:
                continue
            visited.add(message_id)
            item = items.get(message_id)
            next_depth = depth
            if item is not None:
                out.append((depth, item))
                next_depth = depth + 1
            for child in sorted(children.get(message_id, []), key=sort_key, reverse=True):
                stack.append((next_depth, child))

    walk(roots)
    # Nodes caught in a stored cycle have no root: they are shown all the same.
    left = [message_id for message_id, _parent, _item in nodes if message_id not in visited]
    while left:
        walk(left[:1])
        left = [message_id for message_id in left if message_id not in visited]
    return out
