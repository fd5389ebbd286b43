"""Entry point: ``lvqac-gui [FILE...]`` and ``lvqac-gui --screenshot OUT.png [...] [FILE]``."""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Optional, Sequence

from lvqac_core.bitstream import QUANTIZERS
from lvqac_core.resources import resources_dir

from . import __version__


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="lvqac-gui", description="LVQAC Studio desktop app")
    p.add_argument("files", nargs="*", metavar="FILE", help="images or .lvq files to open (several = batch)")
    p.add_argument("--model", metavar="ID", help="zoo model id or checkpoint path")
    p.add_argument("--quantizer", choices=QUANTIZERS)
    p.add_argument("--lambda", dest="lmbda", type=float, metavar="L", help="a zoo preset, or any λ in the range of a variable-rate network")
    p.add_argument("--tier", metavar="NAME", help="which of each family's zoo networks: a tier the zoo "
                   "names, e.g. fast (N 48 / M 64) or wide (N 128 / M 192); default: the default model's")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"))
    p.add_argument("--screenshot", metavar="OUT.png",
                   help="open FILE (or the sample), compress, save a screenshot of the window, exit")
    p.add_argument("--size", default="1280x800", metavar="WxH", help="window size for --screenshot")
    p.add_argument("--tab", choices=("panels", "split", "results"), default="panels",
                   help="tab for --screenshot")
    p.add_argument("--left", metavar="SIDE", help="--tab split: left side (original, result, jpeg, "
                   "webp, avif — classical codecs at the result's file size)")
    p.add_argument("--right", metavar="SIDE", help="--tab split: right side (as --left)")
    p.add_argument("--error-map", action="store_true", help="--tab split: show both sides' error maps")
    p.add_argument("--inspect", metavar="ROW,COL", help="--screenshot: select latent position ROW,COL in the "
                   "Position inspector (after the result)")
    p.add_argument("--what-if", dest="what_if", action="append", choices=("flip", "a1"),
                   help="--screenshot with --inspect: run this what-if there (repeatable)")
    p.add_argument("--timeout", type=float, default=300.0, help="seconds --screenshot waits for the result")
    p.add_argument("--settings", metavar="INI", help="settings file (default: per-user QSettings)")
    p.add_argument("--threads", type=int, metavar="N",
                   help="CPU threads (default: the remembered choice, else $LVQAC_THREADS or the usable cores)")
    p.add_argument("--demo-models", action="store_true",
                   default=os.environ.get("LVQAC_GUI_DEMO_MODELS") == "1",
                   help="use small UNTRAINED models instead of the zoo (to try the app without weights)")
    p.add_argument("--version", action="version", version=f"lvqac-gui {__version__}")
    return p


def _parse_size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
        if w < 200 or h < 150:
            raise ValueError
        return w, h
    except ValueError:
        raise SystemExit(f"lvqac-gui: --size must look like 1280x800, got {text!r}") from None


def tier_problem(args, catalog) -> Optional[str]:
    """Why ``--tier`` cannot be used (None: it can, or it was not given); ``catalog``: the zoo's
    tiers (:class:`lvqac_gui.model.tiers.ZooTiers`)."""
    tier = getattr(args, "tier", None)
    if tier is None:
        return None
    if args.model is not None:
        return "--tier cannot be combined with --model (a model id or checkpoint names its own network)"
    if getattr(args, "demo_models", False):
        return "--tier chooses among the zoo's networks; --demo-models has none"
    if not catalog.has(tier):
        have = ", ".join(catalog.names()) or "none (its models name no tier)"
        return f"unknown tier {tier!r}; the zoo's tiers: {have}"
    if args.quantizer and args.quantizer not in catalog.families(tier):
        return (f"the {tier} tier has no {args.quantizer} network (it has: "
                f"{', '.join(catalog.families(tier)) or 'none'})")
    return None


def apply_model_choice(session, args) -> None:
    """--model / --quantizer / --lambda / --tier by the CLI's rule
    (``lvqac_core.service.select_model``); none of them: the zoo's default model."""
    from lvqac_core.service import select_model
    tier = getattr(args, "tier", None)
    if tier is not None:
        session.restore_tier(tier)  # its ranges and families first (checked by tier_problem)
    try:
        choice = select_model(args.quantizer, args.lmbda, args.model, tier=tier)
    except Exception:  # noqa: BLE001 - an unknown id or missing model is reported when compressing
        choice = None
    if args.model is not None:
        session.model_spec = args.model
    if choice is not None and choice.entry is not None:
        session.lmbda, session.quantizer = float(choice.lmbda), choice.entry.quantizer
    else:
        if args.quantizer:
            session.quantizer = args.quantizer
        if args.lmbda is not None:
            session.lmbda = args.lmbda
    if tier is not None and session.quantizer not in session.families():
        session.restore_tier(tier)  # e.g. --tier wide alone: a family that tier has
    if args.device:
        session.device = args.device


def _wait_idle(app, session, timeout: float) -> bool:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        app.processEvents()
        if not session.busy:
            return True
        time.sleep(0.01)
    return False


