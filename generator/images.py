"""Images with Pillow: responsive variants of post images, metadata stripping, and social cards.

Three layers, top to bottom:

- Pure work, from bytes and settings to bytes: `process_image` (decode, orient, strip, resize, encode),
  `render_card` (a 1200x630 PNG for sharing), and the byte-level metadata strippers. These run in a
  process pool, one task per image or card, and never touch files.
- Markup: `picture_html` turns the `<img>` markdown-it wrote into `<picture>` with `srcset`/`sizes`,
  `width`/`height` and lazy loading (the first image of a post stays eager).
- The build stage `process_site`: finds the images the site publishes and the posts that use them, asks
  the cache for each, hands only the misses to Pillow, then returns the site with cleaned originals,
  variants and cards among its assets, rewritten post HTML and each post's share image (`og_image`).

Its I/O (the cache folder through `fs.Cache`, font files, the theme's stylesheet) sits together at the
bottom of this file, under "edge". Every published raster image loses its EXIF, GPS, XMP, IPTC and
comments; the EXIF orientation is applied first; colour profiles are kept (CMYK becomes sRGB).
Animated images and SVG are published as they are (animated PNG and WebP lose their metadata chunks).
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import os
import posixpath
import re
import struct
import sys
import threading
import unicodedata
import warnings
import zlib
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, replace
from html import escape, unescape
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence
from urllib.parse import unquote, urlsplit

from generator.config import Config, _key_line
from generator.errors import Finding, error, has_errors, warning
from generator.fs import Cache
from generator.model import OgImage, Post, Site
from generator.site import asset_url
from generator.theme import ThemeChain, find_theme

VERSION = "2"  # bump when the bytes this module writes change for the same input
RASTER_SUFFIXES = (".jpg", ".jpeg", ".jfif", ".png", ".webp", ".gif", ".avif")
# Pillow's format name -> the file extension of the variants made in "the original format".
VARIANT_EXT = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "png", "AVIF": "avif"}
MIME = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp", "avif": "image/avif"}
ORIENTATION = 0x0112
CARD_SIZE = (1200, 630)


# -- Pillow, imported when first needed ---------------------------------------------------------------------
# Importing Pillow costs some 25 ms, a tenth of a small site's build; a build with no raster images and no
# social cards never needs it. Functions here that use Pillow call `_pil()` first; `images.Image` (and the
# other names) from outside import it on first use too.

if TYPE_CHECKING:  # for readers and linters; at run time `_pil()` puts these names in the module
    import PIL
    from PIL import Image, ImageCms, ImageColor, ImageDraw, ImageFont, ImageOps, UnidentifiedImageError

_PIL_NAMES = ("PIL", "Image", "ImageCms", "ImageColor", "ImageDraw", "ImageFont", "ImageOps",
              "UnidentifiedImageError")


def _pil() -> None:
    if "Image" in globals():
        return
    import PIL
    from PIL import Image, ImageCms, ImageColor, ImageDraw, ImageFont, ImageOps, UnidentifiedImageError

    globals().update(PIL=PIL, Image=Image, ImageCms=ImageCms, ImageColor=ImageColor, ImageDraw=ImageDraw,
                     ImageFont=ImageFont, ImageOps=ImageOps, UnidentifiedImageError=UnidentifiedImageError)


def __getattr__(name: str) -> Any:
    if name in _PIL_NAMES:
        _pil()
        return globals()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# How much Pillow work the last builds of this process did (cache misses); tests read it.
WORK: Counter[str] = Counter()


# -- settings ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ImageSettings:
    """The `[images]` settings of site.toml."""

    widths: tuple[int, ...] = (480, 960, 1600)
    quality: int = 80
    webp: bool = True
    sizes: str = "(min-width: 38rem) 35.5rem, calc(100vw - 2.5rem)"  # the default theme's column
    max_pixels: int = 89_478_485
    cards: bool = True
    card_fonts: tuple[str, ...] = ()
    workers: int = 0

    def key(self) -> str:
        """What changes the bytes of variants (the rest changes only markup or scheduling)."""
        return json.dumps([self.widths, self.quality, self.webp, self.max_pixels])


def settings_from(config: Config, config_text: str = "") -> tuple[ImageSettings, list[Finding]]:
    values = dict(config.section("images"))
    findings: list[Finding] = []

    def bad(key: str, message: str) -> None:
        findings.append(error(f"images.{key} {message}", "site.toml", _key_line(config_text, "images", key), "config"))

    widths = tuple(sorted(set(values.get("widths", ImageSettings.widths))))
    if not widths or any(w < 16 or w > 10_000 for w in widths):
        bad("widths", f"must list widths between 16 and 10000 pixels, got {list(values.get('widths'))}")
    quality = values.get("quality", ImageSettings.quality)
    if not 1 <= quality <= 100:
        bad("quality", f"must be between 1 and 100, got {quality}")
    if values.get("max_pixels", 1) < 1:
        bad("max_pixels", "must be at least 1")
    if values.get("workers", 0) < 0:
        bad("workers", "must be 0 (one per core) or more")
    settings = ImageSettings(
        widths=widths or ImageSettings.widths,
        quality=quality,
        webp=values.get("webp", True),
        sizes=values.get("sizes", ImageSettings.sizes),
        max_pixels=values.get("max_pixels", ImageSettings.max_pixels),
        cards=values.get("cards", True),
        card_fonts=tuple(values.get("card_fonts", ())),
        workers=values.get("workers", 0),
    )
    return settings, findings


# -- pure work: one image ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Variant:
    """One resized copy of an image, encoded."""

    width: int
    height: int
    ext: str  # jpg, png, webp, avif
    data: bytes


@dataclass(frozen=True, slots=True)
class Processed:
    """An image as published: cleaned of metadata, with its resized variants."""

    format: str  # Pillow's name of the source format: JPEG, PNG, WEBP, GIF, AVIF
    width: int  # after orientation
    height: int
    animated: bool
    clean: bytes  # the original without metadata, published at its own URL
    variants: tuple[Variant, ...]  # smallest first; empty for animated images


@dataclass(frozen=True, slots=True)
class Failure:
    """Why an image could not be processed."""

    reason: str  # completes "image content/x.jpg ..."


def variant_widths(width: int, wanted: Sequence[int]) -> tuple[int, ...]:
    """The wanted widths below `width`, plus `width` itself when a wider one was asked for: never upscale."""
    below = sorted({w for w in wanted if w < width})
    return tuple(below + [width]) if any(w >= width for w in wanted) else tuple(below)


def process_image(data: bytes, settings: ImageSettings, want_variants: bool = True) -> Processed | Failure:
    """Decode, orient, strip and (if `want_variants`) resize and encode one image; never raises on bad input."""
    _pil()
    limit = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = None  # `_process` checks the size itself, from the header, before decoding
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            return _process(data, settings, want_variants)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        return Failure(f"is too large to decode safely (a decompression bomb?): {str(exc).rstrip('.')}; make it "
                       "smaller, or raise [images] max_pixels if you trust it")
    except UnidentifiedImageError:
        return Failure("is not an image giving can read (unknown format, or a damaged header); "
                       "export it as JPEG, PNG or WebP")
    except OSError as exc:
        if "truncated" in str(exc):
            return Failure(f"is truncated ({exc}); copy or export it again")
        return Failure(f"is damaged and cannot be decoded ({exc}); export it again")
    except (SyntaxError, ValueError, EOFError, IndexError, TypeError, struct.error, zlib.error) as exc:
        return Failure(f"is damaged and cannot be decoded ({type(exc).__name__}: {exc}); export it again")
    finally:
        Image.MAX_IMAGE_PIXELS = limit


def _process(data: bytes, s: ImageSettings, want_variants: bool) -> Processed | Failure:
    im = Image.open(io.BytesIO(data))
    # Phones save JPEGs with a second, smaller picture appended (MPF); Pillow calls them MPO. The first
    # picture is the photo: treat it as a JPEG (the stripper drops the rest, and its EXIF with it).
    fmt = "JPEG" if im.format == "MPO" else im.format or "?"
    raw_w, raw_h = im.size
    if raw_w * raw_h > s.max_pixels:
        return Failure(f"has {raw_w}x{raw_h} pixels, more than [images] max_pixels ({s.max_pixels}), like a "
                       "decompression bomb; make it smaller, or raise max_pixels if you trust it")
    if fmt not in VARIANT_EXT:
        return Failure(f"is a {fmt} image, which browsers do not show; export it as JPEG, PNG or WebP")
    orientation = im.getexif().get(ORIENTATION, 1) if fmt != "GIF" else 1
    if orientation not in range(1, 9):
        orientation = 1
    turned = orientation in (5, 6, 7, 8)
    width, height = (raw_h, raw_w) if turned else (raw_w, raw_h)

    if getattr(im, "is_animated", False) and fmt != "JPEG":
        clean = {"PNG": strip_png, "WEBP": strip_webp, "GIF": strip_gif}[fmt](data)
        return Processed(fmt, width, height, True, clean, ())

    widths = variant_widths(width, s.widths) if want_variants else ()
    restrip = orientation == 1 and fmt in ("JPEG", "PNG", "WEBP", "GIF")
    if fmt == "JPEG" and restrip:
        # Decode at a reduced scale when only smaller variants are needed (or just to validate).
        goal = max(widths) if widths else max(16, width // 8)
        goal_h = max(1, round(height * goal / width))
        im.draft(im.mode, (goal_h, goal) if turned else (goal, goal_h))
    im.load()

    icc = im.info.get("icc_profile") or None
    im = ImageOps.exif_transpose(im) if orientation != 1 else im
    if im.mode == "CMYK":
        im, icc = _cmyk_to_srgb(im, icc), None
    im = _web_mode(im)
    im.info = {}  # nothing from the source travels into an encoder (EXIF, XMP, comments)

    if restrip:
        clean = {"JPEG": strip_jpeg, "PNG": strip_png, "WEBP": strip_webp, "GIF": strip_gif}[fmt](data)
    else:
        clean = _encode(im, VARIANT_EXT[fmt] if fmt != "GIF" else "png", max(s.quality, 90), icc)

    variants = []
    for w in widths:
        h = max(1, round(height * w / width))
        frame = im if im.size == (w, h) else im.resize((w, h), Image.Resampling.LANCZOS, reducing_gap=3.0)
        frame.info = {}
        exts = [VARIANT_EXT[fmt]]
        if s.webp and "webp" not in exts:
            exts.insert(0, "webp")
        for ext in exts:
            variants.append(Variant(w, h, ext, _encode(frame, ext, s.quality, icc)))
    return Processed(fmt, width, height, False, clean, tuple(variants))


def _cmyk_to_srgb(im: Image.Image, icc: bytes | None) -> Image.Image:
    """CMYK (print) images through their profile to sRGB; browsers and WebP want RGB."""
    if icc:
        try:
            out = ImageCms.profileToProfile(im, io.BytesIO(icc), ImageCms.createProfile("sRGB"), outputMode="RGB")
            if out is not None:
                return out
        except (ImageCms.PyCMSError, OSError):
            pass
    return im.convert("RGB")


def _web_mode(im: Image.Image) -> Image.Image:
    """RGB, RGBA or L: what every web encoder takes."""
    alpha = im.mode in ("RGBA", "LA", "PA", "RGBa", "La") or \
        (im.mode in ("P", "L", "RGB") and "transparency" in im.info)
    if alpha:
        return im.convert("RGBA") if im.mode != "RGBA" else im
    if im.mode in ("L", "RGB"):
        return im
    if im.mode in ("I;16", "I;16B", "I;16L", "I"):
        return im.point(lambda v: v / 256).convert("L")
    return im.convert("RGB")


def _encode(im: Image.Image, ext: str, quality: int, icc: bytes | None) -> bytes:
    buf = io.BytesIO()
    extra: dict[str, Any] = {"icc_profile": icc} if icc else {}
    if ext == "jpg":
        im = im.convert("RGB") if im.mode not in ("RGB", "L") else im
        im.save(buf, "JPEG", quality=quality, optimize=True, progressive=True, **extra)
    elif ext == "png":
        im.save(buf, "PNG", compress_level=6, **extra)
    elif ext == "webp":
        im = im.convert("RGB") if im.mode == "L" else im
        im.save(buf, "WEBP", quality=quality, method=4, **extra)
    elif ext == "avif":
        im.save(buf, "AVIF", quality=quality, **extra)
    else:  # pragma: no cover - VARIANT_EXT lists every extension
        raise ValueError(ext)
    return buf.getvalue()


# -- pure work: metadata stripped byte by byte (no re-encoding, so no quality lost) ---------------------------

_JPEG_STANDALONE = {0x01, *range(0xD0, 0xD8)}


def strip_jpeg(data: bytes) -> bytes:
    """The JPEG without EXIF, XMP, IPTC, MPF, comments or trailing data; JFIF, ICC and Adobe kept."""
    out = bytearray(data[:2])
    i = 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            raise SyntaxError("JPEG segment does not start with 0xFF")
        marker = data[i + 1]
        if marker == 0xFF:
            i += 1
            continue
        if marker in _JPEG_STANDALONE:
            out += data[i:i + 2]
            i += 2
            continue
        length = struct.unpack(">H", data[i + 2:i + 4])[0]
        segment = data[i:i + 2 + length]
        if marker == 0xDA:  # start of scan: entropy-coded data runs to the end of image
            end = data.find(b"\xff\xd9", i)
            out += data[i:end + 2] if end != -1 else data[i:]
            return bytes(out)
        payload = segment[4:]
        keep = not (0xE0 <= marker <= 0xEF or marker == 0xFE) or (
            (marker == 0xE0 and payload.startswith(b"JFIF\0"))
            or (marker == 0xE2 and payload.startswith(b"ICC_PROFILE\0"))
            or (marker == 0xEE and payload.startswith(b"Adobe")))
        if keep:
            out += segment
        i += 2 + length
    return bytes(out)


_PNG_KEEP = {b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"cHRM", b"gAMA", b"iCCP", b"sBIT", b"sRGB", b"cICP",
             b"bKGD", b"pHYs", b"acTL", b"fcTL", b"fdAT"}


def strip_png(data: bytes) -> bytes:
    """The PNG with only the chunks that draw pixels (colour profile and animation included)."""
    out = bytearray(data[:8])
    i = 8
    while i + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[i:i + 8])
        if kind in _PNG_KEEP:
            out += data[i:i + 12 + length]
        i += 12 + length
        if kind == b"IEND":
            break
    return bytes(out)


def strip_webp(data: bytes) -> bytes:
    """The WebP without its EXIF and XMP chunks (and their flags in VP8X)."""
    if data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise SyntaxError("not a RIFF WebP file")
    out = bytearray(b"RIFF\0\0\0\0WEBP")
    i = 12
    while i + 8 <= len(data):
        kind = data[i:i + 4]
        size = struct.unpack("<I", data[i + 4:i + 8])[0]
        chunk = bytearray(data[i:i + 8 + size + (size & 1)])
        if kind == b"VP8X" and len(chunk) > 8:
            chunk[8] &= ~(0x08 | 0x04) & 0xFF
        if kind not in (b"EXIF", b"XMP "):
            out += chunk
        i += 8 + size + (size & 1)
    out[4:8] = struct.pack("<I", len(out) - 8)
    return bytes(out)


def strip_gif(data: bytes) -> bytes:
    """The GIF without comments and application blocks (XMP lives in one), looping and frames kept."""
    if data[:6] not in (b"GIF87a", b"GIF89a"):
        raise SyntaxError("not a GIF file")
    flags = data[10]
    i = 13 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0)
    out = bytearray(data[:i])

    def sub_blocks(at: int) -> int:  # end of a run of sub-blocks, after its 0 terminator
        while data[at]:
            at += data[at] + 1
        return at + 1

    while i < len(data) and data[i] != 0x3B:
        if data[i] == 0x21:  # extension: label, then sub-blocks
            end = sub_blocks(i + 2)
            label, app = data[i + 1], data[i + 3:i + 14]
            if label not in (0xFE, 0xFF) or app in (b"NETSCAPE2.0", b"ANIMEXTS1.0"):
                out += data[i:end]
            i = end
        elif data[i] == 0x2C:  # image: descriptor, local colour table, LZW size, sub-blocks
            local = data[i + 9]
            start = i + 10 + (3 << ((local & 7) + 1) if local & 0x80 else 0)
            end = sub_blocks(start + 1)
            out += data[i:end]
            i = end
        else:
            raise SyntaxError(f"unexpected GIF block 0x{data[i]:02x}")
    return bytes(out + b"\x3b")


# -- markup ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Picture:
    """How one published image is shown: fallback `<img>`, its srcset, and `<source>`s by type."""

    src: str
    width: int
    height: int
    srcset: str = ""
    sources: tuple[tuple[str, str], ...] = ()  # (MIME type, srcset)


_IMG = re.compile(r'<img src="([^"]*)"([^>]*?)\s*/?>')


def picture_html(html: str, pictures: Mapping[str, Picture], sizes: str, eager_first: bool = True) -> str:
    """Rewrite each `<img src=...>` of `html`: `<picture>` for processed images, lazy loading for all but
    the first (when `eager_first`), `width`/`height` where known."""
    count = 0
    sizes_attr = f' sizes="{escape(sizes)}"'

    def rewrite(m: re.Match) -> str:
        nonlocal count
        first = eager_first and count == 0
        count += 1
        src, rest = m.group(1), m.group(2)
        pic = pictures.get(unescape(src).split("#")[0])
        loading = "" if first or "loading=" in rest else ' loading="lazy"'
        tail = f'{loading} decoding="async"' if "decoding=" not in rest else loading
        if pic is None:
            return f'<img src="{src}"{rest}{tail}>'
        size = f' width="{pic.width}" height="{pic.height}"' if "width=" not in rest else ""
        if not pic.srcset:
            return f'<img src="{escape(pic.src)}"{rest}{size}{tail}>'
        sources = "".join(f'<source type="{mime}" srcset="{escape(srcset)}"{sizes_attr}>'
                          for mime, srcset in pic.sources)
        return (f'<picture>{sources}<img src="{escape(pic.src)}" srcset="{escape(pic.srcset)}"{sizes_attr}{rest}'
                f'{size}{tail}></picture>')

    return _IMG.sub(rewrite, html)


def variant_url(url: str, key: str, v: Variant) -> str:
    folder, name = posixpath.split(url)
    stem = re.sub(r"[^\w.-]+", "-", posixpath.splitext(name)[0]).strip("-") or "image"
    return f"{folder.rstrip('/')}/{stem}.{key[:10]}.{v.width}.{v.ext}"


def picture_of(url: str, key: str, result: Processed) -> tuple[Picture, dict[str, bytes]]:
    """The `Picture` of an image published at `url`, and its variant files (output path -> bytes).

    Variants sit beside the original, named by the cache key so they can be cached forever:
    `/images/tree.jpg` -> `/images/tree.3f9a0c21be.960.webp`.
    """
    files: dict[str, bytes] = {}
    by_ext: dict[str, list[tuple[str, Variant]]] = defaultdict(list)
    for v in result.variants:
        out = variant_url(url, key, v)
        files[out.lstrip("/")] = v.data
        by_ext[v.ext].append((out, v))
    if not by_ext:
        return Picture(url, result.width, result.height), files
    main = VARIANT_EXT[result.format]
    chosen = by_ext[main]
    src, fallback = next(((u, v) for u, v in reversed(chosen) if v.width <= 960), chosen[0])
    srcset = lambda items: ", ".join(f"{u} {v.width}w" for u, v in items)  # noqa: E731
    sources = tuple((MIME[ext], srcset(items)) for ext, items in by_ext.items() if ext != main)
    return Picture(src, fallback.width, fallback.height, srcset(chosen), sources), files


# -- pure work: social cards --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CardSpec:
    """What a post's social card shows, and in which colours."""

    title: str
    kicker: str  # the series line, "" when none
    site: str
    colours: tuple[str, str, str, str]  # background, text, muted, accent: "#rrggbb"


