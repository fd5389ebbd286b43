"""The start-up check for the xcb plugin's system libraries (no Qt, fake ldd output)."""
from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

from lvqac_gui import syslibs

LDD_MISSING = """\
\tlinux-vdso.so.1 (0x00007ffd)
\tlibQt6XcbQpa.so.6 => /x/PySide6/Qt/lib/libQt6XcbQpa.so.6 (0x00007f)
\tlibxcb-icccm.so.4 => not found
\tlibxcb-keysyms.so.1 => not found
\tlibxkbcommon-x11.so.0 => not found
\tlibEGL.so.1 => not found
\tlibxcb-icccm.so.4 => not found
\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f)
"""
LDD_OK = "\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f)\n"


def test_parse_and_map():
    libs = syslibs.parse_ldd(LDD_MISSING)
    assert libs == ["libxcb-icccm.so.4", "libxcb-keysyms.so.1", "libxkbcommon-x11.so.0", "libEGL.so.1"]
    assert syslibs.packages_for(libs) == ["libxcb-icccm4", "libxcb-keysyms1", "libxkbcommon-x11-0", "libegl1"]
    # Debian's naming rule for names not in the table
    assert syslibs.package_for("libxcb-foo.so.2") == "libxcb-foo2"
    assert syslibs.package_for("libbar3.so.1") == "libbar3-1"
    assert syslibs.parse_ldd(LDD_OK) == []


def _check(ldd_text, *, loadable=lambda lib: True, install=False, root=False, apt=True, env=None,
           after=None, install_rc=0):
    calls, out = [], io.StringIO()
    state = {"text": ldd_text}

    def run(cmd):
        calls.append(cmd)
        if after is not None and "install" in cmd:
            state["text"] = after
        return install_rc if "install" in cmd else 0
    rc = syslibs.check(install=install, env={"DISPLAY": ":0"} if env is None else env,
                       plugin=Path("/x/libqxcb.so"), ldd=lambda p: state["text"], loadable=loadable,
                       is_root=root, have_apt=apt, run=run, out=out)
    return rc, calls, out.getvalue()


def test_prints_one_command_and_exits_2():
    rc, calls, text = _check(LDD_MISSING, loadable=lambda lib: lib != "libxcb-cursor.so.0")
    assert rc == 2 and calls == []
    cmd = [ln.strip() for ln in text.splitlines() if ln.strip().startswith("sudo apt-get")]
    assert cmd == ["sudo apt-get install -y -q --no-install-recommends libxcb-icccm4 libxcb-keysyms1 "
                   "libxkbcommon-x11-0 libegl1 libxcb-cursor0"]


def test_installs_as_root_with_apt():
    rc, calls, text = _check(LDD_MISSING, install=True, root=True, after=LDD_OK)
    assert rc == 0 and len(calls) == 1
    assert calls[0][-4:] == ["libxcb-icccm4", "libxcb-keysyms1", "libxkbcommon-x11-0", "libegl1"]
    assert "installing" in text


def test_install_that_does_not_help_prints_command():
    # apt-get fails (no package lists): update, retry; ldd still reports them -> command, exit 2
    rc, calls, text = _check(LDD_MISSING, install=True, root=True, install_rc=100)
    assert rc == 2 and len(calls) == 3 and "update" in calls[1]
    assert "apt-get install -y -q --no-install-recommends libxcb-icccm4" in text


def test_not_root_never_installs_and_no_apt_names_packages():
    rc, calls, _ = _check(LDD_MISSING, install=True, root=False)
    assert rc == 2 and calls == []
    rc, calls, text = _check(LDD_MISSING, install=True, root=True, apt=False)
    assert rc == 2 and calls == [] and "libxcb-icccm4" in text and "apt-get" not in text


def test_skipped_when_offscreen_or_nothing_missing():
    assert _check(LDD_MISSING, env={"QT_QPA_PLATFORM": "offscreen"})[0] == 0
    assert _check(LDD_OK)[0] == 0
    assert not syslibs.needs_check({}, platform="darwin")
    assert syslibs.needs_check({"QT_QPA_PLATFORM": "xcb"}, platform="linux")


def test_module_runs_without_qt():
    code = ("import sys, lvqac_gui.syslibs as s; s.check(env={'QT_QPA_PLATFORM': 'offscreen'}); "
            "print(any(m.startswith('PySide6') for m in sys.modules))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert r.stdout.strip() == "False"


def test_studio_runs_the_check_before_the_app():
    studio = (Path(__file__).resolve().parents[2] / "studio").read_text()
    app_branch = studio.split("app)", 1)[1].split(";;", 1)[0]
    assert app_branch.index("lvqac_gui.syslibs --install") < app_branch.index("lvqac-gui")
