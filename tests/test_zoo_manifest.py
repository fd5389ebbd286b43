"""One manifest schema: what ``scripts/build_zoo.py`` writes (``zoo.write_manifest`` from
``ZooEntry.to_json``) is what the readers parse (``ZooEntry.from_json``); the manifest is parsed
once per file version."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from lvqac_core import zoo

SHIPPED = Path(__file__).resolve().parents[1] / "resources" / "models" / "manifest.json"


def _entry(i: int, **kw) -> zoo.ZooEntry:
    d = dict(id=f"m{i}", file=f"m{i}.pt", sha256="ab" * 32, architecture="minnen2018-ckbd", quantizer="lvq",
             lmbda=0.0075, N=16, M=16)
    d.update(kw)
    return zoo.ZooEntry(**d)


@pytest.mark.skipif(not SHIPPED.is_file(), reason="no shipped manifest")
def test_shipped_manifest_round_trips_byte_for_byte(tmp_path):
    raw = json.loads(SHIPPED.read_text(encoding="utf-8"))
    for d in raw["models"]:
        assert zoo.ZooEntry.from_json(d).to_json() == d
    extra = {k: v for k, v in raw.items() if k not in ("format", "default", "models")}
    entries = [zoo.ZooEntry.from_json(d) for d in raw["models"]]
    out = zoo.write_manifest(entries, raw["default"], tmp_path, **extra)
    assert out.read_bytes() == SHIPPED.read_bytes()


def test_written_manifest_reads_back_as_the_same_entries(tmp_path, monkeypatch):
    monkeypatch.setenv("LVQAC_ZOO_DIR", str(tmp_path))
    entries = [_entry(1, group_size=8, file_bytes=123, kodak={"bpp": 0.5, "psnr": 30.0, "ms_ssim": 0.9}),
               _entry(2, quantizer="lvqac", training={"steps": 3})]
    zoo.write_manifest(entries, "m2")
    assert zoo.list_models() == entries
    assert zoo.default_model_id() == "m2"
    with pytest.raises(ValueError, match="default"):
        zoo.write_manifest(entries, "nope")
    with pytest.raises(ValueError, match="outside the zoo folder"):
        zoo.write_manifest([_entry(3, file="../x.pt")], None)


def test_manifest_is_parsed_once_until_the_file_changes(tmp_path, monkeypatch):
    monkeypatch.setenv("LVQAC_ZOO_DIR", str(tmp_path))
    zoo.write_manifest([_entry(1)], "m1")
    reads = []
    real = zoo._read_manifest
    monkeypatch.setattr(zoo, "_read_manifest", lambda p: reads.append(p) or real(p))
    for _ in range(3):
        assert [e.id for e in zoo.list_models()] == ["m1"]
        assert zoo.has_model("m1") and zoo.default_model_id() == "m1"
    assert len(reads) == 1
    path = tmp_path / "manifest.json"
    data = json.loads(path.read_text())
    data["models"].append(_entry(22).to_json())
    path.write_text(json.dumps(data))  # another writer: size (and mtime) change
    assert [e.id for e in zoo.list_models()] == ["m1", "m22"]
    assert len(reads) == 2
    zoo.reload()
    zoo.list_models()
    assert len(reads) == 3
    os.remove(path)
    assert zoo.list_models() == []
