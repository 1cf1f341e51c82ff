"""The packaged app's entry script: PyInstaller freezes this file as `parley` (and on Windows
also as the windowed `parley-gui`); everything else is `desktop_app.__main__`."""

import sys

from desktop_app.__main__ import main

if __name__ == "__main__":
    sys.exit(main())
