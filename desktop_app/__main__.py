"""Entry point: `parley` and `python -m desktop_app`."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    from desktop_app.cli import main as cli_main

    return int(cli_main(args))


if __name__ == "__main__":
    sys.exit(main())
