"""Photos made ready for print: upright, no larger than 300 dpi at their printed size, JPEG.

The originals in the library are only read. Each photo is decoded with Pillow (HEIC through
pillow-heif, loaded on first use), turned upright from its EXIF orientation (HEIF files come
out of pillow-heif upright already, so they are never turned twice), turned by the user's
extra rotation, scaled down and re-encoded as a JPEG that ReportLab embeds as it is. A photo
that is missing or cannot be decoded becomes a visible placeholder, never an aborted build.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from io import BytesIO
from typing import TYPE_CHECKING

from desktop_app.core.i18n import N_, _
from desktop_app.core.progress import Progress
from desktop_app.services.handouts.data import PhotoRef

if TYPE_CHECKING:
    from PIL import Image

PRINT_DPI = 300
JPEG_QUALITY = 82
HEIF_EXTENSIONS = {".heic", ".heif", ".hif", ".avif"}
MISSING = N_("Photo missing")
UNREADABLE = N_("Photo cannot be read")
PREPARING = N_("Preparing photos…")  # progress: in the UI language

_heif_lock = threading.Lock()
_heif_ready = False


def _enable_heif() -> None:
    global _heif_ready
    with _heif_lock:
        if not _heif_ready:
            import pillow_heif

            pillow_heif.register_heif_opener()
            _heif_ready = True


@dataclass
class PreparedPhoto:
    jpeg: bytes | None
    width: int  # pixels of the upright image (or of the original when it could not be read)
    height: int
    problem: str = ""  # N_-marked reason when jpeg is None


@dataclass
class PhotoSlot:
    """A photo at a place in the document, with the box it must fit."""

    ref: PhotoRef
    box_width: float  # points
    box_height: float
    missing_label: str = ""  # translated, set when it turns out to be missing
    prepared: PreparedPhoto | None = None
    caption: str = ""

    def aspect(self) -> float:
        p = self.prepared
        if p is not None and p.jpeg is not None and p.width and p.height:
            return p.width / p.height
        return 4 / 3

    def display_size(self, cell_width: float) -> tuple[float, float]:
        """Printed size within the cell: as wide as allowed, no taller than the box."""
        width = min(cell_width, self.box_width)
        aspect = self.aspect()
        height = width / aspect
        if height > self.box_height:
            height = self.box_height
            width = height * aspect
        return width, height

    def caption_text(self) -> str:
        return self.caption


def _upright_size(size: tuple[int, int], quarter_turns_odd: bool) -> tuple[int, int]:
    return (size[1], size[0]) if quarter_turns_odd else size


def prepare_photo(ref: PhotoRef, box_width: float, box_height: float) -> PreparedPhoto:
    """Decode, orient, scale to ≤300 dpi for a box of the given size (points), encode JPEG."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    if not ref.path.is_file():
        return PreparedPhoto(None, ref.width, ref.height, MISSING)
    is_heif = ref.path.suffix.lower() in HEIF_EXTENSIONS
    try:
        if is_heif:
            _enable_heif()
        with Image.open(ref.path) as img:
            orientation = 1
            if not is_heif and img.format != "HEIF":
                orientation = int(img.getexif().get(0x0112, 1) or 1)
            odd = (orientation in (5, 6, 7, 8)) != (ref.rotation in (90, 270))
            upright = _upright_size(img.size, odd)
            # The largest pixel size the box can use at 300 dpi, keeping the aspect ratio.
            scale = min(
                box_width / 72 * PRINT_DPI / upright[0],
                box_height / 72 * PRINT_DPI / upright[1],
                1.0,
            )
            target = (max(1, math.ceil(upright[0] * scale)), max(1, math.ceil(upright[1] * scale)))
            if img.format == "JPEG":
                # Let libjpeg decode at 1/2, 1/4 or 1/8 scale: far faster for 12 MP photos.
                img.draft("RGB", _upright_size(target, odd))
            img.load()
            pic: Image.Image = img
            if not is_heif and img.format != "HEIF":
                pic = ImageOps.exif_transpose(pic)
            if ref.rotation in (90, 180, 270):
                # rotation is clockwise, as the user turned it in the app
                pic = pic.rotate(-ref.rotation, expand=True)
            if pic.mode not in ("RGB", "L"):
                pic = _flatten(pic)
            if pic.size != target:
                pic = pic.resize(target, Image.Resampling.LANCZOS, reducing_gap=2.0)
            out = BytesIO()
            pic.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
            return PreparedPhoto(out.getvalue(), pic.size[0], pic.size[1])
    except (OSError, ValueError, SyntaxError, UnidentifiedImageError, Image.DecompressionBombError):
        return PreparedPhoto(None, ref.width, ref.height, UNREADABLE)
    except Exception:  # a decoder bug on one hostile file must not stop the handout
        return PreparedPhoto(None, ref.width, ref.height, UNREADABLE)


def _flatten(img: Image.Image) -> Image.Image:
    from PIL import Image

    if img.mode in ("RGBA", "LA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return img.convert("RGB")


@dataclass
class PhotoPlanner:
    """Collects the photos a document needs, then prepares them all on two threads."""

    tr: Callable[[str], str]
    slots: list[PhotoSlot] = field(default_factory=list)

    def slot(
        self, ref: PhotoRef, box_width: float, box_height: float, caption: str = ""
    ) -> PhotoSlot:
        s = PhotoSlot(ref, box_width, box_height, caption=caption)
        self.slots.append(s)
        return s

    def prepare_all(self, progress: Progress, *, workers: int = 2) -> None:
        """Fill every slot; Pillow releases the GIL while decoding, so threads use both cores."""
        cache: dict[tuple[str, int, int, int], PreparedPhoto] = {}
        jobs: dict[tuple[str, int, int, int], list[PhotoSlot]] = {}
        for s in self.slots:
            key = (str(s.ref.path), s.ref.rotation, round(s.box_width), round(s.box_height))
            jobs.setdefault(key, []).append(s)
        total = len(jobs)
        if not total:
            return
        done = 0
        progress.step(0, total, _(PREPARING))
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            pending: dict[Future[PreparedPhoto], tuple[str, int, int, int]] = {}
            queue = list(jobs)
            try:
                while queue or pending:
                    while queue and len(pending) < workers * 2:
                        key = queue.pop(0)
                        first = jobs[key][0]
                        pending[
                            pool.submit(prepare_photo, first.ref, first.box_width, first.box_height)
                        ] = key
                    finished, _rest = wait(pending, return_when=FIRST_COMPLETED)
                    for fut in finished:
                        cache[pending.pop(fut)] = fut.result()
                        done += 1
                    progress.step(done, total, _(PREPARING))
                    progress.check_cancelled()
            finally:
                for fut in pending:
                    fut.cancel()
        for key, slots in jobs.items():
            for s in slots:
                s.prepared = cache[key]
                if s.prepared.jpeg is None:
                    s.missing_label = self.tr(s.prepared.problem)
