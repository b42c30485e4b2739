"""匠心课堂 (Jiangxin): an offline-first app for model-worker and craftsman service teams."""

from importlib import metadata

try:
    __version__ = metadata.version("jiangxin")
except metadata.PackageNotFoundError:  # running from a source tree or a frozen build
    from desktop_app.core.version import read_version_from_pyproject

    __version__ = read_version_from_pyproject()

APP_NAME = "Jiangxin"
