"""Render the README's sample handout page: `python packaging/tools/handout_sample.py`.

Builds the demo library in a temporary folder, prints the guide 花后修剪 as a handout (in the
handout language, Chinese) and rasterises its first page with poppler's `pdftoppm` into
`docs/handout-page1.png`. Run it again after the translations change.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from desktop_app.services import handouts, listing  # noqa: E402
from desktop_app.services.demo import fill_demo  # noqa: E402
from desktop_app.storage.library import Library  # noqa: E402

GUIDE = "花后修剪"
TARGET = ROOT / "docs" / "handout-page1.png"


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="jiangxin-sample-"))
    try:
        with Library.create(work / "demo", name="丰台区总工会 劳模工匠服务队") as library:
            fill_demo(library)
            guide_id = next(
                str(r["id"]) for r in listing.list_rows(library, "guide") if r["title"] == GUIDE
            )
            pdf = work / "handout.pdf"
            handouts.build_guide_handout(library, guide_id, pdf)
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                "70",
                "-f",
                "1",
                "-l",
                "1",
                "-singlefile",
                str(pdf),
                str(work / "page"),
            ],
            check=True,
        )
        TARGET.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(work / "page.png", TARGET)
        print(f"wrote {TARGET}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