@dataclass(frozen=True, slots=True)
class Placed:
    """One line of text on a card: its runs (font index, text), position (left, baseline), size, box."""

    runs: tuple[tuple[int, str], ...]
    x: int
    baseline: int
    size: int
    colour: str
    box: tuple[int, int, int, int]  # left, top, right, bottom
    rtl: bool = False  # right-aligned, runs drawn from the right (Arabic, Hebrew)


@dataclass(frozen=True, slots=True)
class CardLayout:
    """A social card's title, broken into placed lines at the size that fits."""

    lines: tuple[Placed, ...]
    title_size: int
    missing: str  # characters no font could draw; they are left off the card


class Fonts:
    """A fallback chain of font files (bytes): each character is drawn with the first font that has it."""

    def __init__(self, files: Sequence[bytes]):
        _pil()
        self.files = tuple(files)
        self.coverage = tuple(font_coverage(f) for f in self.files)
        # Loaded faces by (font, size), kept with this object: Pillow copies the file into each face (5 MB for
        # the CJK font), so a cache shared across builds (lru_cache on a method) would pin old ones in `serve`.
        self._faces: dict[tuple[int, int], ImageFont.FreeTypeFont] = {}
        self._strokes: dict[tuple[int, int], int] = {}

    def font(self, index: int, size: int) -> ImageFont.FreeTypeFont:
        face = self._faces.get((index, size))
        if face is None:
            face = self._faces[index, size] = ImageFont.truetype(io.BytesIO(self.files[index]), size)
        return face

    def stroke(self, index: int, size: int) -> int:
        """Pixels of outline that thicken a regular-weight fallback (the CJK font) to sit beside the bold serif."""
        if (index, size) not in self._strokes:
            style = (self.font(max(index, 0), size).getname()[1] or "").lower()
            self._strokes[index, size] = 0 if any(w in style for w in ("bold", "black", "heavy")) \
                else max(1, round(size / 48))
        return self._strokes[index, size]

    def which(self, ch: str) -> int:
        """Index of the font that draws `ch`; -1 when none does."""
        code = ord(ch)
        for i, cover in enumerate(self.coverage):
            if code in cover:
                return i
        return -1

    def runs(self, text: str) -> tuple[tuple[int, str], ...]:
        """`text` cut into runs of one font each. Spaces, marks, and punctuation or digits the previous font
        has stay with the run before them, so that Arabic keeps its colon and numbers in one shaped run."""
        runs: list[list] = []
        for ch in text:
            index = self.which(ch)
            prev = runs[-1][0] if runs else None
            if prev is not None and (
                    index == prev
                    or (index != -1 and (ch.isspace() or unicodedata.category(ch).startswith("M")))
                    or (prev >= 0 and unicodedata.bidirectional(ch) not in ("L", "R", "AL")
                        and ord(ch) in self.coverage[prev])):
                runs[-1][1] += ch
            else:
                runs.append([index, ch])
        return tuple((i, t) for i, t in runs)

    def missing(self, text: str) -> str:
        return "".join(dict.fromkeys(ch for ch in text if not ch.isspace() and self.which(ch) == -1
                                     and unicodedata.category(ch)[0] not in "CZ"))

    def width(self, text: str, size: int) -> float:
        return sum(self.font(max(i, 0), size).getlength(t) + 2 * self.stroke(i, size) for i, t in self.runs(text))

    def metrics(self, size: int) -> tuple[int, int]:
        return self.font(0, size).getmetrics()


