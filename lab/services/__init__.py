"""Writes of the lab: one function per state change, keyword-only, typed, atomic; each raises
LabError naming what it refused, and changes nothing when it does."""

from lab.errors import LabError

__all__ = ["LabError"]
