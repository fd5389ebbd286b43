"""Coverage-guided fuzz target for the ``.lvq`` container parser and the bounds-checked rANS
decoder (atheris / libFuzzer).

    pip install atheris            # or: pip install -e .[fuzz]
    python fuzz/fuzz_container.py -runs=200000            # seeds: tests/data/golden.lvq + a tiny file
    python fuzz/fuzz_container.py -max_total_time=60 my_corpus/

Without a corpus directory a temporary one is made from the seeds (nothing is written to the
repository). Each input is used three ways, chosen by its first byte: as a file as is; with
its CRC32 recomputed (so mutations reach the field checks behind the checksum); and as a rANS
stream for the latent tables of a tiny model. Allowed outcomes: a parsed file that re-packs to
the same bytes, or an ``LvqFormatError`` with a one-line message. Anything else (another
exception, a crash) is a finding.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import struct
import sys
import tempfile
import zlib
from pathlib import Path

import atheris
import numpy  # noqa: F401  heavy dependencies first, uninstrumented
import torch  # noqa: F401

with atheris.instrument_imports(include=["lvqac_core"]):
    from lvqac_core import bitstream
    from lvqac_core.entropy.safe_rans import SafeRansDecoder
    from lvqac_core.errors import LvqFormatError

ROOT = Path(__file__).resolve().parent.parent
SEEDS = [ROOT / "tests" / "data" / "golden.lvq"]
_TABLES = None


def _tables():
    """Latent tables of a tiny random model (built once; no weights are downloaded)."""
    global _TABLES
    if _TABLES is None:
        import torch

        torch.set_num_threads(1)
        from lvqac_core.models import build_model

        bank = build_model(architecture="minnen2018-mean", quantizer="lvqac", N=8, M=8).eval()
        bank.update(force=True)
        _TABLES = bank.bank
    return _TABLES


def _check_message(e: Exception) -> None:
    msg = str(e)
    if not msg or "\n" in msg:
        raise AssertionError(f"{type(e).__name__} without a one-line message: {msg!r}")


def test_one_input(data: bytes) -> None:
    if not data:
        return
    mode, body = data[0] % 3, data[1:]
    if mode == 1 and len(body) >= 4:
        body = body[:-4] + struct.pack("<I", zlib.crc32(body[:-4]))
    if mode in (0, 1):
        try:
            header, sections = bitstream.unpack(body)
        except LvqFormatError as e:
            _check_message(e)
            return
        if bitstream.read_header(body) != header:
            raise AssertionError("read_header and unpack disagree")
        if header.format_version == bitstream.FORMAT_VERSION:
            again = bitstream.pack(header, sections)
            if again != body:
                raise AssertionError("a parsed file does not re-pack to the same bytes")
        return
    bank = _tables()
    fdp = atheris.FuzzedDataProvider(body)
    count = fdp.ConsumeIntInRange(0, 4096)
    idx = [fdp.ConsumeIntInRange(0, len(bank.cdfs) - 1) for _ in range(min(count, 64))] or [0]
    stream = fdp.ConsumeBytes(fdp.remaining_bytes())
    try:
        dec = SafeRansDecoder(stream, "fuzzed stream")
        indexes = [idx[i % len(idx)] for i in range(count)]
        out = dec.decode(indexes, bank.cdfs, bank.lengths, bank.offsets)
    except LvqFormatError as e:
        _check_message(e)
        return
    if len(out) != count or dec.words_left < 0:
        raise AssertionError("decoder returned the wrong number of symbols")


def _seed_corpus() -> str:
    folder = tempfile.mkdtemp(prefix="lvqac-fuzz-")
    for i, seed in enumerate(SEEDS):
        if seed.is_file():
            shutil.copy(seed, os.path.join(folder, f"seed{i}"))
            data = seed.read_bytes()
            Path(folder, f"seed{i}-crc").write_bytes(b"\x01" + data)
    return folder


def main(argv: list[str]) -> None:
    has_corpus = any(not a.startswith("-") and os.path.isdir(a) for a in argv[1:])
    if not has_corpus:  # libFuzzer exits without running cleanup: fuzz in a child, then tidy up
        folder = _seed_corpus()
        try:
            code = subprocess.call([sys.executable, os.path.abspath(argv[0]), *argv[1:], folder])
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        sys.exit(code)
    atheris.Setup(argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)
