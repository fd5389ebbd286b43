"""A tiny Qt-free signal: the session model emits, widgets (or tests) connect. A class declares
its signals with their argument types (``changed = signal(int, str)``, like Qt's ``Signal``);
each instance gets its own :class:`Signal`."""
from __future__ import annotations

from typing import Any, Callable


class Signal:
    """``connect(fn)`` / ``emit(*args)``; slots run synchronously, in order."""

    def __init__(self, name: str = "", types: tuple = ()) -> None:
        self.name = name
        self.types = types  # the arguments' types, as declared (documentation)
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


class signal:  # noqa: N801 - used like a function, as Qt's Signal(...) in a class body
    """A signal declared on a class with its arguments' types: ``busy_changed = signal(bool)``.
    Reading it on an instance gives that instance's own :class:`Signal` (made on first use)."""

    def __init__(self, *types: Any) -> None:
        self.types = types
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, owner: type | None = None):
        if obj is None:
            return self
        found = obj.__dict__.get(self.name)
        if found is None:
            found = obj.__dict__[self.name] = Signal(self.name, self.types)
        return found

    @property
    def signature(self) -> str:
        """``(float, str)``: what a slot receives."""
        return "(" + ", ".join(t.__name__ if isinstance(t, type) else str(t).replace("typing.", "")
                               for t in self.types) + ")"
