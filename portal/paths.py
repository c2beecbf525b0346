"""Paths a person gives a command stay in the folder they name: `..` and symbolic links are
resolved before anything is read, so neither can lead to a file elsewhere (/etc/shadow linked
into a Maildir would otherwise become a public message)."""

from __future__ import annotations

from pathlib import Path


def inside(folder: Path, path: Path) -> bool:
    """Whether path, links and `..` resolved, lies within folder (itself resolved)."""
    root = folder.resolve()
    try:
        resolved = path.resolve(strict=True)
    except (OSError, RuntimeError):  # a dangling link or a loop: nothing to read there
        return False
    return resolved == root or resolved.is_relative_to(root)
