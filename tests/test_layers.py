"""The layering contracts of pyproject.toml's [tool.importlinter] (lint-imports): the core never
imports the app, Qt or pyqtgraph; training never imports the command line; the registry imports
nothing of the core but its errors; the models and checkpoints never stand on image files."""
from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_hold():
    pytest.importorskip("importlinter")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    code = "import sys; from importlinter.cli import lint_imports; sys.exit(lint_imports(no_cache=True, no_logo=True))"
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    report = proc.stdout + proc.stderr
    assert proc.returncode == 0, report
    declared = len(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"])
    assert declared >= 4
    assert f"Contracts: {declared} kept, 0 broken." in report, report


def test_service_and_results_import_without_torch():
    """The app's backend imports the service and the results at the top: neither pulls in torch."""
    code = "import sys, lvqac_core.service, lvqac_core.results; print('torch' in sys.modules)"
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "False"
