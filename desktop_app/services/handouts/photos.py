"""Photos made ready for print: upright, no larger than 300 dpi at their printed size, JPEG.

The originals in the library are only read. Each photo is decoded by the app's one decoder
(`services.imaging`: HEIC through pillow-heif, the pixel limit, EXIF orientation, ICC profiles
converted to sRGB), turned by the user's extra rotation, scaled down and re-encoded as a JPEG
that ReportLab embeds as it is. A photo that is missing or cannot be decoded becomes a visible
placeholder, never an aborted build.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from io import BytesIO
from typing import TYPE_CHECKING

from desktop_app.core.i18n import N_, _
from desktop_app.core.progress import Progress
from desktop_app.services.handouts.data import PhotoRef

if TYPE_CHECKING:
    pass

PRINT_DPI = 300
LOW_PPI = 150  # below this a photo looks soft on paper: pointed out before printing
JPEG_QUALITY = 82
MISSING = N_("Photo missing")
UNREADABLE = N_("Photo cannot be read")
PREPARING = N_("Preparing photos…")  # progress: in the UI language


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
        if p is None and self.ref.width > 0 and self.ref.height > 0:
            # Not decoded yet (a layout tried before the photos are prepared): the stored
            # upright size, turned by the user's rotation, has the same shape.
            w, h = self.ref.width, self.ref.height
            return h / w if self.ref.rotation in (90, 270) else w / h
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

    def printed_ppi(self) -> float | None:
        """Pixels per inch the photo will print at in this box (None: size unknown).

        Uses the stored pixel size (upright, before the user's rotation); a small photo is
        enlarged to the box, so its resolution on paper falls.
        """
        w, h = self.ref.width, self.ref.height
        if self.ref.rotation in (90, 270):
            w, h = h, w
        if w <= 0 or h <= 0:
            return None
        points_per_pixel = min(self.box_width / w, self.box_height / h)
        return 72 / points_per_pixel


def prepare_photo(ref: PhotoRef, box_width: float, box_height: float) -> PreparedPhoto:
    """Decode, orient, scale to ≤300 dpi for a box of the given size (points), encode JPEG.

    The decoding is the app's one decoder (`services.imaging`): the same formats, pixel limit,
    EXIF orientation and ICC-to-sRGB conversion as thumbnails and exports, so a Display-P3
    photo prints in the colours it shows on screen.
    """
    from PIL import Image

    from desktop_app.services import imaging

    if not ref.path.is_file():
        return PreparedPhoto(None, ref.width, ref.height, MISSING)
    box_px = (box_width / 72 * PRINT_DPI, box_height / 72 * PRINT_DPI)
    try:
        with imaging.open_image(ref.path) as img:
            # JPEGs decode at 1/2, 1/4 or 1/8 scale when that still covers the box's long side
            # at 300 dpi: far faster for 12 MP photos.
            pic = imaging.decode_upright(img, math.ceil(max(box_px)), ref.rotation)
        # The largest pixel size the box can use at 300 dpi, keeping the aspect ratio.
        scale = min(box_px[0] / pic.size[0], box_px[1] / pic.size[1], 1.0)
        target = (max(1, math.ceil(pic.size[0] * scale)), max(1, math.ceil(pic.size[1] * scale)))
        if pic.size != target:
            pic = pic.resize(target, Image.Resampling.LANCZOS, reducing_gap=2.0)
        out = BytesIO()
        pic.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
        return PreparedPhoto(out.getvalue(), pic.size[0], pic.size[1])
    except imaging.BadImage:
        return PreparedPhoto(None, ref.width, ref.height, UNREADABLE)
    except Exception:  # a decoder bug on one hostile file must not stop the handout
        return PreparedPhoto(None, ref.width, ref.height, UNREADABLE)


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
