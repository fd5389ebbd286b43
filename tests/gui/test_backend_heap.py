"""The app gives the tuned heap's free pages back after every job (lvqac_core.allocator)."""
from __future__ import annotations

import types

import pytest

from lvqac_core import allocator
from lvqac_gui.model.backend import Backend


def test_backend_releases_the_heap_after_each_job_even_a_failed_one(monkeypatch):
    calls = []
    monkeypatch.setattr(allocator, "release", lambda: calls.append("release"))
    with pytest.raises(ValueError, match="unknown job kind"):
        Backend().run(types.SimpleNamespace(kind="nonsense", device="cpu"))
    assert calls == ["release"]
