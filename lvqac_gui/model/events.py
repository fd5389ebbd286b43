"""A tiny Qt-free signal: the session model emits, widgets (or tests) connect."""
from __future__ import annotations

from typing import Any, Callable


class Signal:
    """``connect(fn)`` / ``emit(*args)``; slots run synchronously, in order."""

    def __init__(self, name: str = "") -> None:
        self.name = name
        self._slots: list[Callable[..., Any]] = []

    def connect(self, slot: Callable[..., Any]) -> Callable[..., Any]:
        if slot not in self._slots:
            self._slots.append(slot)
        return slot

    def emit(self, *args: Any) -> None:
        for slot in list(self._slots):
            slot(*args)

    def __len__(self) -> int:
        return len(self._slots)
