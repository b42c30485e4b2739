"""Pictures made in the tests: distinct JPEGs, hostile files, CMYK, ICC, alpha; comparisons."""

from __future__ import annotations

import struct
import zlib
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageStat

from desktop_app.services import catalog
from desktop_app.storage.library import Library


def distinct_jpeg(path: Path, seed: int, size: tuple[int, int] = (640, 480)) -> Path:
    """A JPEG whose bytes differ from every other seed's (noise plus a coloured block)."""
    img = Image.effect_noise(size, 40 + seed % 30).convert("RGB")
    draw = ImageDraw.Draw(img)
    draw.rectangle((seed % size[0], 10, seed % size[0] + 60, 70), fill=(seed * 37 % 256, 90, 200))
    draw.text((20, size[1] - 40), f"#{seed}", fill=(255, 255, 0))
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path, "JPEG", quality=85)
    return path


def png_with_header_size(path: Path, width: int, height: int) -> Path:
    """A PNG that claims width×height pixels (a decompression bomb if decoded)."""
    buf = BytesIO()
    Image.new("RGB", (1, 1), (255, 0, 0)).save(buf, "PNG")
    data = bytearray(buf.getvalue())
    # IHDR data starts at byte 16: width, height (big-endian), then its CRC over type+data.
    data[16:24] = struct.pack(">II", width, height)
    crc = zlib.crc32(bytes(data[12:29])) & 0xFFFFFFFF
    data[29:33] = struct.pack(">I", crc)
    path.write_bytes(bytes(data))
    return path


def jpeg_with_header_size(path: Path, width: int, height: int) -> Path:
    """A JPEG whose SOF marker claims width×height pixels."""
    buf = BytesIO()
    Image.new("RGB", (8, 8), (0, 128, 0)).save(buf, "JPEG")
    data = bytearray(buf.getvalue())
    i = 2
    while i < len(data):
        marker = data[i + 1]
        length = struct.unpack(">H", data[i + 2 : i + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2):
            data[i + 5 : i + 9] = struct.pack(">HH", height, width)
            break
        i += 2 + length
    path.write_bytes(bytes(data))
    return path


def hostile_files(folder: Path, testdata: Path) -> dict[str, str]:
    """Each hostile file, by name, with a word its rejection reason must contain."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "empty.jpg").write_bytes(b"")
    good = (testdata / "landscape_1.jpg").read_bytes()
    (folder / "truncated.jpg").write_bytes(good[: len(good) // 2])
    (folder / "notes.jpg").write_text("这不是照片 — just text\n" * 20, encoding="utf-8")
    png_with_header_size(folder / "bomb.png", 60000, 60000)
    jpeg_with_header_size(folder / "bomb.jpg", 12000, 12000)
    Image.new("P", (32, 32), 3).save(folder / "animation.gif", "GIF")
    return {
        "empty.jpg": "empty",
        "truncated.jpg": "damaged",
        "notes.jpg": "not a picture",
        "bomb.png": "too large",
        "bomb.jpg": "too large",
        "animation.gif": "GIF",
    }


def mean_abs_diff(a: Image.Image, b: Image.Image) -> float:
    """Mean absolute difference per channel (0–255) of two pictures of the same size."""
    assert a.size == b.size, (a.size, b.size)
    stat = ImageStat.Stat(ImageChops.difference(a.convert("RGB"), b.convert("RGB")))
    return sum(stat.mean) / 3


def new_session(library: Library, theme: str = "现场活动") -> str:
    return catalog.save_session(
        library, catalog.SessionData(starts_at=datetime(2024, 5, 18, 6, 0, tzinfo=UTC), theme=theme)
    )
