"""docs/gui.md's shortcut table lists exactly the shortcuts the window's action table declares."""
from __future__ import annotations

import re
from pathlib import Path

DOCS = Path(__file__).resolve().parents[2] / "docs" / "gui.md"


def _documented_keys() -> set[str]:
    text = DOCS.read_text(encoding="utf-8").split("## Shortcuts", 1)[1].split("\n## ", 1)[0]
    keys: set[str] = set()
    for line in text.splitlines():
        m = re.match(r"\| ([^|]+) \| [^|]+ \|$", line)
        if m and m.group(1).strip() not in ("Keys", "---"):
            keys.update(k.strip().replace("−", "-") for k in m.group(1).split(" / "))
    return keys


def test_docs_shortcut_table_matches_the_action_table(qapp):
    from lvqac_gui.qt.actions import shortcut_rows

    declared = {keys for keys, _ in shortcut_rows()}
    documented = _documented_keys() - {"Ctrl+Q"}  # Quit: the platform's standard key (none offscreen)
    assert declared == documented, (sorted(declared - documented), sorted(documented - declared))
