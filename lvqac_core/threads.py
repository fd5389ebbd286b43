"""The CPU thread policy, in one place: how many intra-op threads torch uses, and which work
must run on exactly one thread so that a file does not depend on the thread count.

- :func:`one_thread` runs a block on one intra-op thread. The encoder's analysis transforms
  (g_a, h_a) run inside it: oneDNN convolutions round differently on one thread than on several
  (measured: 94 245 of kodim15's 98 304 latent values differ in the last bit between 1 and 2
  threads, and a value at a rounding edge then changes the file). The coding networks do not
  need it (they are exact: :mod:`lvqac_core.models.exact`). The synthesis g_s runs inside it
  too (``LatticeCodecModel.synthesis_bands``): its pixels were the same on 1, 2 and 4 threads on
  the AVX512 machines, but an AMD EPYC with AVX2 changed them (tests/test_thread_invariance.py).
  Several cores still serve them: bands of latent rows side by side, each on one intra-op
  thread (:mod:`lvqac_core.models.parallel_bands`).
- :func:`apply` sets the calling thread's intra-op count for the work it starts: a fixed count
  when one was asked for (``--threads N``, the app's setting, ``LVQAC_THREADS``), else the
  **automatic** count: the usable cores minus the threads of other work that want a CPU
  (:mod:`lvqac_core.cpu_load`), at least one. :func:`recheck` (called at each progress report
  and between bands) follows the load while the work runs, so a program that starts on another
  core mid-job takes a thread away within one stage. docs/speed.md says what was measured.
  A thread that called ``apply(None)`` keeps following the load until ``apply(n)`` fixes a count;
  a bare ``torch.set_num_threads`` does not stop it (the next recheck sets the count again).
  Library code that never calls ``apply(None)`` keeps whatever count its caller set.
- :func:`configure_openmp` chooses OpenMP's wait policy; it must run before torch is imported
  (the command line and the app call it first thing). With the automatic count the threads may
  spin (libgomp's default): they only run beside each other on cores nothing else wants. Where
  the load cannot be read (no ``/proc``) the threads sleep at once instead (``passive``).
- :func:`small_work` runs the entropy coding's networks and maps (latent-sized work cut into many
  short parallel regions) on one thread when OpenMP's waiting threads sleep: waking them for
  each region costs more than the second thread gains there (docs/speed.md).
"""
from __future__ import annotations

import os
import sys
import threading
import time
from contextlib import contextmanager
from typing import Iterator, Optional

from . import cpu_load

__all__ = ["ENV", "WAIT_ENV", "WAIT_POLICIES", "DEFAULT_WAIT", "MAX_THREADS", "RECHECK_SECONDS", "one_thread",
           "passive_wait", "small_work", "usable_cores", "default_threads", "resolve", "automatic_count", "apply",
           "recheck", "is_automatic", "mark", "used_text", "configure_openmp"]

ENV = "LVQAC_THREADS"
"""Environment variable that sets the thread count (as ``--threads``)."""

WAIT_ENV = "LVQAC_OMP_WAIT"
"""Environment variable choosing OpenMP's wait policy: ``auto`` (the default: OpenMP's own where
the load can be read, else ``passive``), ``passive`` (threads sleep at once) or ``openmp`` (leave it
to OpenMP and ``OMP_WAIT_POLICY``)."""

WAIT_POLICIES = ("auto", "passive", "openmp")
DEFAULT_WAIT = "auto"

MAX_THREADS = 256

RECHECK_SECONDS = 0.05
"""How often at most :func:`recheck` reads the load (one reading costs about 0.1 ms)."""


class _State(threading.local):
    automatic = False  # this thread's count follows the load (apply(None) without LVQAC_THREADS)
    count = 0  # the count this thread's work runs with outside one_thread blocks
    pinned = 0  # depth of one_thread blocks
    checked = 0.0  # time.monotonic() of the last reading
    used: frozenset = frozenset()  # the counts this thread's work ran with since mark() / apply()


_state = _State()


@contextmanager
def one_thread() -> Iterator[None]:
    """Run the block on one intra-op thread (restores the thread's count after: the count
    :func:`recheck` chose meanwhile, if it follows the load)."""
    import torch

    n = torch.get_num_threads()
    _state.pinned += 1
    if n != 1:
        torch.set_num_threads(1)
    try:
        yield
    finally:
        _state.pinned -= 1
        # inside an outer one_thread block stay on one; else the count recheck chose meanwhile
        back = 1 if _state.pinned else _state.count if _state.automatic and _state.count else n
        if torch.get_num_threads() != back:
            torch.set_num_threads(back)


def passive_wait() -> bool:
    """True when OpenMP's waiting threads sleep at once (``OMP_WAIT_POLICY=PASSIVE``)."""
    return os.environ.get("OMP_WAIT_POLICY", "").strip().upper() == "PASSIVE"


@contextmanager
def small_work() -> Iterator[None]:
    """Run the block on one intra-op thread when OpenMP's wait is passive (:func:`passive_wait`),
    else as it is. For work made of many short parallel regions (the exact coding networks' matrix
    products per kernel tap, the likelihood maps): a sleeping thread's wake-up at each region
    costs more than it gains. The numbers do not depend on it (the coding networks are exact)."""
    if not passive_wait():
        yield
        return
    with one_thread():
        yield