def font_coverage(data: bytes) -> frozenset[int]:
    """Code points a TrueType/OpenType font (or the first font of a collection) maps to a glyph."""
    base = struct.unpack(">I", data[12:16])[0] if data[:4] == b"ttcf" else 0
    num_tables = struct.unpack(">H", data[base + 4:base + 6])[0]
    cmap = None
    for i in range(num_tables):
        tag, _, offset, _ = struct.unpack(">4sIII", data[base + 12 + 16 * i:base + 28 + 16 * i])
        if tag == b"cmap":
            cmap = offset
    if cmap is None:
        return frozenset()
    count = struct.unpack(">H", data[cmap + 2:cmap + 4])[0]
    tables = {}
    for i in range(count):
        platform, encoding, offset = struct.unpack(">HHI", data[cmap + 4 + 8 * i:cmap + 12 + 8 * i])
        tables[(platform, encoding)] = cmap + offset
    for wanted in ((3, 10), (0, 6), (0, 4), (3, 1), (0, 3), (0, 2), (0, 1), (0, 0)):
        if wanted in tables:
            return _cmap_table(data, tables[wanted])
    return frozenset()


def _cmap_table(data: bytes, at: int) -> frozenset[int]:
    fmt = struct.unpack(">H", data[at:at + 2])[0]
    codes: set[int] = set()
    if fmt == 12:
        groups = struct.unpack(">I", data[at + 12:at + 16])[0]
        for g in range(groups):
            start, end, glyph = struct.unpack(">III", data[at + 16 + 12 * g:at + 28 + 12 * g])
            codes.update(range(start + (glyph == 0), end + 1))
    elif fmt == 4:
        segs = struct.unpack(">H", data[at + 6:at + 8])[0] // 2
        ends = struct.unpack(f">{segs}H", data[at + 14:at + 14 + 2 * segs])
        p = at + 16 + 2 * segs
        starts = struct.unpack(f">{segs}H", data[p:p + 2 * segs])
        deltas = struct.unpack(f">{segs}h", data[p + 2 * segs:p + 4 * segs])
        range_at = p + 4 * segs
        offsets = struct.unpack(f">{segs}H", data[range_at:range_at + 2 * segs])
        for s in range(segs):
            for c in range(starts[s], min(ends[s], 0xFFFE) + 1):
                if offsets[s] == 0:
                    glyph = (c + deltas[s]) & 0xFFFF
                else:
                    where = range_at + 2 * s + offsets[s] + 2 * (c - starts[s])
                    glyph = struct.unpack(">H", data[where:where + 2])[0]
                    glyph = (glyph + deltas[s]) & 0xFFFF if glyph else 0
                if glyph:
                    codes.add(c)
    return frozenset(codes)


