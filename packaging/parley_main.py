"""The packaged app's entry script: PyInstaller freezes this file as `parley` (and on Windows
also as the windowed `parley-gui`); everything else is `desktop_app.__main__`."""

import multiprocessing
import sys

if __name__ == "__main__":
    # First of all: started as the attachments' worker process (`--multiprocessing-fork`), the
    # frozen executable runs that process's work and exits here.
    multiprocessing.freeze_support()

from desktop_app.__main__ import main

if __name__ == "__main__":
    sys.exit(main())
