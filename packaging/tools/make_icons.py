"""Draw the app icon and write every size the platforms want.

The icon is a green rounded square with the character 匠 (craftsman) in white, set in the
bundled Noto Sans SC Bold, and a light-green sprout growing from its top right: the service
teams' craft (匠心) and their gardening work (pruning, green maintenance) in one sign.

Small sizes (16-32 px) are drawn separately without the sprout and with a bigger glyph, because
a downscaled detail turns into a blur there.

Writes (from the repository root, with the venv's Python)::

    python packaging/tools/make_icons.py

    resources/icons/jiangxin.png            512 px, the window icon the app loads
    resources/icons/jiangxin-<N>.png        N = 16 24 32 48 64 128 256 512 (Linux hicolor sizes)
    packaging/jiangxin.ico                  Windows, 16-256 in one file
    packaging/jiangxin.icns                 macOS, 16-1024 in one file
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parents[2]
FONT = ROOT / "resources" / "fonts" / "NotoSansSC-Bold.ttf"
ICONS_DIR = ROOT / "resources" / "icons"
PACKAGING = ROOT / "packaging"

GLYPH = "匠"
TOP = (76, 175, 80)  # gradient from a fresh green at the top ...
BOTTOM = (27, 94, 32)  # ... to a deep green at the bottom
SPROUT = (205, 236, 120)
SPROUT_VEIN = (120, 170, 60)
WHITE = (255, 255, 255, 255)

PNG_SIZES = [16, 24, 32, 48, 64, 128, 256, 512]
ICO_SIZES = [16, 24, 32, 48, 64, 128, 256]
SMALL = 32  # up to this size the simplified drawing is used
SUPERSAMPLE = 4


def _rounded_square(size: int, margin: float, radius: float) -> Image.Image:
    """The gradient tile with transparent corners."""
    tile = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    gradient = Image.new("RGBA", (size, size))
    draw = ImageDraw.Draw(gradient)
    for y in range(size):
        t = y / max(1, size - 1)
        color = tuple(round(a + (b - a) * t) for a, b in zip(TOP, BOTTOM, strict=True))
        draw.line([(0, y), (size, y)], fill=(*color, 255))
    mask = Image.new("L", (size, size), 0)
    m = round(size * margin)
    ImageDraw.Draw(mask).rounded_rectangle(
        [m, m, size - 1 - m, size - 1 - m], radius=round(size * radius), fill=255
    )
    tile.paste(gradient, (0, 0), mask)
    return tile


def _glyph_layer(size: int, box: tuple[float, float, float, float]) -> Image.Image:
    """The white glyph, scaled so its ink fills `box` (fractions of the size: x0, y0, x1, y1)."""
    x0, y0, x1, y1 = (round(v * size) for v in box)
    probe_size = size
    font = ImageFont.truetype(str(FONT), probe_size)
    left, top, right, bottom = font.getbbox(GLYPH)
    scale = min((x1 - x0) / (right - left), (y1 - y0) / (bottom - top))
    font = ImageFont.truetype(str(FONT), max(1, round(probe_size * scale)))
    left, top, right, bottom = font.getbbox(GLYPH)
    layer = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    x = x0 + ((x1 - x0) - (right - left)) / 2 - left
    y = y0 + ((y1 - y0) - (bottom - top)) / 2 - top
    ImageDraw.Draw(layer).text((x, y), GLYPH, font=font, fill=WHITE)
    return layer


def _leaf(
    size: int, base: tuple[float, float], tip: tuple[float, float], width: float
) -> Image.Image:
    """A leaf as the intersection of two circles: pointed at both ends, like a real leaf."""
    bx, by = base[0] * size, base[1] * size
    tx, ty = tip[0] * size, tip[1] * size
    length = ((tx - bx) ** 2 + (ty - by) ** 2) ** 0.5
    half_w = width * length / 2
    # Circle radius through both ends with the given half width at the middle (sagitta).
    radius = (length**2 / 4 + half_w**2) / (2 * half_w)
    mx, my = (bx + tx) / 2, (by + ty) / 2
    nx, ny = -(ty - by) / length, (tx - bx) / length  # unit normal
    offset = radius - half_w
    masks = []
    for sign in (1, -1):
        cx, cy = mx + sign * nx * offset, my + sign * ny * offset
        mask = Image.new("L", (size, size), 0)
        ImageDraw.Draw(mask).ellipse([cx - radius, cy - radius, cx + radius, cy + radius], fill=255)
        masks.append(mask)
    leaf_mask = ImageChops.multiply(masks[0], masks[1])
    layer = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    layer.paste((*SPROUT, 255), (0, 0), leaf_mask)
    # The midrib, a little short of both ends.
    vein = ImageDraw.Draw(layer)
    k0, k1 = 0.12, 0.8
    vein.line(
        [(bx + (tx - bx) * k0, by + (ty - by) * k0), (bx + (tx - bx) * k1, by + (ty - by) * k1)],
        fill=(*SPROUT_VEIN, 255),
        width=max(1, round(size * 0.012)),
    )
    return layer


def _sprout(size: int) -> Image.Image:
    """A stem with two leaves, growing up out of the glyph's top right corner."""
    layer = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    stem_w = round(size * 0.034)
    draw = ImageDraw.Draw(layer)
    # Stem: a gentle curve drawn as short segments.
    base = (0.745, 0.30)
    top = (0.735, 0.165)
    points = []
    for i in range(21):
        t = i / 20
        x = base[0] + (top[0] - base[0]) * t + 0.018 * (4 * t * (1 - t))
        y = base[1] + (top[1] - base[1]) * t
        points.append((x * size, y * size))
    draw.line(points, fill=(*SPROUT, 255), width=stem_w, joint="curve")
    layer.alpha_composite(_leaf(size, (0.742, 0.19), (0.90, 0.085), 0.52))
    layer.alpha_composite(_leaf(size, (0.738, 0.215), (0.60, 0.12), 0.50))
    return layer