# Scripts written without spaces, where a line may break between any two characters: Han, kana, CJK
# punctuation and full-width forms. Not Hangul: Korean puts spaces between words and keeps words whole.
_NO_SPACES = "\u2e80-\u303f\u3040-\u30ff\u3100-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef" \
    "\U00020000-\U0003ffff"
_CLOSING = "\u3001\u3002\u300d\u300f\u3011\uff01\uff09\uff0c\uff0e\uff1a\uff1b\uff1f"  # never start a line


@functools.lru_cache(maxsize=1)
def _pieces() -> re.Pattern[str]:
    """The pattern that cuts a word into line-break units; compiled on first use (its character classes
    cost ~7 ms, which a build without social cards never needs)."""
    return re.compile(f"[{_NO_SPACES}][{_CLOSING}]*|[^{_NO_SPACES}]+")


def _units(text: str) -> list[tuple[str, bool]]:
    """Where a line may break: between words, and between CJK characters (which use no spaces).

    Each unit is (text, space before it). Words are never cut; closing punctuation stays with the
    character before it.
    """
    units: list[tuple[str, bool]] = []
    for word in text.split():
        for i, piece in enumerate(_pieces().findall(word)):
            units.append((piece, i == 0))
    return units


def _join(units: Sequence[tuple[str, bool]]) -> str:
    return "".join((" " if space and i else "") + text for i, (text, space) in enumerate(units))