def _inspect_for_screenshot(app, win, args) -> bool:
    """--inspect ROW,COL [--what-if K ...]: select the position and run the what-ifs, waiting for
    each answer (the probe runs on the job thread)."""
    row, col = (int(v) for v in args.inspect.split(","))
    ins = win.inspector

    def wait() -> bool:
        t0 = time.monotonic()
        while ins.busy and time.monotonic() - t0 < args.timeout:
            app.processEvents()
            time.sleep(0.01)
        return not ins.busy

    if not ins.select(row, col) or not wait() or ins.report is None:
        print(f"lvqac-gui: cannot inspect {args.inspect}: {ins.message}", file=sys.stderr)
        return False
    win.docks["inspector"].raise_()
    for kind in args.what_if or ():
        if not ins.run_what_if(kind) or not wait():
            print(f"lvqac-gui: what-if {kind} failed: {ins.message}", file=sys.stderr)
            return False
    for _ in range(5):
        app.processEvents()
    return True


def main(argv: Optional[Sequence[str]] = None) -> int:
    from lvqac_core import threads
    threads.configure_openmp()  # before anything imports torch
    args = build_parser().parse_args(argv)
    if args.threads is not None and not 1 <= args.threads <= threads.MAX_THREADS:
        print(f"lvqac-gui: --threads must be between 1 and {threads.MAX_THREADS}", file=sys.stderr)
        return 2
    from . import syslibs
    if syslibs.needs_check():  # one clear line instead of Qt's plugin abort
        if syslibs.check(install=False) != 0:
            return 2
        if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
            print("lvqac-gui: no display (DISPLAY is not set); for a headless screenshot use "
                  "QT_QPA_PLATFORM=offscreen lvqac-gui --screenshot OUT.png", file=sys.stderr)
            return 2
    from lvqac_core import allocator
    allocator.tune()  # before any worker thread exists, so the codec's threads share the tuned arena
    from PySide6.QtWidgets import QApplication

    from .model.backend import Backend, demo_codec_factory
    from .qt.main_window import MainWindow
    from .qt.settings import AppSettings
    from .model.state import Session
    from .qt.theme import apply_dark

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("LVQAC Studio")
    app.setOrganizationName("LVQAC")
    apply_dark(app)
    icon = resources_dir() / "icons" / "lvqac-studio.png"
    if icon.is_file():
        from PySide6.QtGui import QIcon
        app.setWindowIcon(QIcon(str(icon)))

    session = Session()
    backend = Backend(codec_factory=demo_codec_factory() if args.demo_models else None)
    settings = AppSettings(args.settings)
    backend.threads = args.threads or settings.thread_count()
    shot = args.screenshot is not None
    problem = tier_problem(args, backend.zoo_tiers())
    if problem:
        print(f"lvqac-gui: {problem}", file=sys.stderr)
        return 2
    win = MainWindow(session, backend, settings, restore=not shot)
    if shot or args.model or args.quantizer or args.lmbda is not None or args.device or args.tier:
        apply_model_choice(session, args)  # otherwise the remembered choices stay
    win.controls.sync_from_session()
    if args.demo_models:
        win.set_demo_mode(True)

    # the model loads off the UI thread from here on: its load overlaps the window's first layout
    # and paint (a job started meanwhile waits for it instead of loading again)
    win.preload_model()
    if shot:
        failures: list[str] = []
        win.error_handler = lambda title, msg: failures.append(f"{title}: {msg}")
        w, h = _parse_size(args.size)
        win.resize(w, h)
        win.arrange_docks(h)
        win.show()
        app.processEvents()
        if args.files:
            session.open_paths(args.files)
        else:
            win.open_sample()
        ok = _wait_idle(app, session, args.timeout)
        # a batch keeps the session busy until its last file; the window shows the last result
        if args.tab == "split":
            win.tabs.setCurrentIndex(1)
            for _ in range(5):
                app.processEvents()
            win.split.choose(left=args.left, right=args.right)
            win.split.error_box.setChecked(args.error_map)
            ok = _wait_idle(app, session, args.timeout) and ok
        elif args.tab == "results":
            win.tabs.setCurrentIndex(2)
        for _ in range(5):
            app.processEvents()
        win.linker.fit()
        if session.display is not None:  # the readout of the tab shown (the split's names its side)
            probe = win.show_split_probe if args.tab == "split" else win.show_probe
            probe(session.display.width // 2, session.display.height // 2)
        for _ in range(5):
            app.processEvents()
        if args.inspect and session.display is not None:
            ok = _inspect_for_screenshot(app, win, args) and ok
        out = Path(args.screenshot)
        out.parent.mkdir(parents=True, exist_ok=True)
        if not win.grab().save(str(out)):
            print(f"lvqac-gui: cannot write {out}", file=sys.stderr)
            return 1
        for f in failures:
            print(f"lvqac-gui: {f}", file=sys.stderr)
        if not ok:
            print(f"lvqac-gui: no result within {args.timeout:g} s", file=sys.stderr)
        win.runner.shutdown(2000)
        # a launch-time model load may still run (a file that failed to open ends the shot early):
        # let it end before the interpreter shuts down under it
        win.preloader.pool.waitForDone(30000)
        win.hide()
        return 0 if ok and session.display is not None and not failures else 1

    win.show()
    app.processEvents()
    if args.files:
        session.open_paths(args.files)
    else:
        win.open_sample()
    return app.exec()


if __name__ == "__main__":
    raise SystemExit(main())
