"""Entry point of `parley`, `parley-gui` and `python -m desktop_app` (contract: shared/spec/cli.md):
reads the command line and hands over to one of three entry points.

    parley [--data-dir PATH] [--quick]      the desktop app             → app.main
    parley ask [options] PROMPT|-           one answer on stdout        → cli.run_ask
    parley --selftest [--data-dir PATH]     checks, one line each       → selftest_gui.run_selftest
    parley --version | --help

Nothing of Parley is imported at module level and each mode imports only its own entry point,
so `--version` and `--help` answer at once and the window's start never loads the command line
(nor aiohttp, which only `ask` and the selftest need before the first paint). `ask`'s options
belong to `cli.py`: the command line is read once without them, and only when it names `ask` is
it read again with them (a line without `ask` reads the same either way).

Usage errors are one line on stderr and exit 2; `--help` and `--version` exit 0.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Final, NoReturn

from desktop_app import __version__

EXIT_FAILURE: Final = 1
EXIT_USAGE: Final = 2
DATA_DIR_HELP: Final = "keep settings, history and logs in this folder (portable installs, tests)"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One line, not argparse's usage block: errors a user causes are one clear line.
        from desktop_app.logs import report

        report(f"error: {message} (see {self.prog} --help)")
        raise SystemExit(EXIT_USAGE)


def build_parser(*, ask_options: bool = True) -> argparse.ArgumentParser:
    """The whole command line; with `ask_options=False`, `ask` without its options (and without
    importing `cli.py`), which is enough to tell which mode a command line asks for."""
    parser = _Parser(prog="parley", description="Parley: a desktop chat client for large language models.")
    parser.add_argument("--version", action="version", version=f"parley {__version__}")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--selftest", action="store_true", help="check Qt, networking, settings, keychain, history"
    )
    mode.add_argument("--quick", action="store_true", help="open the quick prompt of the running app")
    parser.add_argument("--data-dir", type=Path, metavar="PATH", help=DATA_DIR_HELP)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    # Without its options `ask` takes no arguments at all, so reading a line with it never fails
    # where the full reading would not (or fails differently): unknown words are only set aside.
    ask = commands.add_parser("ask", help="stream one answer to stdout, no window", add_help=ask_options)
    if ask_options:
        from desktop_app.cli import add_ask_options

        ask.add_argument(
            "--data-dir", type=Path, metavar="PATH", default=argparse.SUPPRESS, help=DATA_DIR_HELP
        )
        add_ask_options(ask)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the mode the command line asks for; returns the process exit code."""
    import multiprocessing

    # A frozen app started as the attachments' worker process does that work and exits here
    # (a no-op otherwise; the packaged entry script calls it even earlier).
    multiprocessing.freeze_support()
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(ask_options=False)
    chosen, _ = parser.parse_known_args(argv)  # exits 2 on usage errors, 0 after --version or --help
    if chosen.command == "ask":
        parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "ask":
        if args.selftest or args.quick:
            parser.error("ask cannot be combined with --selftest or --quick")
        from desktop_app.cli import run_ask

        return run_ask(args)
    if args.selftest:
        from desktop_app.selftest_gui import run_selftest

        return run_selftest(args.data_dir)
    return start_gui(args.data_dir, quick=args.quick)


def start_gui(data_dir: Path | None, *, quick: bool = False) -> int:
    """Hand over to the desktop app; when Qt's GUI modules cannot even be imported (system
    libraries missing, typically), one line that names them instead of a traceback."""
    try:
        from desktop_app import app
    except ImportError as exc:
        from desktop_app.display_check import SystemLibraries, missing_gui_libraries
        from desktop_app.logs import report

        report(missing_gui_libraries(SystemLibraries()) or f"the desktop app cannot start: {exc}")
        return EXIT_FAILURE
    return app.main(data_dir=data_dir, quick=quick)


if __name__ == "__main__":
    sys.exit(main())