def _wrap(units: list[tuple[str, bool]], fonts: Fonts, size: int, width: int) -> list[list[tuple[str, bool]]] | None:
    """Greedy line breaking; None when one unit alone is wider than `width`."""
    lines: list[list[tuple[str, bool]]] = []
    for unit in units:
        if fonts.width(unit[0], size) > width:
            return None
        if lines and fonts.width(_join(lines[-1] + [unit]), size) <= width:
            lines[-1].append(unit)
        else:
            lines.append([unit])
    return lines


def _is_rtl(text: str) -> bool:
    """Whether the first letter with a direction is right-to-left (Arabic, Hebrew): such lines align right."""
    for ch in text:
        kind = unicodedata.bidirectional(ch)
        if kind in ("L", "R", "AL"):
            return kind != "L"
    return False


def _balance(units: list[tuple[str, bool]], fonts: Fonts, size: int, width: int,
             lines: list[list[tuple[str, bool]]]) -> list[list[tuple[str, bool]]]:
    """The same number of lines at the narrowest width that still holds them (what CSS calls `text-wrap:
    balance`): "Write for / One Reader" rather than "Write for One / Reader"."""
    if len(lines) < 2:
        return lines
    lo, hi = 1, width
    while lo < hi:
        mid = (lo + hi) // 2
        wrapped = _wrap(units, fonts, size, mid)
        if wrapped is not None and len(wrapped) <= len(lines):
            hi = mid
        else:
            lo = mid + 1
    return _wrap(units, fonts, size, lo) or lines


def _fit_line(text: str, fonts: Fonts, sizes: Sequence[int], width: int) -> tuple[str, int]:
    """One line of `text` at the largest of `sizes` that fits, else ended early with an ellipsis at a word."""
    for size in sizes:
        if fonts.width(text, size) <= width:
            return text, size
    size = sizes[-1]
    words = text.split()
    while words and fonts.width(" ".join(words) + " …", size) > width:
        words.pop()
    return (" ".join(words) + " …" if words else ""), size


