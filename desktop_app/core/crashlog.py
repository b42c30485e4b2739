"""Internal errors: the traceback goes to one log file, the user gets its path.

Used by the CLI (any non-`UserError` exception) and the GUI's `sys.excepthook`.
"""

from __future__ import annotations

import logging
import traceback
from pathlib import Path

from desktop_app.core import paths


def log_internal_error(exc: BaseException) -> Path:
    """Append `exc`'s traceback to the log file and return the file's path."""
    log_dir = paths.log_dir()
    log_path = log_dir / "jiangxin.log"
    try:
        log_dir.mkdir(parents=True, exist_ok=True)
        with log_path.open("a", encoding="utf-8") as handle:
            handle.write("".join(traceback.format_exception(exc)))
    except OSError:  # an unwritable log folder must not hide the error itself
        logging.getLogger("jiangxin").error("internal error", exc_info=exc)
    return log_path