def _shadow(layer: Image.Image, size: int) -> Image.Image:
    """A soft dark copy of a layer's shape, offset down, so white reads on light green too."""
    from PIL import ImageFilter

    alpha = layer.getchannel("A").point(lambda a: a * 0.35)
    shadow = Image.new("RGBA", layer.size, (0, 40, 10, 0))
    shadow.putalpha(alpha)
    shadow = shadow.filter(ImageFilter.GaussianBlur(size * 0.012))
    moved = Image.new("RGBA", layer.size, (0, 0, 0, 0))
    moved.alpha_composite(shadow, (0, round(size * 0.012)))
    return moved


def draw_large(size: int) -> Image.Image:
    big = size * SUPERSAMPLE
    tile = _rounded_square(big, margin=0.04, radius=0.2)
    glyph = _glyph_layer(big, (0.18, 0.26, 0.78, 0.84))
    sprout = _sprout(big)
    foreground = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    foreground.alpha_composite(glyph)
    foreground.alpha_composite(sprout)
    tile.alpha_composite(_shadow(foreground, big))
    tile.alpha_composite(foreground)
    return tile.resize((size, size), Image.Resampling.LANCZOS)


def draw_small(size: int) -> Image.Image:
    big = size * SUPERSAMPLE * 4
    tile = _rounded_square(big, margin=0.0, radius=0.18)
    tile.alpha_composite(_glyph_layer(big, (0.14, 0.14, 0.86, 0.86)))
    return tile.resize((size, size), Image.Resampling.LANCZOS)


def draw(size: int) -> Image.Image:
    return draw_small(size) if size <= SMALL else draw_large(size)


def main() -> None:
    ICONS_DIR.mkdir(parents=True, exist_ok=True)
    images = {size: draw(size) for size in [*PNG_SIZES, 1024]}
    for size in PNG_SIZES:
        images[size].save(ICONS_DIR / f"jiangxin-{size}.png", optimize=True)
    images[512].save(ICONS_DIR / "jiangxin.png", optimize=True)
    # Pillow picks, for each size in `sizes`, the appended image of exactly that size.
    largest = images[256]
    largest.save(
        PACKAGING / "jiangxin.ico",
        sizes=[(s, s) for s in ICO_SIZES],
        append_images=[images[s] for s in ICO_SIZES if s != 256],
    )
    images[1024].save(
        PACKAGING / "jiangxin.icns",
        append_images=[images[s] for s in (16, 32, 64, 128, 256, 512)],
    )
    for path in sorted([*ICONS_DIR.glob("jiangxin*.png"), *PACKAGING.glob("jiangxin.ic*")]):
        print(f"{path.relative_to(ROOT)}  {path.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
