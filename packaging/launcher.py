"""Entry point of the built (PyInstaller) program: the same as the `jiangxin` command."""

import multiprocessing
import sys

from desktop_app.cli import main

if __name__ == "__main__":
    # A frozen program that starts worker processes must let them through here first.
    multiprocessing.freeze_support()
    sys.exit(main())
