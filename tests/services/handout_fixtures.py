"""Photos for handout tests and benchmarks, put into a library directly (file + Photo row).

Independent of the photo import service on purpose: the handouts only need what the store and
the `photo` table hold.
"""

from __future__ import annotations

import hashlib
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

from desktop_app.services import catalog as c
from desktop_app.storage.library import Library
from desktop_app.storage.models import Photo
from desktop_app.storage.photostore import photo_path


def add_photo(
    library: Library, source: Path, *, caption: str = "", rotation: int = 0, name: str = ""
) -> str:
    """Copy a file into the store and add its Photo row; returns the photo id."""
    data = source.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    ext = source.suffix.lstrip(".").lower()
    target = photo_path(library.photos_dir, sha, ext)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    width = height = 0
    try:
        with Image.open(source) as img:
            width, height = img.size
    except OSError:
        pass  # a corrupt file is stored as it is; the handout must cope
    with library.transaction() as s:
        photo = Photo(
            sha256=sha,
            ext=ext,
            original_name=name or source.name,
            byte_size=len(data),
            width=width,
            height=height,
            rotation=rotation,
            caption=caption,
        )
        s.add(photo)
        s.flush()
        return photo.id


def _camera_like_base(size: tuple[int, int]) -> Image.Image:
    """Photo-like detail (soft shapes plus grain) at full camera size.

    Pure noise would not compress like a photo and flat colour would compress far better; this
    mix gives files of about 3 MB at 12 MP, as real camera JPEGs are.
    """
    small = (size[0] // 8, size[1] // 8)
    base = Image.linear_gradient("L").resize(small).convert("RGB")
    draw = ImageDraw.Draw(base)
    rng = _Lcg(7)
    for _ in range(60):
        x, y = rng.next() % small[0], rng.next() % small[1]
        r = 5 + rng.next() % 60
        draw.ellipse((x - r, y - r, x + r, y + r), fill=_colour(rng))
    img = base.filter(ImageFilter.GaussianBlur(2)).resize(size, Image.Resampling.BICUBIC)
    noise = Image.effect_noise(size, 28).convert("RGB")
    return Image.blend(img, noise, 0.18)


def _colour(rng: _Lcg) -> tuple[int, int, int]:
    return (rng.next() % 256, rng.next() % 256, rng.next() % 256)


def camera_like_jpegs(folder: Path, count: int, size: tuple[int, int] = (4000, 3000)) -> list[Path]:
    """`count` different 12-megapixel JPEGs (distinct pictures, not just distinct bytes)."""
    folder.mkdir(parents=True, exist_ok=True)
    base = _camera_like_base(size)

    def one(i: int) -> Path:
        img = base.copy()
        draw = ImageDraw.Draw(img)
        rng = _Lcg(100 + i)
        for _ in range(12):
            x, y = rng.next() % size[0], rng.next() % size[1]
            r = 100 + rng.next() % 500
            draw.ellipse((x - r, y - r, x + r, y + r), outline=_colour(rng), width=40)
        path = folder / f"camera-{i:02d}.jpg"
        img.save(path, "JPEG", quality=90)
        return path

    # JPEG encoding releases the GIL: two threads use both cores.
    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(one, range(count)))


def camera_like_jpeg(path: Path, seed: int, size: tuple[int, int] = (4000, 3000)) -> Path:
    """One photo-like JPEG (see `camera_like_jpegs`)."""
    img = _camera_like_base(size)
    ImageDraw.Draw(img).text((10, 10), str(seed), fill=(255, 255, 255))
    img.save(path, "JPEG", quality=90)
    return path


class _Lcg:
    def __init__(self, seed: int) -> None:
        self.state = seed * 2654435761 % 2**32 or 1

    def next(self) -> int:
        self.state = (1103515245 * self.state + 12345) % 2**31
        return self.state >> 8


def attach_to_steps(library: Library, guide_id: str, photo_ids: list[str], per_step: int) -> None:
    """Give the guide's steps the photos, `per_step` each, adding steps if there are too few."""
    data = c.load_guide(library, guide_id)
    chunks = [photo_ids[i : i + per_step] for i in range(0, len(photo_ids), per_step)]
    while len(data.steps) < len(chunks):
        data.steps.append(c.StepData(f"补充步骤{len(data.steps) + 1}：按前面的方法继续操作。"))
    for step, chunk in zip(data.steps, chunks, strict=False):
        step.photo_ids = list(chunk)
    c.save_guide(library, data, guide_id)


def attach_to_session(library: Library, session_id: str, photo_ids: list[str]) -> None:
    data = c.load_session(library, session_id)
    data.photo_ids = list(photo_ids)
    c.save_session(library, data, session_id)
