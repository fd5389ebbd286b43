"""The CPU thread policy, in one place: how many intra-op threads torch uses, and which work
must run on exactly one thread so that a file does not depend on the thread count.

- :func:`one_thread` runs a block on one intra-op thread. The encoder's analysis transforms
  (g_a, h_a) run inside it: oneDNN convolutions round differently on one thread than on several
  (measured: 94 245 of kodim15's 98 304 latent values differ in the last bit between 1 and 2
  threads, and a value at a rounding edge then changes the file). The coding networks do not
  need it (they are exact: :mod:`lvqac_core.models.exact`), nor does the synthesis (its pixels
  are the same on 1, 2 and 4 threads: tests/test_thread_invariance.py).
- :func:`default_threads` is the number of threads the command line, the app, evaluation and
  benchmarks use unless told (``--threads N``, the app's setting, ``LVQAC_THREADS``); see
  docs/speed.md for what was measured.
- :func:`configure_openmp` chooses OpenMP's wait policy; it must run before torch is imported
  (the command line and the app call it first thing).
- :func:`apply` sets torch's intra-op pool once, at start-up.
- :func:`small_work` runs the entropy coding's networks and maps (latent-sized work cut into many
  short parallel regions) on one thread when OpenMP's waiting threads sleep: waking them for
  each region costs more than the second thread gains there (docs/speed.md).
"""
from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from typing import Iterator, Optional

__all__ = ["ENV", "WAIT_ENV", "WAIT_POLICIES", "DEFAULT_WAIT", "MAX_THREADS", "one_thread", "passive_wait",
           "small_work", "usable_cores", "default_threads", "resolve", "apply", "configure_openmp"]

ENV = "LVQAC_THREADS"
"""Environment variable that sets the thread count (as ``--threads``)."""

WAIT_ENV = "LVQAC_OMP_WAIT"
"""Environment variable choosing OpenMP's wait policy: ``passive`` or ``openmp`` (leave it to
OpenMP and ``OMP_WAIT_POLICY``)."""

WAIT_POLICIES = ("passive", "openmp")
DEFAULT_WAIT = "passive"

MAX_THREADS = 256


@contextmanager
def one_thread() -> Iterator[None]:
    """Run the block on one intra-op thread (restores the previous count after)."""
    import torch

    n = torch.get_num_threads()
    if n == 1:
        yield
        return
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(n)


def passive_wait() -> bool:
    """True when OpenMP's waiting threads sleep at once (``OMP_WAIT_POLICY=PASSIVE``, which
    :func:`configure_openmp` sets by default)."""
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


def default_threads() -> int:
    """The thread count when nobody asked: ``LVQAC_THREADS`` if set and valid, else the usable cores."""
    env = os.environ.get(ENV, "").strip()
    if env.isdigit() and 1 <= int(env) <= MAX_THREADS:
        return int(env)
    return usable_cores()


def resolve(threads: Optional[int]) -> int:
    """``threads`` if given (1..MAX_THREADS), else :func:`default_threads`."""
    if threads is None or threads == 0:
        return default_threads()
    if not 1 <= int(threads) <= MAX_THREADS:
        raise ValueError(f"threads must be between 1 and {MAX_THREADS}, got {threads}")
    return int(threads)


def apply(threads: Optional[int] = None) -> int:
    """Set torch's intra-op thread count (:func:`resolve`); returns it."""
    import torch

    n = resolve(threads)
    if torch.get_num_threads() != n:
        torch.set_num_threads(n)
    return n


def configure_openmp() -> bool:
    """Set OpenMP's wait policy before torch loads its OpenMP runtime (libgomp reads the
    environment once, when it is loaded). With ``passive`` (the default, :data:`WAIT_ENV`) a
    thread that reaches a barrier first sleeps instead of spinning, so a descheduled thread does
    not leave the others burning the cores it needs. An ``OMP_WAIT_POLICY`` the user set wins.
    Returns True when it set the policy; False when torch was already imported or it had nothing
    to do."""
    choice = os.environ.get(WAIT_ENV, DEFAULT_WAIT).strip().lower()
    if choice != "passive" or "OMP_WAIT_POLICY" in os.environ or "torch" in sys.modules:
        return False
    os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
    return True
