"""Check (and where possible install) the system libraries Qt's xcb platform plugin needs.

Qt aborts with "could not load the Qt platform plugin xcb" when a shared library of the plugin is
missing, which is the usual state of a fresh Debian/Ubuntu machine. This module finds them before
Qt is imported: ``ldd`` on PySide6's ``libqxcb.so`` lists every library that is "not found"
(transitively), and ``libxcb-cursor.so.0``, which Qt ≥ 6.5 opens at run time, is tried with
``ctypes``. The missing ``.so`` names are mapped to Debian package names.

``python -m lvqac_gui.syslibs [--install]`` (the ``./studio app`` start-up check):

* exit 0: nothing missing (or not needed: ``QT_QPA_PLATFORM`` is not xcb, not Linux, no xcb plugin);
* ``--install`` as root with ``apt-get``: install the packages, check again, exit 0 when complete;
* otherwise print the one ``apt-get install`` command that fixes it and exit 2.

No Qt is imported here (importing Qt is what fails).
"""
from __future__ import annotations

import argparse
import ctypes
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Callable, Iterable, Optional, Sequence

# .so name -> Debian package, where Debian's naming rule below does not give the right name.
KNOWN_PACKAGES = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-xinerama.so.0": "libxcb-xinerama0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-glx.so.0": "libxcb-glx0",
    "libxcb-xinput.so.0": "libxcb-xinput0",
    "libxcb.so.1": "libxcb1",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libX11.so.6": "libx11-6",
    "libSM.so.6": "libsm6",
    "libICE.so.6": "libice6",
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libGLX.so.0": "libglx0",
    "libOpenGL.so.0": "libopengl0",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libdbus-1.so.3": "libdbus-1-3",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libgthread-2.0.so.0": "libglib2.0-0",
}
RUNTIME_LIBS = ("libxcb-cursor.so.0",)  # dlopen()ed by Qt ≥ 6.5's xcb plugin, so ldd misses it

_NOT_FOUND = re.compile(r"^\s*(\S+)\s*=>\s*not found", re.MULTILINE)


def package_for(soname: str) -> str:
    """Debian package that ships ``soname`` (``libfoo-bar.so.3`` -> ``libfoo-bar3``; a name that
    ends in a digit gets a dash: ``libxkbcommon-x11.so.0`` -> ``libxkbcommon-x11-0``)."""
    if soname in KNOWN_PACKAGES:
        return KNOWN_PACKAGES[soname]
    m = re.match(r"^(lib.+?)\.so\.(\d+)", soname)
    if not m:
        return soname
    base, ver = m.group(1).lower(), m.group(2)
    return f"{base}-{ver}" if base[-1].isdigit() else f"{base}{ver}"


def parse_ldd(text: str) -> list[str]:
    """The ``not found`` library names of ``ldd`` output, first occurrence order, no repeats."""
    out: list[str] = []
    for name in _NOT_FOUND.findall(text):
        if name not in out:
            out.append(name)
    return out


def xcb_plugin() -> Optional[Path]:
    """PySide6's libqxcb.so, found without importing PySide6 (None when absent)."""
    try:
        spec = importlib.util.find_spec("PySide6")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for root in spec.submodule_search_locations:
        for rel in ("Qt/plugins/platforms/libqxcb.so", "plugins/platforms/libqxcb.so"):
            p = Path(root) / rel
            if p.is_file():
                return p
    return None


def _run_ldd(path: Path) -> str:
    r = subprocess.run(["ldd", str(path)], capture_output=True, text=True, check=False)
    return r.stdout + r.stderr


def _loadable(soname: str) -> bool:
    try:
        ctypes.CDLL(soname)
        return True
    except OSError:
        return False


def missing_libraries(plugin: Optional[Path] = None, ldd: Callable[[Path], str] = _run_ldd,
                      loadable: Callable[[str], bool] = _loadable) -> list[str]:
    """Shared libraries the xcb plugin needs that cannot be found."""
    plugin = plugin or xcb_plugin()
    if plugin is None or shutil.which("ldd") is None and ldd is _run_ldd:
        return []
    missing = parse_ldd(ldd(plugin))
    for lib in RUNTIME_LIBS:
        if lib not in missing and not loadable(lib):
            missing.append(lib)
    return missing


def packages_for(libs: Iterable[str]) -> list[str]:
    out: list[str] = []
    for lib in libs:
        pkg = package_for(lib)
        if pkg not in out:
            out.append(pkg)
    return out


def install_command(packages: Sequence[str], root: bool) -> list[str]:
    cmd = ["apt-get", "install", "-y", "-q", "--no-install-recommends", *packages]
    return cmd if root else ["sudo", *cmd]


def needs_check(env: Optional[dict] = None, platform: str = sys.platform) -> bool:
    """Only the xcb platform on Linux needs these libraries."""
    env = os.environ if env is None else env
    if not platform.startswith("linux"):
        return False
    qpa = env.get("QT_QPA_PLATFORM", "").strip().lower()
    return qpa in ("", "xcb") or qpa.startswith("xcb:")


def check(install: bool = False, *, env: Optional[dict] = None, plugin: Optional[Path] = None,
          ldd: Callable[[Path], str] = _run_ldd, loadable: Callable[[str], bool] = _loadable,
          is_root: Optional[bool] = None, have_apt: Optional[bool] = None,
          run: Callable[[list[str]], int] = lambda cmd: subprocess.call(cmd),
          out=sys.stderr) -> int:
    """0 = the xcb plugin can load (possibly after installing); 2 = it cannot (command printed)."""
    if not needs_check(env):
        return 0
    missing = missing_libraries(plugin, ldd, loadable)
    if not missing:
        return 0
    pkgs = packages_for(missing)
    root = (os.geteuid() == 0) if is_root is None else is_root
    apt = (shutil.which("apt-get") is not None) if have_apt is None else have_apt
    if install and root and apt:
        print(f"studio: installing system libraries for Qt's xcb plugin: {' '.join(pkgs)}", file=out)
        cmd = install_command(pkgs, True)
        env_cmd = ["env", "DEBIAN_FRONTEND=noninteractive"]
        if run(env_cmd + cmd) != 0:  # a fresh machine often has no package lists yet
            run(env_cmd + ["apt-get", "update", "-qq"])
            run(env_cmd + cmd)
        missing = missing_libraries(plugin, ldd, loadable)
        if not missing:
            return 0
        pkgs = packages_for(missing)
    line = " ".join(install_command(pkgs, root))
    if apt:
        print(f"lvqac-gui: Qt's xcb platform plugin is missing {', '.join(missing)}; run:\n  {line}",
              file=out)
    else:
        print(f"lvqac-gui: Qt's xcb platform plugin is missing {', '.join(missing)}; install the "
              f"packages that provide them (on Debian/Ubuntu: {' '.join(pkgs)})", file=out)
    return 2


def main(argv: Optional[Sequence[str]] = None) -> int:
    p = argparse.ArgumentParser(prog="python -m lvqac_gui.syslibs",
                                description="check the system libraries of Qt's xcb plugin")
    p.add_argument("--install", action="store_true", help="install them with apt-get when root")
    return check(install=p.parse_args(argv).install)


if __name__ == "__main__":
    raise SystemExit(main())
