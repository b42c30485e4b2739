"""Pure Pillow work on photo files: identify, read EXIF, render upright sRGB thumbnails.

Everything here runs in worker processes of the photo import as well as in the app itself, so
it takes and returns plain, picklable values and never touches the database. Rejections are
`BadImage` errors carrying an untranslated (`N_`) reason and its parameters; the caller
translates them in its own language.

Decoding rules that the whole app relies on:
- only JPEG, PNG, TIFF, WebP and HEIF are accepted, identified by content, not by extension;
- no picture over `MAX_PIXELS` is decoded (a 60000×60000 "decompression bomb" is refused from
  its header alone); JPEGs are decoded at 1/2, 1/4 or 1/8 scale when that is all we need;
- EXIF orientation 1–8 is applied to JPEG/PNG/TIFF/WebP; HEIF comes out of pillow-heif upright
  already (it applies the HEIF `irot`/`imir` transforms), so it is never turned twice;
- CMYK and ICC-tagged pictures are converted to sRGB, transparency is flattened on white.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import threading
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from desktop_app.core.fsutil import atomic_writer, fsync_dir, fsync_file
from desktop_app.core.i18n import N_
from desktop_app.core.timezones import from_wall_time, is_known_zone
from desktop_app.services.rules import year_in_range
from desktop_app.storage.photostore import check_sha256, photo_path

if TYPE_CHECKING:
    from PIL import Image

# Pillow format name -> extension used in the store.
FORMAT_EXT = {"JPEG": "jpg", "PNG": "png", "TIFF": "tif", "WEBP": "webp", "HEIF": "heic"}
SUPPORTED_FORMATS = tuple(FORMAT_EXT)
PHOTO_SUFFIXES = frozenset(
    {".jpg", ".jpeg", ".jpe", ".jfif", ".png", ".tif", ".tiff", ".webp", ".heic", ".heif", ".hif"}
)
# 120 megapixels covers 108 MP phone cameras; a full RGB decode of that is ~360 MB.
MAX_PIXELS = 120_000_000
THUMB_EDGE = 256
# The cached preview covers a 1366×768 screen; bigger renders decode the original.
PREVIEW_EDGE = 1024
# Asking libjpeg for at least this long an edge lets a 12 MP photo decode at 1/4 scale.
PREVIEW_DRAFT_EDGE = 768
CACHE_QUALITY = 85
COPY_CHUNK = 1 << 20

EMPTY = N_("The file is empty.")
NOT_A_PICTURE = N_("The file is not a picture.")
UNSUPPORTED = N_("{format} files are not supported; use JPEG, PNG, TIFF, WebP or HEIC.")
TOO_LARGE = N_("The picture is too large ({megapixels} megapixels; the limit is {limit}).")
DAMAGED = N_("The picture is damaged or incomplete and cannot be read.")
UNREADABLE = N_("The file cannot be read: {reason}")
NOT_A_FILE = N_("There is no such file.")
DECODER_CRASH = N_("The picture made the image decoder crash.")


class BadImage(Exception):
    """A file that is refused; `reason` is an `N_` message, `params` fill its fields."""

    def __init__(self, message: str, **params: Any) -> None:
        super().__init__(message)
        self.reason = message
        self.params = params


# --- HEIF --------------------------------------------------------------------------------------

_heif_lock = threading.Lock()
_heif_ready = False


def enable_heif() -> None:
    """Register pillow-heif with Pillow on first need (it is slow to import)."""
    global _heif_ready
    with _heif_lock:
        if not _heif_ready:
            import pillow_heif

            pillow_heif.register_heif_opener()
            _heif_ready = True


def _looks_like_heif(head: bytes) -> bool:
    return len(head) >= 12 and head[4:8] == b"ftyp"


# The ISO BMFF brands of still HEIF (and AVIF) files; a video (MP4, MOV, 3GP) has others.
HEIF_BRANDS = frozenset(
    {b"mif1", b"msf1", b"miaf", b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx"}
    | {b"hevm", b"hevs", b"avif", b"avis"}
)
SNIFF_BYTES = 256


def looks_like_picture(head: bytes) -> bool:
    """Whether the first `SNIFF_BYTES` of a file are those of a format we accept: a cheap
    look before copying, so that a video on a camera card is refused without being copied
    whole into the library first."""
    if _looks_like_heif(head):
        end = min(len(head), int.from_bytes(head[:4], "big"))
        brands = {head[8:12]} | {head[at : at + 4] for at in range(16, end - 3, 4)}
        return bool(brands & HEIF_BRANDS)
    return head.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")) or (
        head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")
        or (head[:4] == b"RIFF" and head[8:12] == b"WEBP")
    )


def _heif_cut_short(path: Path) -> bool:
    """Whether a HEIF file ends before its top-level boxes do (a copy cut short).

    libheif decodes the tiles it has and paints the missing ones green without a word, so a
    truncated HEIC would import as a half-green picture; a truncated JPEG is refused by
    Pillow. Each top-level box says its size: the file must hold them all."""
    try:
        with path.open("rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            at = 0
            while at < size:
                handle.seek(at)
                header = handle.read(16)
                if len(header) < 8:
                    return True
                length = int.from_bytes(header[:4], "big")
                if length == 1:  # a 64-bit size follows the type
                    if len(header) < 16:
                        return True
                    length = int.from_bytes(header[8:16], "big")
                    if length < 16:
                        return True
                elif length == 0:  # the box runs to the end of the file
                    return False
                elif length < 8:
                    return True
                at += length
            return at > size
    except OSError:
        return True


# --- opening -----------------------------------------------------------------------------------


@contextlib.contextmanager
def open_image(path: Path) -> Iterator[Image.Image]:
    """Open a supported picture (not decoded yet) or raise `BadImage` with the reason."""
    from PIL import Image, UnidentifiedImageError

    try:
        with path.open("rb") as handle:
            head = handle.read(SNIFF_BYTES)
    except FileNotFoundError:
        raise BadImage(NOT_A_FILE) from None
    except OSError as exc:
        raise BadImage(UNREADABLE, reason=exc.strerror or str(exc)) from None
    if not head:
        raise BadImage(EMPTY)
    if _looks_like_heif(head):
        enable_heif()
    try:
        with warnings.catch_warnings():
            # We enforce our own pixel limit below; Pillow's warning would only be noise.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            Image.init()
            formats = [f for f in SUPPORTED_FORMATS if f in Image.OPEN]  # HEIF: once registered
            img = Image.open(path, formats=formats)
    except Image.DecompressionBombError as exc:
        raise BadImage(TOO_LARGE, **_bomb_params(str(exc))) from None
    except UnidentifiedImageError:
        if looks_like_picture(head):  # a JPEG, PNG, TIFF or HEIC cut short in its header
            raise BadImage(DAMAGED) from None
        fmt = _other_format(path)
        if fmt:
            raise BadImage(UNSUPPORTED, format=fmt) from None
        raise BadImage(NOT_A_PICTURE) from None
    except (OSError, SyntaxError, ValueError, EOFError):
        raise BadImage(DAMAGED) from None
    with img:
        width, height = img.size
        if width <= 0 or height <= 0 or (img.format == "HEIF" and _heif_cut_short(path)):
            raise BadImage(DAMAGED)
        if width * height > MAX_PIXELS:
            raise BadImage(TOO_LARGE, megapixels=round(width * height / 1e6), limit=_limit_mp())
        yield img


def _limit_mp() -> int:
    return MAX_PIXELS // 1_000_000


def _bomb_params(message: str) -> dict[str, Any]:
    match = re.search(r"\((\d+) pixels\)", message)
    pixels = int(match.group(1)) if match else MAX_PIXELS
    return {"megapixels": round(pixels / 1e6), "limit": _limit_mp()}


def _other_format(path: Path) -> str | None:
    """The format name when Pillow knows the file but we do not accept it (GIF, BMP...)."""
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(path) as other:
                return str(other.format or "") or None
    except Exception:  # anything Pillow cannot identify is simply "not a picture"
        return None


# --- EXIF --------------------------------------------------------------------------------------


@dataclass
class ImageFacts:
    """What a picture says about itself. Width/height are upright (after orientation)."""

    format: str
    ext: str
    width: int
    height: int
    orientation: int = 1
    taken_at: str | None = None  # ISO 8601, aware UTC
    # The camera's wall time when the picture gave no zone (ISO 8601, naive): `taken_at` then
    # assumes the laptop's zone; an import for a session reads it in the session's zone.
    taken_local: str | None = None
    camera: str = ""
    gps_lat: float | None = None
    gps_lon: float | None = None


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return str(value).replace("\x00", "").strip() if value is not None else ""


def taken_at(facts: ImageFacts, zone: str | None) -> datetime | None:
    """When a picture was taken, aware: its own offset if it had one, else its wall time in
    `zone` (the place it was taken, when known), else in the laptop's zone."""
    if facts.taken_local and zone and is_known_zone(zone):
        with contextlib.suppress(ValueError, OverflowError):
            return from_wall_time(datetime.fromisoformat(facts.taken_local), zone).astimezone(UTC)
    return datetime.fromisoformat(facts.taken_at) if facts.taken_at else None


