"""What the sections register names services that exist."""

from importlib import import_module

from portal.registry import DEFERRED


def _names_a_function(target: str) -> bool:
    module, _dot, name = target.rpartition(".")
    return callable(getattr(import_module(module), name, None))


def test_every_service_a_section_registers_by_name_is_there():
    assert len(DEFERRED) > 20  # the sections' search, seeds, feeds and panels
    assert [target for target in DEFERRED if not _names_a_function(target)] == []