def usable_cores() -> int:
    """Cores this process may run on (its CPU affinity, which containers and ``taskset`` narrow)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not Linux
        return max(1, os.cpu_count() or 1)


def _env_threads() -> Optional[int]:
    env = os.environ.get(ENV, "").strip()
    if env.isdigit() and 1 <= int(env) <= MAX_THREADS:
        return int(env)
    return None


def default_threads() -> int:
    """The most threads the work uses when nobody asked: ``LVQAC_THREADS`` if set and valid, else
    the usable cores (the automatic count uses fewer while other work wants them)."""
    return _env_threads() or usable_cores()


def resolve(threads: Optional[int]) -> int:
    """``threads`` if given (1..MAX_THREADS), else :func:`default_threads`."""
    if threads is None or threads == 0:
        return default_threads()
    if not 1 <= int(threads) <= MAX_THREADS:
        raise ValueError(f"threads must be between 1 and {MAX_THREADS}, got {threads}")
    return int(threads)


def automatic_count(others: Optional[int]) -> int:
    """The usable cores less ``others`` (threads of other work wanting a CPU), at least one; all
    of them when the load is unknown (None)."""
    cores = usable_cores()
    return cores if others is None else max(1, min(cores, cores - others))


def is_automatic() -> bool:
    """Whether the calling thread's count follows the load (:func:`apply` without a count)."""
    return _state.automatic


def apply(threads: Optional[int] = None) -> int:
    """Set the calling thread's intra-op thread count for the work it starts; returns it.

    A count given (or ``LVQAC_THREADS``) is fixed. Without one the count is automatic: the usable
    cores less the threads of other work that want a CPU now (a few readings over a few
    milliseconds, :func:`lvqac_core.cpu_load.others_running_sampled`), and :func:`recheck` keeps
    following the load while the work runs."""
    import torch

    fixed = None if threads is None or threads == 0 else resolve(threads)
    fixed = fixed or _env_threads()
    _state.automatic = fixed is None
    n = fixed if fixed is not None else automatic_count(cpu_load.others_running_sampled())
    _state.count = n
    _state.used = frozenset({n})
    _state.checked = time.monotonic()
    if _state.pinned == 0 and torch.get_num_threads() != n:
        torch.set_num_threads(n)
    return n


def recheck() -> None:
    """For a thread whose count is automatic: read the load (at most every
    :data:`RECHECK_SECONDS`) and take the count that leaves the cores other work wants (or give
    them back when it has gone). Cheap to call often; does nothing for a fixed count."""
    if not _state.automatic:
        return
    now = time.monotonic()
    if now - _state.checked < RECHECK_SECONDS:
        return
    _state.checked = now
    n = automatic_count(cpu_load.others_running())
    if n == _state.count:
        return
    # a change: confirm it (a kernel thread passing by shows in a few readings of 100 on an
    # idle machine, and each wrong drop costs a stage on one thread)
    n = automatic_count(cpu_load.others_running_sampled(3, 0.0002))
    if n == _state.count:
        return
    _state.count = n
    _state.used = _state.used | {n}
    if _state.pinned == 0:
        import torch

        torch.set_num_threads(n)


def mark() -> None:
    """Start counting the thread counts the calling thread's work runs with (:func:`used_text`)."""
    if _state.automatic and _state.count:
        _state.used = frozenset({_state.count})
    else:
        import torch

        _state.used = frozenset({torch.get_num_threads()})


def used_text() -> str:
    """The thread counts used since :func:`mark` (outside one-thread blocks): ``"2"``, ``"1–2"``;
    ``" (automatic)"`` when the count follows the load."""
    if not _state.used:
        mark()
    lo, hi = min(_state.used), max(_state.used)
    text = f"{lo}" if lo == hi else f"{lo}–{hi}"
    return text + (" (automatic)" if _state.automatic else "")


def configure_openmp() -> bool:
    """Set OpenMP's wait policy before torch loads its OpenMP runtime (libgomp reads the
    environment once, when it is loaded). ``auto`` (the default, :data:`WAIT_ENV`) leaves OpenMP's
    own wait (spin, then sleep) where the automatic count can follow the load, and sets
    ``OMP_WAIT_POLICY=PASSIVE`` where it cannot (no ``/proc``: a thread that reaches a barrier first
    then sleeps instead of spinning, so a descheduled thread does not leave the others burning
    the cores it needs); ``passive`` sets it always. An ``OMP_WAIT_POLICY`` the user set wins.
    Returns True when it set the policy; False when torch was already imported or it had nothing
    to do."""
    choice = os.environ.get(WAIT_ENV, DEFAULT_WAIT).strip().lower()
    if choice not in WAIT_POLICIES:
        choice = DEFAULT_WAIT
    if choice == "openmp" or "OMP_WAIT_POLICY" in os.environ or "torch" in sys.modules:
        return False
    if choice == "auto" and cpu_load.available():
        return False
    os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
    return True