def layout_card(spec: CardSpec, fonts: Fonts) -> CardLayout:
    """Where every line of a card goes. The title is wrapped at word boundaries and shrunk until it fits the
    space between the series line and the site name; a title too long even at the smallest size ends with
    an ellipsis after its last whole word."""
    W, H = CARD_SIZE
    pad, left = 72, 104
    right = W - pad
    _, fg, muted, accent = spec.colours
    missing = fonts.missing(spec.title + spec.kicker + spec.site)
    title, kicker, site = spec.title, spec.kicker, spec.site
    if fonts.missing(kicker):
        kicker = ""
    if fonts.missing(site):
        site = ""
    if fonts.missing(title):
        title, site = site, ""
    lines: list[Placed] = []

    def place(text: str, size: int, baseline: int, colour: str) -> Placed:
        ascent, descent = fonts.metrics(size)
        width = round(fonts.width(text, size))
        rtl = _is_rtl(text)
        x = right - width if rtl else left
        return Placed(fonts.runs(text), x, baseline, size, colour, (x, baseline - ascent, x + width,
                                                                    baseline + descent), rtl)

    top = pad
    if kicker:
        text, size = _fit_line(kicker, fonts, (34, 32, 30, 28, 26), right - left)
        ascent, descent = fonts.metrics(size)
        lines.append(place(text, size, top + ascent, muted))
        top += ascent + descent + 24
    bottom = H - pad
    if site:
        text, size = _fit_line(site, fonts, (34, 32, 30, 28, 26), right - left)
        ascent, descent = fonts.metrics(size)
        lines.append(place(text, size, bottom - descent, accent))
        bottom -= ascent + descent + 28

    units = _units(title)
    box_w, box_h = right - left, bottom - top
    chosen: tuple[int, list] | None = None
    for size in range(92, 47, -4):  # 48 px is the smallest that stays readable in a feed's thumbnail
        wrapped = _wrap(units, fonts, size, box_w)
        if wrapped is not None and len(wrapped) * round(size * 1.2) <= box_h:
            chosen = (size, _balance(units, fonts, size, box_w, wrapped))
            break
    if chosen is None:  # very long: the smallest size that fits the longest word, then cut at a word
        size = 48
        while size > 12 and _wrap(units, fonts, size, box_w) is None:
            size -= 2
        wrapped = _wrap(units, fonts, size, box_w) or [[u] for u in units if fonts.width(u[0], size) <= box_w]
        keep = max(1, box_h // round(size * 1.2))
        if len(wrapped) > keep:
            wrapped = wrapped[:keep]
            last = wrapped[-1]
            while len(last) > 1 and fonts.width(_join(last) + " …", size) > box_w:
                last.pop()
            wrapped[-1] = last + [("…", True)]
        chosen = (size, wrapped)
    size, wrapped = chosen
    leading = round(size * 1.2)
    ascent, _ = fonts.metrics(size)
    block = len(wrapped) * leading
    y = top + max(0, (box_h - block) // 2) + ascent
    for line in wrapped:
        lines.append(place(_join(line), size, y, fg))
        y += leading
    return CardLayout(tuple(lines), size, missing)


def render_card(spec: CardSpec, fonts: Fonts) -> bytes:
    """The card as PNG bytes; the same spec and fonts give the same bytes."""
    _pil()
    bg, _, _, accent = spec.colours
    im = Image.new("RGB", CARD_SIZE, bg)
    draw = ImageDraw.Draw(im)
    draw.rectangle((0, 0, 24, CARD_SIZE[1]), fill=accent)
    for line in layout_card(spec, fonts).lines:
        x = float(line.x)
        # Right-to-left lines: runs in reverse, so a Latin word or a number inside Arabic sits where bidi puts it.
        for index, text in (reversed(line.runs) if line.rtl else line.runs):
            font, stroke = fonts.font(max(index, 0), line.size), fonts.stroke(index, line.size)
            if index >= 0:  # characters no font has were kept off the card by `layout_card`
                draw.text((x + stroke, line.baseline), text, font=font, fill=line.colour, anchor="ls",
                          stroke_width=stroke, stroke_fill=line.colour)
            x += font.getlength(text) + 2 * stroke
    buf = io.BytesIO()
    # A card holds four colours and the blends antialiasing makes between the background and each: a
    # 64-entry palette of exactly those keeps the theme's colours exact, halves the file and the encoding time.
    im.quantize(palette=_card_palette(spec.colours), dither=Image.Dither.NONE).save(buf, "PNG", compress_level=6)
    return buf.getvalue()


def _card_palette(colours: tuple[str, str, str, str]) -> Image.Image:
    bg, *inks = [ImageColor.getrgb(c)[:3] for c in colours]
    steps = 21  # blends of each ink over the background: 1 + 3 x 21 = 64 entries
    entries = [bg] + [tuple(round(b + (i - b) * k / steps) for b, i in zip(bg, ink))
                      for ink in inks for k in range(1, steps + 1)]
    palette = Image.new("P", (1, 1))
    palette.putpalette([v for rgb in dict.fromkeys(entries) for v in rgb])
    return palette


# -- the process pool ----------------------------------------------------------------------------------------

_WORKER_FONTS: Fonts | None = None


def _init_worker(fonts: tuple[bytes, ...]) -> None:
    global _WORKER_FONTS
    if _WORKER_FONTS is None or _WORKER_FONTS.files != fonts:
        _WORKER_FONTS = Fonts(fonts)


def _card_task(spec: CardSpec) -> bytes:
    assert _WORKER_FONTS is not None
    return render_card(spec, _WORKER_FONTS)


def _context():
    """Forked workers (cheap, nothing re-imported) unless this process runs other threads (the preview
    server), where a fork could inherit a held lock: then workers come from a forkserver."""
    import multiprocessing  # here, not at the top: most builds have no image to process (~15 ms)

    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    if "forkserver" in methods:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["generator.images"])
        return context
    return multiprocessing.get_context("spawn")


def run_tasks(tasks: list[tuple[Callable, tuple]], workers: int, fonts: tuple[bytes, ...]) -> list[Any]:
    """Run `fn(*args)` for each task across processes (results in task order); in this process when the
    work is too small to pay for starting processes (~0.2 s), there is one core, or no way to start them."""
    if not tasks:
        return []
    count = min(workers or os.cpu_count() or 1, len(tasks))
    weight = sum(len(a) for _, args in tasks for a in args if isinstance(a, bytes))
    context = _context()
    main_file = getattr(sys.modules["__main__"], "__file__", None)
    startable = context.get_start_method() == "fork" or not main_file or os.path.exists(main_file)
    if count > 1 and (len(tasks) >= 4 or weight >= 4_000_000) and startable:
        from concurrent.futures import ProcessPoolExecutor
        from concurrent.futures.process import BrokenProcessPool

        try:
            with ProcessPoolExecutor(count, mp_context=context,
                                     initializer=_init_worker, initargs=(fonts,)) as pool:
                futures = [pool.submit(fn, *args) for fn, args in tasks]
                return [f.result() for f in futures]
        except (OSError, BrokenProcessPool, NotImplementedError):
            pass  # e.g. no /dev/shm in a sandbox: do the work here instead
    _init_worker(fonts)
    return [fn(*args) for fn, args in tasks]


# -- the build stage ---------------------------------------------------------------------------------------


def _digest(*parts: bytes | str) -> str:
    h = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        h.update(struct.pack(">Q", len(data)))
        h.update(data)
    return h.hexdigest()


def image_key(data: bytes, settings: ImageSettings, want_variants: bool) -> str:
    _pil()
    return _digest(VERSION, PIL.__version__, settings.key(), str(want_variants), data)


def _to_blobs(result: Processed) -> dict[str, bytes]:
    meta = {"format": result.format, "width": result.width, "height": result.height, "animated": result.animated,
            "variants": [[v.width, v.height, v.ext] for v in result.variants]}
    blobs = {"meta.json": json.dumps(meta).encode(), "clean": result.clean}
    blobs.update({f"{v.width}.{v.ext}": v.data for v in result.variants})
    return blobs


def _from_blobs(blobs: Mapping[str, bytes]) -> Processed | None:
    try:
        meta = json.loads(blobs["meta.json"])
        variants = tuple(Variant(w, h, ext, blobs[f"{w}.{ext}"]) for w, h, ext in meta["variants"])
        return Processed(meta["format"], meta["width"], meta["height"], meta["animated"], blobs["clean"], variants)
    except (KeyError, ValueError, TypeError):
        return None


def _local_asset(src: str, source: str, assets: Mapping[str, bytes]) -> str | None:
    """Output path of the published file an image reference points at, or None (remote, or not a file)."""
    parts = urlsplit(src)
    if parts.scheme or parts.netloc or not parts.path:
        return None
    path = unquote(parts.path)
    if path.startswith("/"):
        out = posixpath.normpath(path).lstrip("/")
    else:
        url = asset_url(posixpath.normpath(posixpath.join(posixpath.dirname(source), path)))
        out = url.lstrip("/") if url else ""
    return out if out in assets else None


def _series_line(post: Post, site: Site) -> str:
    for series in site.series:
        if post.source in series.parts:
            return f"{series.name} · part {series.parts.index(post.source) + 1} of {len(series.parts)}"
    return ""


def process_site(site: Site, chain: ThemeChain, site_root: Path, config_text: str = "",
                 cache: bool = True) -> tuple[Site, list[Finding]]:
    """The images stage: cleaned originals, variants and cards among the site's assets, `<picture>` in the
    posts' HTML, and each post's `og_image`. Findings name the post and line that use a bad image."""
    config = site.config
    settings, findings = settings_from(config, config_text)
    if has_errors(findings):
        return site, findings
    entries = site.posts + site.pages

    # Which published files are images, and where posts use them.
    refs: dict[str, list[tuple[str, int]]] = defaultdict(list)
    share: dict[str, str] = {}  # post source -> output path of its front-matter image
    for post in entries:
        for ref in post.images:
            path = _local_asset(ref.src, post.source, site.assets)
            if path and not path.endswith(".svg"):
                refs[path].append((post.source, ref.line))
        if post.image and not urlsplit(post.image).scheme:
            path = _local_asset(post.image, post.source, site.assets)
            line = post.line_of("image")
            if path is None:
                findings.append(error(f"image {post.image} does not exist; give a path relative to this file, or "
                                      "from the site root such as /images/cover.jpg", post.source, line, "images"))
            elif path.endswith(".svg"):
                findings.append(error(f"image {post.image} is an SVG, which sharing sites do not show; "
                                      "use a JPEG or PNG", post.source, line, "images"))
            else:
                refs[path].append((post.source, line))
                share[post.source] = path
    todo = [path for path in sorted(site.assets)
            if path.lower().endswith(RASTER_SUFFIXES) or path in refs]

    # Cache first; the misses go to Pillow, in parallel.
    cache = Cache.for_site(site_root, "images") if cache else Cache(None)  # --no-cache: keep nothing
    keys = {path: image_key(site.assets[path], settings, path in refs) for path in todo}
    results: dict[str, Processed | Failure] = {}
    misses: list[str] = []
    missed_keys: set[str] = set()
    for path in todo:
        cached = cache.get(keys[path])
        hit = _from_blobs(cached) if cached else None
        if hit is not None:
            results[path] = hit
        elif keys[path] not in missed_keys:
            misses.append(path)
            missed_keys.add(keys[path])

    cards: dict[str, tuple[str, CardSpec]] = {}  # post source -> (key, spec)
    card_pngs: dict[str, bytes] = {}
    fonts: tuple[bytes, ...] = ()
    if settings.cards:
        _pil()
        fonts, problems = _read_fonts(chain, site_root, settings, config_text)
        findings += problems
        if has_errors(problems):
            return site, findings
        chain_fonts = Fonts(fonts)
        colours = _theme_colours(chain)
        if settings.cards and chain_fonts.missing(config.title):
            findings.append(warning(f"the social cards' fonts cannot draw {chain_fonts.missing(config.title)!r} from "
                                    "the site title, so cards leave it off; add a font that covers it to [images] "
                                    "card_fonts", "site.toml", _key_line(config_text, None, "title"), "images"))
        fonts_key = _digest(*fonts)
        for post in entries:
            if post.source in share or post.image:
                continue
            spec = CardSpec(post.title, _series_line(post, site), config.title, colours)
            for what, text, key in (("title", spec.title, "title"), ("series name", spec.kicker, "series")):
                missing = chain_fonts.missing(text)
                if missing:  # never tofu: the card leaves such text off, and says so here
                    findings.append(warning(
                        f"the social card's fonts cannot draw {missing!r} from the {what}, so the card leaves the "
                        f"{what} off; add a font that covers it (such as a Noto font of that script) to [images] "
                        "card_fonts", post.source, post.line_of(key), "images"))
            key = _digest(VERSION, PIL.__version__, fonts_key, json.dumps(asdict(spec)), "card")
            cards[post.source] = (key, spec)
            blobs = cache.get(key)
            if blobs and "card.png" in blobs:
                card_pngs[key] = blobs["card.png"]
    card_misses = sorted({key: spec for key, spec in cards.values() if key not in card_pngs}.items())

    tasks: list[tuple[Callable, tuple]] = [(process_image, (site.assets[p], settings, p in refs)) for p in misses]
    tasks += [(_card_task, (spec,)) for _, spec in card_misses]
    WORK["images"] += len(misses)
    WORK["cards"] += len(card_misses)
    done = run_tasks(tasks, settings.workers, fonts)
    for path, result in zip(misses, done[:len(misses)]):
        results[path] = result
        if isinstance(result, Processed):
            cache.put(keys[path], _to_blobs(result))
    for (key, _), png in zip(card_misses, done[len(misses):]):
        card_pngs[key] = png
        cache.put(key, {"card.png": png})
    for path in todo:  # identical files share one result
        if path not in results:
            results[path] = next(results[p] for p in misses if keys[p] == keys[path])

    # Publish: cleaned originals in place, variants beside them, cards under /cards/.
    assets = dict(site.assets)
    pictures: dict[str, Picture] = {}
    for path in todo:
        result = results[path]
        if isinstance(result, Failure):
            origin = _origin(path, site_root)
            if refs.get(path):
                findings += [error(f"image {origin} {result.reason}", source, line, "images")
                             for source, line in refs[path]]
            else:
                findings.append(warning(f"image {origin} {result.reason}; it is not published", origin, 0, "images"))
            del assets[path]
            continue
        assets[path] = result.clean
        picture, files = picture_of("/" + path, keys[path], result)
        assets.update(files)
        pictures["/" + path] = picture

    og: dict[str, OgImage] = {}
    for source, path in share.items():
        result = results.get(path)
        if isinstance(result, Processed):
            main = [v for v in result.variants if v.ext == VARIANT_EXT[result.format]]
            if main:  # the largest variant in the original format: what sharing sites show best
                v = main[-1]
                url = variant_url("/" + path, keys[path], v)
                og[source] = OgImage(config.absolute(url), v.width, v.height, site.by_source[source].image_alt)
            else:
                og[source] = OgImage(config.absolute(path), result.width, result.height,
                                     site.by_source[source].image_alt)
    for post in entries:
        if post.image and urlsplit(post.image).scheme:
            og[post.source] = OgImage(post.image, 0, 0, post.image_alt)
    for source, (key, _) in cards.items():
        slug = re.sub(r"[^\w.-]+", "-", site.by_source[source].slug).strip("-") or "card"
        out = f"cards/{slug}.{key[:10]}.png"
        assets[out] = card_pngs[key]
        og[source] = OgImage(config.absolute(out), *CARD_SIZE, site.by_source[source].title)

    def update(post: Post) -> Post:
        # A post without <img> and without a new share image is left as it is (the same object, so its
        # cache key is not computed again either).
        html = picture_html(post.html, pictures, settings.sizes) if "<img" in post.html else post.html
        summary = picture_html(post.summary_html, pictures, settings.sizes, eager_first=False) \
            if "<img" in post.summary_html else post.summary_html
        og_image = og.get(post.source, post.og_image)
        if html is post.html and summary is post.summary_html and og_image is post.og_image:
            return post
        return replace(post, html=html, summary_html=summary, og_image=og_image)

    published = {post.source for post in entries}
    by_source = {source: update(post) if source in published else post for source, post in site.by_source.items()}
    site = replace(site, posts=tuple(by_source[p.source] for p in site.posts),
                   pages=tuple(by_source[p.source] for p in site.pages),
                   by_source=MappingProxyType(by_source), assets=MappingProxyType(assets))
    return site, findings


# -- edge: the files this stage reads -------------------------------------------------------------------------

DEFAULT_COLOURS = ("#fbfaf7", "#1f1d1a", "#5b574f", "#8a3b12")
_COLOUR = re.compile(r"--(bg|fg|muted|accent)\s*:\s*(#[0-9a-fA-F]{6}|#[0-9a-fA-F]{3})\b")


def _origin(path: str, site_root: Path) -> str:
    """The source file behind an output path (content/ or static/)."""
    return f"static/{path}" if not (site_root / "content" / path).is_file() and \
        (site_root / "static" / path).is_file() else f"content/{path}"


def _theme_colours(chain: ThemeChain) -> tuple[str, str, str, str]:
    """Background, text, muted and accent colours from the first --bg/--fg/--muted/--accent of the theme's
    style.css (its light scheme); the default theme's where a theme does not set them."""
    found: dict[str, str] = {}
    for static in reversed(chain.static_dirs):  # the active theme first
        css = static / "style.css"
        if css.is_file():
            for name, value in _COLOUR.findall(css.read_text("utf-8", errors="replace")):
                found.setdefault(name, value if len(value) == 7 else "#" + "".join(c * 2 for c in value[1:]))
            break
    defaults = dict(zip(("bg", "fg", "muted", "accent"), DEFAULT_COLOURS))
    return tuple(found.get(k, defaults[k]) for k in ("bg", "fg", "muted", "accent"))  # type: ignore[return-value]


def _read_fonts(chain: ThemeChain, site_root: Path, settings: ImageSettings,
                config_text: str) -> tuple[tuple[bytes, ...], list[Finding]]:
    """The card fonts in fallback order: [images] card_fonts, then the fonts/ of each theme (active first),
    then the default theme's, so a theme without fonts still gets cards."""
    files: list[bytes] = []
    findings: list[Finding] = []
    for rel in settings.card_fonts:
        path = site_root / rel
        try:
            data = path.read_bytes()
            font_coverage(data)
        except (OSError, struct.error, IndexError):
            findings.append(error(f"images.card_fonts: {rel} is not a font file this site has (TrueType or OpenType, "
                                  "path relative to the site)", "site.toml",
                                  _key_line(config_text, "images", "card_fonts"), "config"))
            continue
        files.append(data)
    default = find_theme("default", site_root)
    roots = [t.root for t in chain.themes] + ([default.root] if default else [])
    seen: set[Path] = set()
    for root in roots:
        folder = (root / "fonts").resolve()
        if folder in seen or not folder.is_dir():
            continue
        seen.add(folder)
        files += [p.read_bytes() for p in sorted(folder.iterdir()) if p.suffix.lower() in (".ttf", ".otf", ".ttc")]
    if not files:
        findings.append(error("no font for social cards: the theme has no fonts/ folder; add one, or set "
                              "[images] cards = false", "site.toml", 0, "config"))
    return tuple(files), findings
