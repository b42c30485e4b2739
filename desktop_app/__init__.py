"""匠心课堂 (Jiangxin): an offline-first app for model-worker and craftsman service teams."""

from desktop_app.core.version import installed_version, read_version_from_pyproject

# pyproject.toml is the one source of truth. Reading it (source tree, editable install, frozen
# bundle) takes well under a millisecond; importlib.metadata costs ~20 ms at every start.
__version__ = read_version_from_pyproject() or installed_version()

APP_NAME = "Jiangxin"
