"""Regenerate the bundled static Noto Sans SC fonts in ``resources/fonts/``.

Jiangxin renders Chinese text both in the PySide6 UI and in ReportLab PDFs.
ReportLab's ``TTFont`` accepts only TrueType (``glyf``) outlines, and a
variable font registered as-is renders at its default instance, which for
Noto Sans SC is *Thin* (wght=100).  So we cut two static instances out of the
variable ``NotoSansSC[wght].ttf`` shipped by the PyPI package
``justmytype-intl-cjk``:

* ``NotoSansSC-Regular.ttf`` -- wght=400, family "Noto Sans SC", style "Regular"
* ``NotoSansSC-Bold.ttf``    -- wght=700, family "Noto Sans SC", style "Bold"

and copy the package's ``OFL.txt`` next to them.

Usage (from the repository root, in a venv with the build deps)::

    pip install fonttools justmytype-intl-cjk
    python packaging/tools/make_fonts.py            # writes resources/fonts/
    python packaging/tools/make_fonts.py --source /path/NotoSansSC[wght].ttf

Each instance takes roughly 15 s.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from fontTools.ttLib import TTFont
from fontTools.varLib.instancer import instantiateVariableFont

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT = REPO_ROOT / "resources" / "fonts"
FAMILY = "Noto Sans SC"
PS_FAMILY = "NotoSansSC"
INSTANCES = {"Regular": 400, "Bold": 700}


def find_source() -> Path:
    """Locate NotoSansSC[wght].ttf inside the installed justmytype_intl_cjk package."""
    import justmytype_intl_cjk

    pkg_dir = Path(justmytype_intl_cjk.__file__).resolve().parent
    matches = sorted(pkg_dir.rglob("NotoSansSC[[]wght[]].ttf"))
    if not matches:
        raise SystemExit(f"NotoSansSC[wght].ttf not found under {pkg_dir}")
    return matches[0]


def set_names(font: TTFont, style: str) -> None:
    """Force sensible RIBBI names (IDs 1/2/4/6, plus 3) and drop typographic/variation ones."""
    name = font["name"]
    version = font["head"].fontRevision
    values = {
        1: FAMILY,
        2: style,
        3: f"{version:.3f};ADBO;{PS_FAMILY}-{style};ADOBE",
        4: f"{FAMILY} {style}",
        6: f"{PS_FAMILY}-{style}",
    }
    for name_id in (16, 17, 25):  # typographic family/subfamily, variations PS prefix
        name.removeNames(nameID=name_id)
    for name_id, value in values.items():
        name.removeNames(nameID=name_id)  # drop any stale "Thin"/localised records
        name.setName(value, name_id, 3, 1, 0x409)  # Windows, Unicode BMP, en-US

    bold = style == "Bold"
    os2 = font["OS/2"]
    os2.usWeightClass = INSTANCES[style]
    # fsSelection: bit0 italic, bit5 bold, bit6 regular
    os2.fsSelection &= ~((1 << 0) | (1 << 5) | (1 << 6))
    os2.fsSelection |= (1 << 5) if bold else (1 << 6)
    font["head"].macStyle = 1 if bold else 0


def make_instance(source: Path, out_dir: Path, style: str, weight: int) -> Path:
    font = TTFont(source)
    try:
        static = instantiateVariableFont(font, {"wght": weight}, updateFontNames=True)
    except Exception as exc:
        print(f"  updateFontNames=True failed ({exc!r}); naming manually")
        font = TTFont(source)
        static = instantiateVariableFont(font, {"wght": weight})
    set_names(static, style)
    out = out_dir / f"{PS_FAMILY}-{style}.ttf"
    static.save(out)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, help="variable NotoSansSC[wght].ttf")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory")
    args = parser.parse_args()

    source = args.source or find_source()
    args.out.mkdir(parents=True, exist_ok=True)
    print(f"source: {source}")
    for style, weight in INSTANCES.items():
        print(f"instancing wght={weight} -> {style} ...")
        out = make_instance(source, args.out, style, weight)
        print(f"  wrote {out} ({out.stat().st_size:,} bytes)")
    ofl = source.with_name("OFL.txt")
    if ofl.exists():
        shutil.copyfile(ofl, args.out / "OFL.txt")
        print(f"copied {ofl.name}")
    else:
        print("WARNING: OFL.txt not found next to the source font; add it by hand")


if __name__ == "__main__":
    main()