def _exif_local(value: Any, offset: Any) -> str | None:
    """The wall time of a picture without a zone of its own (else None)."""
    if re.fullmatch(r"[+-]\d\d:\d\d", _text(offset)):
        return None
    try:
        return datetime.strptime(_text(value)[:19], "%Y:%m:%d %H:%M:%S").isoformat()
    except ValueError:
        return None


def _exif_datetime(value: Any, offset: Any) -> str | None:
    text = _text(value)
    try:
        naive = datetime.strptime(text[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    match = re.fullmatch(r"([+-])(\d\d):(\d\d)", _text(offset))
    if match:
        delta = timedelta(hours=int(match.group(2)), minutes=int(match.group(3)))
        zone = timezone(delta if match.group(1) == "+" else -delta)
        aware = naive.replace(tzinfo=zone)
    else:
        # Cameras record local time without a zone: take the laptop's zone, as the user would.
        aware = naive.astimezone()
    if not year_in_range(aware):
        # A camera whose clock said 9999: stored, every pack of the library was refused
        # ("malformed record ... taken_at") on every other laptop. No date, then.
        return None
    return aware.astimezone(UTC).isoformat()


def _rational(value: Any) -> float:
    if isinstance(value, tuple) and len(value) == 2:
        return float(value[0]) / float(value[1])
    return float(value)


def _gps_coordinate(dms: Any, ref: Any) -> float | None:
    try:
        parts = [_rational(v) for v in dms]
        if len(parts) != 3:
            return None
        value = parts[0] + parts[1] / 60 + parts[2] / 3600
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if _text(ref).upper() in ("S", "W"):
        value = -value
    return value


def read_exif(img: Image.Image) -> dict[str, Any]:
    """Orientation, taken-at, camera and GPS; broken EXIF gives what could be read."""
    out: dict[str, Any] = {"orientation": 1}
    try:
        exif = img.getexif()
    except Exception:  # hostile EXIF must never stop an import of good pixels
        return out
    with contextlib.suppress(Exception):
        orientation = int(exif.get(0x0112, 1) or 1)
        out["orientation"] = orientation if 1 <= orientation <= 8 else 1
    with contextlib.suppress(Exception):
        make = _text(exif.get(0x010F))
        model = _text(exif.get(0x0110))
        out["camera"] = (
            model
            if make and model.lower().startswith(make.lower())
            else (f"{make} {model}".strip())
        )
    with contextlib.suppress(Exception):
        sub = exif.get_ifd(0x8769)
        when = sub.get(0x9003) or sub.get(0x9004) or exif.get(0x0132)
        offset = sub.get(0x9011) or sub.get(0x9010)
        out["taken_at"] = _exif_datetime(when, offset)
        if out["taken_at"]:
            out["taken_local"] = _exif_local(when, offset)
    with contextlib.suppress(Exception):
        gps = exif.get_ifd(0x8825)
        lat = _gps_coordinate(gps.get(2), gps.get(1))
        lon = _gps_coordinate(gps.get(4), gps.get(3))
        if (
            lat is not None
            and lon is not None
            and -90 <= lat <= 90
            and -180 <= lon <= 180
            and (lat, lon) != (0.0, 0.0)
        ):
            out["gps_lat"], out["gps_lon"] = round(lat, 7), round(lon, 7)
    return out


# --- rendering ---------------------------------------------------------------------------------

_ORIENT_OPS: dict[int, list[str]] = {
    2: ["FLIP_LEFT_RIGHT"],
    3: ["ROTATE_180"],
    4: ["FLIP_TOP_BOTTOM"],
    5: ["TRANSPOSE"],
    6: ["ROTATE_270"],
    7: ["TRANSVERSE"],
    8: ["ROTATE_90"],
}


def _orientation_of(img: Image.Image) -> int:
    if img.format == "HEIF":
        return 1  # pillow-heif has applied the container's rotation already
    return int(read_exif(img)["orientation"])


def _apply_orientation(img: Image.Image, orientation: int) -> Image.Image:
    from PIL import Image

    for name in _ORIENT_OPS.get(orientation, []):
        img = img.transpose(Image.Transpose[name])
    return img


def _apply_rotation(img: Image.Image, rotation: int) -> Image.Image:
    """The user's extra quarter turns, clockwise."""
    from PIL import Image

    ops = {90: Image.Transpose.ROTATE_270, 180: Image.Transpose.ROTATE_180}
    if rotation == 270:
        return img.transpose(Image.Transpose.ROTATE_90)
    if rotation in ops:
        return img.transpose(ops[rotation])
    return img


@lru_cache(maxsize=16)
def _srgb_transform(icc: bytes, mode: str) -> Any:
    """A cached ICC -> sRGB transform (building one costs milliseconds), or None for sRGB."""
    from PIL import ImageCms

    source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
    description = (ImageCms.getProfileDescription(source) or "").strip()
    if mode != "CMYK" and description.lower().startswith("srgb"):
        return None
    return ImageCms.buildTransform(
        source,
        ImageCms.createProfile("sRGB"),
        mode,
        "RGB",
        renderingIntent=ImageCms.Intent.PERCEPTUAL,
    )


def to_srgb(img: Image.Image) -> Image.Image:
    """RGB in sRGB: ICC profiles applied, CMYK converted, alpha flattened on white."""
    from PIL import Image, ImageCms

    icc = img.info.get("icc_profile")
    if img.mode in ("I;16", "I;16L", "I;16B", "I;16N", "I"):
        img = img.convert("I").point(lambda v: v * (1 / 256)).convert("L")
    if img.mode == "P" or img.mode == "PA":
        img = img.convert("RGBA")
    if img.mode in ("RGBA", "LA", "RGBa", "La"):
        rgba = img.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        img = background
    if icc and img.mode in ("RGB", "CMYK", "L"):
        try:
            transform = _srgb_transform(bytes(icc), img.mode)
            if transform is not None:
                return ImageCms.applyTransform(img, transform) or img
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            pass  # a broken profile: fall back to the plain conversion below
    if img.mode != "RGB":
        img = img.convert("RGB")
    return img


def fit_within(img: Image.Image, edge: int, reducing_gap: float = 1.5) -> Image.Image:
    """Scaled down (never up) so the long edge is at most `edge`."""
    from PIL import Image

    width, height = img.size
    longest = max(width, height)
    if longest <= edge:
        return img
    scale = edge / longest
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    # reduce() by whole factors first, then a bicubic pass: close to Lanczos for photos
    # at a third of the cost.
    return img.resize(size, Image.Resampling.BICUBIC, reducing_gap=reducing_gap)


def decode_upright(img: Image.Image, long_edge: int | None, rotation: int = 0) -> Image.Image:
    """Decode an opened picture to upright sRGB RGB, at least `long_edge` when reducing.

    JPEGs are decoded in draft mode at the smallest of 1/8, 1/4, 1/2, 1/1 that still gives a
    long edge of `long_edge` or more; the caller scales down the rest of the way.
    """
    if long_edge is not None and img.format == "JPEG":
        width, height = img.size
        longest = max(width, height)
        if longest > long_edge:
            scale = long_edge / longest
            img.draft(None, (max(1, int(width * scale)), max(1, int(height * scale))))
    try:
        img.load()
    except (OSError, SyntaxError, ValueError, EOFError, MemoryError):
        raise BadImage(DAMAGED) from None
    orientation = _orientation_of(img)
    out = to_srgb(img)
    out = _apply_orientation(out, orientation)
    return _apply_rotation(out, rotation)


def render(path: Path, long_edge: int, rotation: int = 0) -> Image.Image:
    """The picture at `path`, upright, sRGB, scaled to fit `long_edge`."""
    with open_image(path) as img:
        return fit_within(decode_upright(img, long_edge, rotation), long_edge)


def save_jpeg(img: Image.Image, target: Path, quality: int = CACHE_QUALITY) -> None:
    """Atomically and durably write `img` as a JPEG (exports)."""
    with atomic_writer(target) as handle:
        img.save(handle, "JPEG", quality=quality)


def save_cache_jpeg(img: Image.Image, target: Path) -> None:
    """Write a cache file: temp + rename, no fsync. The cache is rebuildable: a file that a
    power cut damaged fails to load and is rendered again (`thumbnail_file(rebuild=True)`)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.part")
    try:
        img.save(temp, "JPEG", quality=CACHE_QUALITY)
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


# --- the thumbnail cache -----------------------------------------------------------------------


def cache_path(thumbs_dir: Path, sha256: str, edge: int, rotation: int = 0) -> Path:
    suffix = f"_r{rotation}" if rotation else ""
    sha256 = check_sha256(sha256)  # a stored value: never a path outside the cache
    return thumbs_dir / sha256[:2] / f"{sha256}_{edge}{suffix}.jpg"


def write_cache(thumbs_dir: Path, sha256: str, upright: Image.Image) -> None:
    """The preview and the thumbnail of an upright (unrotated) render."""
    preview = fit_within(upright, PREVIEW_EDGE)
    save_cache_jpeg(preview, cache_path(thumbs_dir, sha256, PREVIEW_EDGE))
    save_cache_jpeg(thumbnail_of(preview), cache_path(thumbs_dir, sha256, THUMB_EDGE))


def thumbnail_of(preview: Image.Image) -> Image.Image:
    """The grid thumbnail made from the preview: a whole-factor `reduce()` that leaves it at
    least 1.3× too large, then bicubic. From a 1000 px preview that is a 3× reduce instead of
    `fit_within`'s 2×: 0.7 ms less per import, and side by side at 256 px no different.
    (Bilinear would save 0.4 ms more but is measurably softer.)"""
    return fit_within(preview, THUMB_EDGE, reducing_gap=1.3)


# --- the import worker -------------------------------------------------------------------------


@dataclass
class Prepared:
    """What a worker made of one source file (picklable)."""

    source: str
    ok: bool
    reason: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    sha256: str = ""
    byte_size: int = 0
    temp_path: str = ""  # the copy, when the worker left placing it to the caller
    stored_path: str = ""  # where the worker placed it in the store (then temp_path is "")
    created: bool = False  # the store file did not exist before
    facts: ImageFacts | None = None


class StoreWriteError(OSError):
    """Writing into the library failed (full disk...): the library's fault, not the photo's."""


def copy_and_hash(source: Path, tmp_dir: Path) -> tuple[Path, str, int]:
    """Copy `source` byte for byte into `tmp_dir`, hashing the bytes on the way.

    Every chunk is hashed and then written from the same buffer, so the hash is the copy's
    hash: reading the copy back would only read the same page cache again, proving nothing
    about the disk (`jiangxin check` re-hashes the stored files for that). Not fsynced here:
    the caller makes the copies of a group durable at once before it commits their records.
    """
    temp = tmp_dir / f"import-{uuid.uuid4().hex}.part"
    digest = hashlib.sha256()
    size = 0
    try:
        with source.open("rb", buffering=0) as src:
            try:
                tmp_dir.mkdir(parents=True, exist_ok=True)
                dst = temp.open("xb", buffering=0)
            except OSError as exc:
                raise StoreWriteError(exc.errno, exc.strerror, str(tmp_dir)) from None
            with dst:
                buffer = bytearray(COPY_CHUNK)
                view = memoryview(buffer)
                while n := src.readinto(buffer):
                    chunk = view[:n]
                    digest.update(chunk)
                    written = 0
                    try:
                        while written < n:  # a raw write may write less than asked
                            written += dst.write(chunk[written:]) or 0
                    except OSError as exc:
                        raise StoreWriteError(exc.errno, exc.strerror, str(tmp_dir)) from None
                    size += n
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return temp, digest.hexdigest(), size


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb", buffering=0) as handle:
        buffer = bytearray(COPY_CHUNK)
        view = memoryview(buffer)
        while n := handle.readinto(buffer):
            digest.update(view[:n])
    return digest.hexdigest()


def facts_of(img: Image.Image, upright_size: tuple[int, int]) -> ImageFacts:
    exif = read_exif(img)
    fmt = str(img.format)
    return ImageFacts(
        format=fmt,
        ext=FORMAT_EXT[fmt],
        width=upright_size[0],
        height=upright_size[1],
        orientation=1 if fmt == "HEIF" else int(exif["orientation"]),
        taken_at=exif.get("taken_at"),
        taken_local=exif.get("taken_local"),
        camera=str(exif.get("camera", "")),
        gps_lat=exif.get("gps_lat"),
        gps_lon=exif.get("gps_lon"),
    )


def analyse(path: Path, thumbs_dir: Path, sha256: str) -> ImageFacts:
    """Validate by decoding, read the facts and write the thumbnail and preview."""
    with open_image(path) as img:
        stored = img.size
        upright = decode_upright(img, PREVIEW_DRAFT_EDGE)
        facts = facts_of(img, stored)
        if facts.orientation in (5, 6, 7, 8):
            facts.width, facts.height = stored[1], stored[0]
    write_cache(thumbs_dir, sha256, upright)
    return facts


def prepare_import(
    source: str, tmp_dir: str, thumbs_dir: str, photos_dir: str, known_cache: bool
) -> Prepared:
    """Worker job: copy into the library's tmp folder while hashing, decode, render the cache,
    and move the copy to its place in the store. Nothing is fsynced here: the caller makes the
    file durable before it commits the record.

    Never raises for a bad file: the reason comes back in `Prepared`, and nothing is left
    behind for a refused file. `known_cache` skips the decode when the library already has
    this picture's cache (a likely duplicate); the copy then stays in tmp for the caller.
    """
    src = Path(source)
    try:
        if not src.is_file():
            # A FIFO or a device is there but is no file (and opening a FIFO would block).
            raise BadImage(NOT_A_PICTURE if src.exists() else NOT_A_FILE)
        try:
            if src.stat().st_size == 0:
                raise BadImage(EMPTY)
            with src.open("rb") as handle:
                head = handle.read(SNIFF_BYTES)
            if not looks_like_picture(head):
                # Refused for what it is, before a copy of a 4 GB video fills the disk.
                with open_image(src):
                    pass
            temp, sha, size = copy_and_hash(src, Path(tmp_dir))
        except StoreWriteError:
            raise  # the library's disk: the caller stops the import and says so
        except OSError as exc:
            raise BadImage(UNREADABLE, reason=exc.strerror or str(exc)) from None
        try:
            thumbs = Path(thumbs_dir)
            if known_cache and cache_path(thumbs, sha, THUMB_EDGE).is_file():
                return Prepared(source, True, sha256=sha, byte_size=size, temp_path=str(temp))
            try:
                facts = analyse(temp, thumbs, sha)
            except (BadImage, OSError):
                raise
            except Exception:  # a decoder bug hit by a hostile file: refuse that file only
                raise BadImage(DAMAGED) from None
            # Not fsynced: the caller flushes the file before it commits the record.
            final = photo_path(Path(photos_dir), sha, facts.ext)
            if not final.exists():
                created = place_new_file(temp, final)
            elif not _holds(final, sha, size):
                place_file(temp, final, durable=False)  # over a damaged leftover
                created = False
            else:
                temp.unlink()  # the same bytes are in the store already
                created = False
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        return Prepared(
            source,
            True,
            sha256=sha,
            byte_size=size,
            stored_path=str(final),
            created=created,
            facts=facts,
        )
    except BadImage as bad:
        return Prepared(source, False, reason=bad.reason, params=bad.params)
    except MemoryError:
        return Prepared(source, False, reason=DAMAGED)


def export_one(source: str, target: str, long_edge: int, rotation: int, quality: int) -> str:
    """Worker job: render one photo upright at `long_edge` and write it as a JPEG."""
    img = render(Path(source), long_edge, rotation)
    save_jpeg(img, Path(target), quality=quality)
    return target


def _holds(path: Path, sha256: str, size: int) -> bool:
    """Whether a store file already has exactly these bytes. A file that no record uses yet
    may have been cut short or zeroed by a power cut before its group was flushed, so the
    same name and size are not proof enough to adopt it."""
    try:
        return path.stat().st_size == size and sha256_of(path) == sha256
    except OSError:
        return False


def place_new_file(temp: Path, final: Path) -> bool:
    """Give a temp copy its store name unless another worker has just placed the same bytes
    there (then drop the copy and return False). Never renames over that file: it may be
    flushed and committed already, and this copy is not durable yet."""
    final.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(temp, final)
    except FileExistsError:
        temp.unlink()
        return False
    except OSError:  # no hard links (FAT, exFAT): rename; the race above is then only unlikely
        os.replace(temp, final)
        return True
    temp.unlink()
    return True


def place_file(temp: Path, final: Path, *, durable: bool = True) -> None:
    """Move a temp copy to its final name in the store.

    `durable`: fsync the copy, rename, fsync the folder. Without it, the caller must make the
    file durable before a record refers to it (the import flushes each group's files)."""
    final.parent.mkdir(parents=True, exist_ok=True)
    if durable:
        fsync_file(temp)
    os.replace(temp, final)
    if durable:
        fsync_dir(final.parent)


# --- worker process hygiene --------------------------------------------------------------------


def worker_init(owner_pid: int) -> None:
    """Pool worker start: exit when the app that owns the pool dies.

    A killed app must not leave workers behind. Their parent is the forkserver, not the app,
    and the forkserver only exits once every worker has (each holds its "alive" pipe), so
    the workers watch the app's process themselves.
    """

    def alive() -> bool:
        try:
            os.kill(owner_pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        try:  # Linux: a killed owner that nobody has reaped yet is a zombie
            stat = Path(f"/proc/{owner_pid}/stat").read_text()
            return stat.rsplit(")", 1)[1].split()[0] != "Z"
        except (OSError, IndexError):
            return True

    def watch() -> None:
        import time

        while alive():
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, daemon=True, name="owner-watch").start()
    # What decoders say about a hostile file (libtiff's "Not enough data at scanline 0",
    # Pillow's "Corrupt EXIF data" warnings) reached the terminal as English lines among
    # ours: the file's refusal is reported in words, the rest is noise. Exceptions of a
    # job travel back to the app, which never reads a worker's stderr.
    warnings.simplefilter("ignore")
    with contextlib.suppress(OSError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)
