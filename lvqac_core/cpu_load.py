"""How many threads of other work want a CPU right now: what the automatic thread count
(:mod:`lvqac_core.threads`) leaves room for.

Linux's count of runnable threads (the fourth field of ``/proc/loadavg``, ``running/total``; the
same number as ``procs_running`` in ``/proc/stat``, in a shorter file) is the number of threads
running or waiting for a CPU at the instant it is read, across the machine, this process's own
included. From it this module
subtracts the threads of this process that belong to the work asking: the calling thread and
threads Python did not start (torch's OpenMP pool, which may still be spinning after its last
parallel region). Other Python threads of this process (the app's window, a background model
load) count as other work: they compete for the same cores.

A niced background job counts as much as any other: it holds a core, and OpenMP threads that
spin at a barrier while one of them waits for that core are what makes a parallel region take a
scheduler slice (docs/speed.md, "No cliff when a core is busy").

Where ``/proc`` is not there (not Linux) every function returns None: nothing is known.
"""
from __future__ import annotations

import os
import threading
import time
from typing import Optional

__all__ = ["available", "others_running", "others_running_sampled"]

_LOADAVG = "/proc/loadavg"
_TASKS = "/proc/self/task"


def available() -> bool:
    """Whether the load can be read here (``/proc/loadavg``)."""
    return _procs_running() is not None


def _procs_running() -> Optional[int]:
    try:
        with open(_LOADAVG, "rb") as f:
            return int(f.read().split()[3].split(b"/")[0])
    except (OSError, ValueError, IndexError):
        return None


def _own_running_excluding(python_others: set[int]) -> int:
    """This process's threads in state R (running or runnable), except those in ``python_others``."""
    n = 0
    try:
        tids = os.listdir(_TASKS)
    except OSError:
        return 1
    for tid in tids:
        if not tid.isdigit() or int(tid) in python_others:
            continue
        try:
            with open(f"{_TASKS}/{tid}/stat", "rb") as f:
                stat = f.read()
        except OSError:  # the thread ended meanwhile
            continue
        end = stat.rfind(b")")  # the name, in parentheses, may hold spaces
        if end >= 0 and stat[end + 2:end + 3] == b"R":
            n += 1
    return n


def others_running() -> Optional[int]:
    """Threads of other work running or waiting for a CPU now (one reading; see the module)."""
    total = _procs_running()
    if total is None:
        return None
    me = threading.get_native_id()
    python_others = {t.native_id for t in threading.enumerate() if t.native_id is not None} - {me}
    return max(0, total - _own_running_excluding(python_others))


def others_running_sampled(samples: int = 5, interval: float = 0.001) -> Optional[int]:
    """:func:`others_running` read ``samples`` times ``interval`` seconds apart; the second highest
    reading, so that one passing thread (a reading of an idle machine shows one in about 1 of
    100) does not count while a steady load does."""
    readings = []
    for i in range(max(1, samples)):
        if i:
            time.sleep(interval)
        r = others_running()
        if r is None:
            return None
        readings.append(r)
    readings.sort()
    return readings[-2] if len(readings) > 1 else readings[0]
