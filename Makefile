# 匠心课堂 (Jiangxin). `make run` opens the app on the demo library; `make test` runs everything.
# Both install what a fresh Debian/Ubuntu machine lacks (system packages need root or sudo).

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

SYSTEM_PACKAGES := poppler-utils xvfb xauth libegl1 libgl1 libxkbcommon-x11-0 libxcb-cursor0 \
	libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libxcb-xinerama0 libxcb-randr0 \
	libxcb-render-util0 libxcb-image0 libfontconfig1 libdbus-1-3 zip unzip binutils \
	postgresql zbar-tools

.PHONY: run test lint system-deps venv bench translations clean package hub

system-deps:
	@missing=""; for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ] && command -v apt-get >/dev/null; then \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		echo "Installing system packages:$$missing"; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[dev,hub]"
	touch $(STAMP)

venv: $(STAMP)

translations: venv
	$(PY) packaging/tools/i18n.py update
	$(PY) packaging/tools/i18n.py compile

run: system-deps venv
	@if [ -z "$$DISPLAY" ] && [ -z "$$WAYLAND_DISPLAY" ]; then \
		echo "No display found: starting the app on a virtual screen (xvfb-run)."; \
		xvfb-run -a $(VENV)/bin/jiangxin $(ARGS); \
	else \
		$(VENV)/bin/jiangxin $(ARGS); \
	fi

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

# The suite, then the standalone build and its smoke test (about a minute; README explains).
test: system-deps venv lint
	QT_QPA_PLATFORM=offscreen $(VENV)/bin/pytest -q
	$(MAKE) --no-print-directory package

# Standalone one-folder app in dist/jiangxin/ (PyInstaller), then its smoke test with the
# system's Python and an empty environment. See README, "Standalone app".
PACKAGE_STAMP := $(VENV)/.installed-package

$(PACKAGE_STAMP): $(STAMP)
	$(PY) -m pip install -q -e ".[dev,hub,package]"
	touch $(PACKAGE_STAMP)

package: system-deps $(PACKAGE_STAMP)
	$(PY) packaging/tools/i18n.py compile
	@start=$$(date +%s); \
	$(VENV)/bin/pyinstaller packaging/jiangxin.spec --noconfirm --log-level WARN \
		--distpath dist --workpath build/pyinstaller || exit 1; \
	echo "Built dist/jiangxin/ in $$(( $$(date +%s) - start )) s:" \
		"$$(du -sh dist/jiangxin | cut -f1) on disk, $$(find dist/jiangxin -type f | wc -l) files"
	$(PYTHON) packaging/smoke_test.py dist/jiangxin

# A throw-away district hub on https://127.0.0.1:8443 with a demo administrator; it prints how
# to connect a laptop, and Ctrl+C deletes it (packaging/tools/devhub.py, docs/hub-deploy.md).
hub: system-deps venv
	$(PY) packaging/tools/devhub.py $(ARGS)

bench: system-deps venv
	QT_QPA_PLATFORM=offscreen $(PY) -m tests.benchmarks

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache
