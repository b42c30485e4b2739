"""Shared fixtures: offscreen Qt, isolated config, and demo libraries copied from a template."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ["QT_QPA_PLATFORM"] = "offscreen"
os.environ.pop("JIANGXIN_LIBRARY", None)

from desktop_app.core.i18n import set_language
from desktop_app.services.demo import fill_demo
from desktop_app.storage.library import Library
from tests.needs import unavailable

REPO = Path(__file__).resolve().parents[1]
TESTDATA = (REPO / ".." / "shared" / "testdata" / "photos").resolve()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/ui" in str(item.path).replace(os.sep, "/"):
            item.add_marker(pytest.mark.gui)


@pytest.fixture(autouse=True)
def _isolated_environment(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """Each test gets its own config folder and starts in English."""
    config = tmp_path_factory.mktemp("config")
    monkeypatch.setenv("JIANGXIN_CONFIG_DIR", str(config))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config / "xdg"))
    monkeypatch.delenv("JIANGXIN_LIBRARY", raising=False)
    # Messages in English unless a test asks for Chinese (the CLI follows the system locale).
    for var in ("LC_ALL", "LC_MESSAGES", "LANGUAGE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    set_language("en")
    yield
    set_language("en")


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("template") / "demo"
    with Library.create(root) as library:
        fill_demo(library)
    for leftover in root.glob("library.lock"):
        leftover.unlink()
    return root


@pytest.fixture
def demo_dir(demo_template: Path, tmp_path: Path) -> Path:
    """A fresh copy of the demo library folder (closed)."""
    target = tmp_path / "demo"
    shutil.copytree(demo_template, target)
    return target


@pytest.fixture
def demo_library(demo_dir: Path) -> Iterator[Library]:
    """A fresh copy of the demo library, open for writing."""
    library = Library.open(demo_dir, write=True)
    yield library
    library.close()


@pytest.fixture
def empty_library(tmp_path: Path) -> Iterator[Library]:
    library = Library.create(tmp_path / "empty")
    yield library
    library.close()


@pytest.fixture
def testdata() -> Path:
    if not TESTDATA.is_dir():
        unavailable("../shared/testdata is not beside the repository")
    return TESTDATA


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[object]:
    """A throw-away PostgreSQL cluster (see tests/pgserver.py); fails under CI=true if absent."""
    from tests.pgserver import start_cluster

    yield from start_cluster()


# The record store on SQLite and on PostgreSQL (tests/stores.py).
from tests.stores import (  # noqa: E402, F401
    any_blank_engine,
    any_empty_store,
    any_pair,
    any_store,
    pg_templates,
)
