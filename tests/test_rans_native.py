"""The compiled bounds-checked rANS decoder (``_ransdec.c``) against the pure-Python one and
CompressAI's coder: the same symbols on valid streams, the same refusals on anything else, and
no read outside the stream or the tables (an AddressSanitizer build of the same C file decodes
hostile streams in a subprocess)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import numpy as np
import pytest
from compressai.ans import RansEncoder
from hypothesis import given, settings
from hypothesis import strategies as st

from lvqac_testing import tiny_model
from lvqac_core.entropy import encode_symbols, safe_rans
from lvqac_core.entropy.rans import SymbolStreamDecoder
from lvqac_core.entropy.safe_rans import DecodeTables, SafeRansDecoder
from lvqac_core.errors import CorruptFile, DesyncError, LvqFormatError

SOURCE = Path(safe_rans.__file__).with_name("_ransdec.c")
needs_native = pytest.mark.skipif(not safe_rans.NATIVE, reason="the compiled decoder is not built here")

_MODEL = tiny_model("minnen2018-mean", "lvqac", N=8, M=8)
_MODEL.update(force=True)
BANK = _MODEL.bank
# Tables that make hostile streams reach every branch: an escape that takes almost all the
# probability (so random bytes decode bypass codes: group counts, > 8 groups, long values), and
# an offset so close to the int32 limit that decoded escape values leave int32.
ESCAPE_HEAVY = ([[0, 1, 2, 1 << 16], [0, 7, 1 << 16]], [4, 3], [-3, 5])
NEAR_LIMIT = ([[0, 1000, 1 << 16], [0, 1, 2, 3, 1 << 16]], [3, 5], [2**31 - 8, -(2**31)])
DECODE_TABLES = [BANK.decode_tables(), DecodeTables(*ESCAPE_HEAVY), DecodeTables(*NEAR_LIMIT)]


def _outcome(stream: bytes, t: DecodeTables, indexes, native: bool, split: int = 0):
    """What decoding does: ("ok", symbols, words left) or ("refused", error type, message)."""
    try:
        dec = SafeRansDecoder(stream, "y", overrun=DesyncError, native=native)
        idx = np.asarray(indexes, dtype=np.int32)
        out = np.concatenate([dec.decode_array(t, idx[:split]), dec.decode_array(t, idx[split:])])
        return "ok", out.tolist(), dec.words_left
    except LvqFormatError as e:
        return "refused", type(e).__name__, str(e)


def test_the_compiled_decoder_is_built_where_a_compiler_is() -> None:
    cc = (sysconfig.get_config_var("CC") or "cc").split()[0]
    if shutil.which(cc) is None:
        pytest.skip(f"no C compiler ({cc}): the pure-Python decoder is used")
    assert safe_rans.NATIVE, ("lvqac_core/entropy/_ransdec.c is not built: run `pip install -e .` "
                              "(./studio setup), or `python -c 'from setuptools import setup; setup()' "
                              "build_ext --inplace` in the checkout")


@needs_native
@settings(max_examples=40, deadline=None)
@given(st.integers(4, 600).flatmap(lambda n: st.tuples(
    st.lists(st.one_of(st.integers(-4, 4), st.integers(-3000, 3000), st.integers(-2**26, 2**26)),
             min_size=n, max_size=n),
    st.lists(st.integers(0, len(BANK.cdfs) - 1), min_size=n, max_size=n),
)), st.integers(0, 600))
def test_same_symbols_as_compressai_and_python_on_valid_streams(pair, split) -> None:
    symbols, indexes = pair
    local, cdfs, lengths, offsets = BANK.subset(np.asarray(indexes))
    data = RansEncoder().encode_with_indexes(list(symbols), local, cdfs, lengths, offsets)
    split = min(split, len(symbols))
    tables = DecodeTables(cdfs, lengths, offsets)
    native = _outcome(data, tables, local, True, split)
    python = _outcome(data, tables, local, False, split)
    assert native == python
    assert native[:2] == ("ok", list(symbols))
    # the latent path: global table indexes into the whole bank, checked tables built once
    data = encode_symbols(np.asarray(symbols), np.asarray(indexes), BANK)
    assert SymbolStreamDecoder(data, BANK).decode(np.asarray(indexes, dtype=np.int32)).tolist() == list(symbols)


@needs_native
@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=300), st.integers(0, 3000), st.integers(0, len(DECODE_TABLES) - 1),
       st.lists(st.integers(0, 10**6), min_size=1, max_size=8), st.integers(0, 3000))
def test_arbitrary_streams_same_outcome_in_c_and_python(stream, count, which, picks, split) -> None:
    tables = DECODE_TABLES[which]
    indexes = [picks[i % len(picks)] % len(tables) for i in range(count)]
    native = _outcome(stream, tables, indexes, True, min(split, count))
    python = _outcome(stream, tables, indexes, False, min(split, count))
    assert native == python
    if native[0] == "refused":
        assert native[2] and "\n" not in native[2]
        if len(stream) % 4 or len(stream) < 8:
            assert native[1] == CorruptFile.__name__
    else:
        assert len(native[1]) == count and all(-2**31 <= v < 2**31 for v in native[1])
        assert native[2] >= 0


@needs_native
def test_truncated_and_mutated_valid_streams_same_outcome() -> None:
    rng = np.random.default_rng(3)
    symbols = np.concatenate([rng.integers(-20, 20, 2500), rng.integers(-10**6, 10**6, 50)])
    rng.shuffle(symbols)
    indexes = rng.integers(0, len(BANK.cdfs), symbols.size)
    data = encode_symbols(symbols, indexes, BANK)
    tables = BANK.decode_tables()
    variants = [data[:cut] for cut in range(0, len(data), 4)]
    for _ in range(200):
        b = bytearray(data)
        for pos in rng.integers(0, len(b), rng.integers(1, 4)):
            b[pos] ^= 1 << int(rng.integers(0, 8))
        variants.append(bytes(b))
    for v in variants:
        assert _outcome(v, tables, indexes, True) == _outcome(v, tables, indexes, False)
    assert _outcome(data, tables, indexes, True)[:2] == ("ok", symbols.tolist())


@needs_native
def test_escape_codes_and_int32_limits_are_refused_alike() -> None:
    seen = set()
    rng = np.random.default_rng(5)
    for which in (1, 2):
        tables = DECODE_TABLES[which]
        for _ in range(300):
            stream = rng.integers(0, 256, 4 * int(rng.integers(2, 40)), dtype=np.uint8).tobytes()
            indexes = rng.integers(0, len(tables), int(rng.integers(1, 200)))
            native = _outcome(stream, tables, indexes, True)
            assert native == _outcome(stream, tables, indexes, False)
            seen.add(native[2] if native[0] == "refused" else "ok")
    assert any("invalid escape code" in s for s in seen) and any("ends before" in s for s in seen)


@needs_native
def test_bad_tables_and_indexes_are_refused_by_both() -> None:
    from lvqac_core.entropy import _ransdec

    bad = [
        ([[0, 1 << 16]], [1], [0]),             # length < 2
        ([[0, 1 << 16]], [3], [0]),             # length beyond the cdf
        ([[1, 1 << 16]], [2], [0]),             # does not start at 0
        ([[0, 5, 5, 1 << 16]], [4], [0]),       # not strictly increasing
        ([[0, 5, 1 << 15]], [3], [0]),          # does not end at 2^16
        ([[0, 5, 1 << 16]], [3], [2**31 - 2]),  # plain symbols leave int32
        ([[0, 5, 1 << 16]], [3, 3], [0]),       # lists differ in length
    ]
    for cdfs, lengths, offsets in bad:
        with pytest.raises(ValueError):
            _ransdec.Tables(cdfs, lengths, offsets)
        with pytest.raises(ValueError):
            safe_rans._check_tables(cdfs, lengths, offsets)
    data = encode_symbols(np.zeros(8, dtype=np.int32), np.zeros(8, dtype=np.int32), BANK)
    for native in (True, False):
        dec = SafeRansDecoder(data, native=native)
        for idx in ([len(BANK.cdfs)], [-1]):
            with pytest.raises(IndexError):
                dec.decode_array(BANK.decode_tables(), np.asarray(idx, dtype=np.int32))
        assert dec.decode_array(BANK.decode_tables(), np.zeros(8, dtype=np.int32)).tolist() == [0] * 8


_ASAN_SCRIPT = r"""
import array, json, random, sys
sys.path.insert(0, sys.argv[1])
import _ransdec
spec = json.load(open(sys.argv[2]))
tables = [_ransdec.Tables(*t) for t in spec["tables"]]
rng = random.Random(7)
indexes = [array.array("i", [rng.randrange(len(t[0])) for _ in range(4000)]) for t in spec["tables"]]
runs = 0
def run(stream, t, count):
    global runs
    idx = indexes[t][:count]
    out = array.array("i", bytes(4 * count))
    try:
        dec = _ransdec.Decoder(stream)
    except ValueError:
        return
    half = count // 2
    if dec.decode(tables[t], idx[:half], out[:half]) == 0:
        dec.decode(tables[t], idx[half:], out[half:])
    runs += 1
