"""The version has one source of truth: pyproject.toml, read directly where it is beside the
package (source tree, editable install, frozen bundle), else from the installed metadata."""

from __future__ import annotations

import re
import sys
from pathlib import Path


def read_version_from_pyproject() -> str | None:
    """The version in pyproject.toml next to the package or inside a frozen bundle, if any."""
    candidates = [Path(__file__).resolve().parents[2] / "pyproject.toml"]
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        candidates.insert(0, Path(bundle) / "pyproject.toml")
    for path in candidates:
        if path.is_file():
            match = re.search(r'^version\s*=\s*"([^"]+)"', path.read_text("utf-8"), re.M)
            if match:
                return match.group(1)
    return None


def installed_version() -> str:
    """The version of the installed distribution (a wheel install has no pyproject.toml)."""
    from importlib import metadata

    try:
        return metadata.version("jiangxin")
    except metadata.PackageNotFoundError:
        return "0.0.0"
