"""Misuse of the compiled decoder's module from Python, under AddressSanitizer and
UndefinedBehaviorSanitizer: re-initialising a Decoder while another thread decodes with it,
re-initialising Tables (also from inside their own first ``__init__``), sequences that change
while they are read, and offsets at the int64 limits. Each must be a Python exception, never a
read of freed memory or a signed overflow."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig

import pytest

from lvqac_core.entropy import safe_rans

SOURCE = os.path.join(os.path.dirname(safe_rans.__file__), "_ransdec.c")

_SCRIPT = r"""
import sys, threading
import numpy as np
sys.path.insert(0, sys.argv[1])
import _ransdec

refused = 0

def expect(exc, fn, *args):
    global refused
    try:
        fn(*args)
    except exc:
        refused += 1
        return
    raise SystemExit(f"accepted: {fn} {args}")

# offsets at and beyond the int64 limits: refused without a signed overflow
for off in (2**63 - 1, 2**63 - 2, 2**62, 2**31 - 2, -(2**63), -(2**31) - 1):
    expect((ValueError, OverflowError), _ransdec.Tables, [[0, 1 << 16]], [2], [off])
expect(OverflowError, _ransdec.Tables, [[0, 1 << 16]], [2], [2**64])
_ransdec.Tables([[0, 1 << 16]], [2], [2**31 - 3])  # the largest offset that fits

# Tables: a second __init__ is refused, also one made from inside the first
t = _ransdec.Tables([[0, 1 << 15, 1 << 16]], [3], [0])
expect(RuntimeError, t.__init__, [[0, 1 << 16]], [2], [0])

class Reinit:
    def __init__(self, value):
        self.value, self.target = value, None
    def __index__(self):
        if self.target is not None:
            expect(RuntimeError, self.target.__init__, [[0] * 5000 + [1 << 16]], [5001], [0])
        return self.value

hook = Reinit(0)
inner = _ransdec.Tables.__new__(_ransdec.Tables)
hook.target = inner
inner.__init__([[0, 1 << 15, 1 << 16]], [3], [hook])

# a cdf list emptied while it is read (one of its items' __index__ clears it): the copy is read
class ClearRow:
    def __index__(self):
        row.clear()
        return 1 << 8

row = [0, ClearRow()] + list(range(1 << 9, 1 << 16, 1 << 8)) + [1 << 16]
_ransdec.Tables([row], [len(row)], [0])
refused += 1

# Decoder: re-initialised (with a shorter stream) while another thread decodes with the GIL released
tables = _ransdec.Tables([[0, 1 << 15, 1 << 16]], [3], [0])
for attempt in range(20):
    dec = _ransdec.Decoder(bytes(4 * 400_000))
    idx = np.zeros(399_000, dtype=np.int32)
    out = np.empty_like(idx)
    worker = threading.Thread(target=dec.decode, args=(tables, idx, out))
    worker.start()
    while worker.is_alive():
        expect(RuntimeError, dec.__init__, bytes(8))
    worker.join()
    expect(RuntimeError, dec.__init__, bytes(8))
print("refused", refused)
"""


def test_module_misuse_is_refused_under_asan_and_ubsan(tmp_path) -> None:
    cc = (sysconfig.get_config_var("CC") or "cc").split()[0]
    if shutil.which(cc) is None:
        pytest.skip("no C compiler")
    libasan = subprocess.run([cc, "-print-file-name=libasan.so"], capture_output=True, text=True).stdout.strip()
    if not os.path.isabs(libasan) or not os.path.exists(libasan):
        pytest.skip("no AddressSanitizer runtime for this compiler")
    so = tmp_path / f"_ransdec{sysconfig.get_config_var('EXT_SUFFIX')}"
    build = subprocess.run([cc, "-shared", "-fPIC", "-O1", "-g", "-fsanitize=address,undefined",
                            "-fno-sanitize-recover=undefined", "-fno-omit-frame-pointer",
                            f"-I{sysconfig.get_paths()['include']}", SOURCE, "-o", str(so)],
                           capture_output=True, text=True)
    assert build.returncode == 0, build.stderr
    (tmp_path / "run.py").write_text(_SCRIPT)
    env = {**os.environ, "LD_PRELOAD": libasan, "PYTHONMALLOC": "malloc",
           "ASAN_OPTIONS": "detect_leaks=0:abort_on_error=1", "UBSAN_OPTIONS": "halt_on_error=1:print_stacktrace=1"}
    proc = subprocess.run([sys.executable, str(tmp_path / "run.py"), str(tmp_path)],
                          capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    assert "Sanitizer" not in proc.stderr and "runtime error" not in proc.stderr, proc.stderr[-4000:]
    assert int(proc.stdout.split()[-1]) >= 30