for v in spec["valid"]:
    v = bytes.fromhex(v)
    for cut in range(0, len(v) + 1):
        run(v[:cut], 0, 3030)
for _ in range(20000):
    n = 4 * rng.choice([0, 1, 2, 3, 4, 16, 64]) + rng.choice([0, 0, 0, 1, 3])
    run(rng.randbytes(n), rng.randrange(len(tables)), rng.choice([1, 10, 100, 4000]))
print("runs", runs)
"""


@needs_native
def test_no_out_of_bounds_read_under_address_sanitizer(tmp_path) -> None:
    """Builds _ransdec.c with -fsanitize=address and decodes truncated, random and escape-heavy
    streams in a subprocess; Python's allocator is switched to malloc so that every bytes object
    and table has red zones: any read past the stream or a table aborts the subprocess."""
    cc = (sysconfig.get_config_var("CC") or "cc").split()[0]
    if shutil.which(cc) is None:
        pytest.skip("no C compiler")
    libasan = subprocess.run([cc, "-print-file-name=libasan.so"], capture_output=True, text=True).stdout.strip()
    if not os.path.isabs(libasan) or not os.path.exists(libasan):
        pytest.skip("no AddressSanitizer runtime for this compiler")
    so = tmp_path / f"_ransdec{sysconfig.get_config_var('EXT_SUFFIX')}"
    build = subprocess.run([cc, "-shared", "-fPIC", "-O1", "-g", "-fsanitize=address", "-fno-omit-frame-pointer",
                            f"-I{sysconfig.get_paths()['include']}", str(SOURCE), "-o", str(so)],
                           capture_output=True, text=True)
    assert build.returncode == 0, build.stderr
    rng = np.random.default_rng(11)
    symbols = np.concatenate([rng.integers(-30, 30, 3000), rng.integers(-10**7, 10**7, 30)])
    indexes = rng.integers(0, len(BANK.cdfs), symbols.size)
    local, cdfs, lengths, offsets = BANK.subset(indexes)
    valid = RansEncoder().encode_with_indexes(symbols.tolist(), local, cdfs, lengths, offsets)
    spec = {"tables": [[cdfs, lengths, offsets], [list(map(list, ESCAPE_HEAVY[0])), *ESCAPE_HEAVY[1:]],
                       [list(map(list, NEAR_LIMIT[0])), *NEAR_LIMIT[1:]]],
            "valid": [valid.hex()]}
    (tmp_path / "spec.json").write_text(json.dumps(spec))
    (tmp_path / "run.py").write_text(_ASAN_SCRIPT)
    env = {**os.environ, "LD_PRELOAD": libasan, "PYTHONMALLOC": "malloc",
           "ASAN_OPTIONS": "detect_leaks=0:abort_on_error=1"}
    proc = subprocess.run([sys.executable, str(tmp_path / "run.py"), str(tmp_path), str(tmp_path / "spec.json")],
                          capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0 and "AddressSanitizer" not in proc.stderr, proc.stderr[-3000:]
    assert proc.stdout.split()[-1].isdigit() and int(proc.stdout.split()[-1]) > 8000


@pytest.mark.parametrize("bad", [-1, "n_tables"])
def test_table_indexes_outside_the_bank_are_refused_before_coding(bad):
    """Encoder and decoder both ask the bank to check the indexes (one check, one message)."""
    bad = BANK.n_tables if bad == "n_tables" else bad
    indexes = np.array([0, bad, 0], dtype=np.int32)
    with pytest.raises(IndexError, match=f"outside the {BANK.n_tables} tables"):
        BANK.check_indexes(indexes)
    with pytest.raises(IndexError, match=f"outside the {BANK.n_tables} tables"):
        encode_symbols(np.zeros(3, dtype=np.int32), indexes, BANK)
    data = encode_symbols(np.zeros(3, dtype=np.int32), np.zeros(3, dtype=np.int32), BANK)
    with pytest.raises(IndexError, match=f"outside the {BANK.n_tables} tables"):
        SymbolStreamDecoder(data, BANK).decode(indexes)
    BANK.check_indexes(np.zeros(0, dtype=np.int32))  # nothing to check
