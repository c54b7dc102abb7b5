"""Post images: variants and <picture> markup, metadata stripped, orientation, cache, and bad input.

Every test image is made here with Pillow; nothing binary lives in the repository.
"""

from __future__ import annotations

import io
import re
import struct
import zlib
from html import unescape
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner
from PIL import Image, ImageCms

from generator import images
from generator.cli import main
from generator.errors import has_errors
from tests.conftest import SITE_TOML, post

GPS = {1: "N", 2: (45.0, 48.0, 12.5), 3: "E", 4: (15.0, 58.0, 1.0)}
SECRET = b"secret-hideout"


def _exif(orientation: int = 1) -> Image.Exif:
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "SpyCam"
    exif[0x8825] = GPS
    return exif


def halves(size: tuple[int, int]) -> Image.Image:
    """Left half red, right half blue: which way up it is shows in the pixels."""
    im = Image.new("RGB", size, (255, 0, 0))
    im.paste((0, 0, 255), (size[0] // 2, 0, size[0], size[1]))
    return im


def jpeg(size=(2000, 1000), orientation=1, icc: bytes | None = None) -> bytes:
    buf = io.BytesIO()
    extra = {"icc_profile": icc} if icc else {}
    halves(size).save(buf, "JPEG", quality=90, exif=_exif(orientation), xmp=b"<x:xmpmeta>" + SECRET + b"</x:xmpmeta>",
                      comment=b"taken at " + SECRET, **extra)
    return buf.getvalue()


def png(size=(700, 400)) -> bytes:
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Location", SECRET.decode())
    buf = io.BytesIO()
    halves(size).save(buf, "PNG", exif=_exif(), pnginfo=info)
    return buf.getvalue()


def webp(size=(1200, 800)) -> bytes:
    buf = io.BytesIO()
    halves(size).save(buf, "WEBP", exif=_exif(), xmp=b"<x:xmpmeta>" + SECRET + b"</x:xmpmeta>")
    return buf.getvalue()


def gif_animation() -> bytes:
    frames = [Image.new("RGB", (40, 30), colour).convert("P") for colour in ("red", "green", "blue")]
    buf = io.BytesIO()
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    return buf.getvalue()


SVG = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><circle cx="5" cy="5" r="4"/></svg>\n'


def html(result, path: str) -> BeautifulSoup:
    return BeautifulSoup(result.outputs[path].decode(), "html.parser")


def srcset_urls(srcset: str) -> list[tuple[str, int]]:
    return [(url, int(w.rstrip("w"))) for url, w in (part.split() for part in srcset.split(","))]


def errors(result) -> list:
    return [f for f in result.findings if f.severity == "error"]


PHOTO_POST = post("Photos", body="""\
Intro paragraph.

![A wide tree](/images/photo.jpg)

Between.

![A small chart](chart.png "The chart")
""")


@pytest.fixture
def photo_site(make_site):
    return make_site({"content/posts/photos.md": PHOTO_POST, "content/images/photo.jpg": jpeg(),
                      "content/posts/chart.png": png()})


def test_variants_picture_markup_and_sizes(photo_site, build_site):
    result = build_site(photo_site)
    assert not has_errors(result.findings), [f.format() for f in result.findings]
    doc = html(result, "photos/index.html")
    pictures = doc.select(".content picture")
    assert len(pictures) == 2

    first = pictures[0]
    source = first.find("source")
    assert source["type"] == "image/webp"
    assert source["sizes"] == first.img["sizes"]
    webps = srcset_urls(source["srcset"])
    jpgs = srcset_urls(first.img["srcset"])
    assert [w for _, w in webps] == [w for _, w in jpgs] == [480, 960, 1600]
    assert first.img["src"] in [u for u, w in jpgs if w == 960]
    assert (first.img["width"], first.img["height"]) == ("960", "480")
    assert first.img["alt"] == "A wide tree"
    assert not first.img.has_attr("loading"), "the first image of a post loads eagerly"
    assert first.img["decoding"] == "async"
    for url, width in webps + jpgs:
        im = Image.open(io.BytesIO(result.outputs[url.lstrip("/")]))
        assert im.format == ("WEBP" if url.endswith(".webp") else "JPEG")
        assert im.size == (width, width // 2)
        assert url.startswith("/images/photo.")

    second = pictures[1].img
    assert second["loading"] == "lazy" and second["title"] == "The chart" and second["alt"] == "A small chart"
    widths = [w for _, w in srcset_urls(second["srcset"])]
    assert widths == [480, 700], "never upscaled: the original width ends the list"
    assert all(u.startswith("/posts/chart.") and u.endswith(".png") for u, _ in srcset_urls(second["srcset"]))
    assert (second["width"], second["height"]) == ("700", "400"), "the fallback: the largest up to 960 wide"


def test_never_upscaled(make_site, build_site):
    root = make_site({"content/posts/a.md": post("Small", body="![tiny](tiny.jpg)\n"),
                      "content/posts/tiny.jpg": jpeg((300, 200))})
    result = build_site(root)
    variants = [p for p in result.outputs if re.search(r"tiny\.\w+\.\d+\.", p)]
    assert variants and all(Image.open(io.BytesIO(result.outputs[p])).size == (300, 200) for p in variants)
    img = html(result, "a/index.html").select_one("picture img")
    assert (img["width"], img["height"]) == ("300", "200")


def _metadata_free(data: bytes) -> None:
    assert SECRET not in data
    assert b"SpyCam" not in data
    im = Image.open(io.BytesIO(data))
    exif = im.getexif()
    assert not exif.get_ifd(0x8825), "GPS survived"
    assert 0x010F not in exif
    assert "xmp" not in im.info and "exif" not in im.info and "comment" not in im.info


def test_gps_exif_xmp_stripped_from_every_published_image(make_site, build_site):
    sources = {"content/images/a.jpg": jpeg(), "content/images/b.png": png(), "content/images/c.webp": webp(),
               "content/images/unused.jpg": jpeg((640, 480)), "static/me.jpg": jpeg((500, 500))}
    for data in sources.values():
        assert SECRET in data  # the inputs do carry it
    body = "![a](/images/a.jpg)\n\n![b](/images/b.png)\n\n![c](/images/c.webp)\n"
    root = make_site({"content/posts/p.md": post("Private", body=body), **sources})
    result = build_site(root)
    assert not has_errors(result.findings)
    published = [p for p in result.outputs if p.endswith((".jpg", ".png", ".webp")) and not p.startswith("cards/")]
    assert {"images/a.jpg", "images/b.png", "images/c.webp", "images/unused.jpg", "me.jpg"} <= set(published)
    assert len(published) > 15
    for path in published:
        _metadata_free(result.outputs[path])


def test_clean_original_keeps_its_pixels_and_colour_profile(make_site, build_site):
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = jpeg((800, 600), icc=icc)
    root = make_site({"content/posts/p.md": post("P", body="![x](x.jpg)\n"), "content/posts/x.jpg": data})
    result = build_site(root)
    clean = result.outputs["posts/x.jpg"]
    assert len(clean) < len(data)
    assert Image.open(io.BytesIO(clean)).tobytes() == Image.open(io.BytesIO(data)).tobytes(), "stripped, not re-encoded"
    for path, blob in result.outputs.items():
        if path.startswith("posts/x."):
            assert Image.open(io.BytesIO(blob)).info.get("icc_profile") == icc, path


def test_orientation_applied(make_site, build_site):
    # Stored 800x400 (red left, blue right) with orientation 6: shown turned 90° clockwise, 400x800, red on top.
    root = make_site({"content/posts/p.md": post("Turned", body="![t](turned.jpg)\n"),
                      "content/posts/turned.jpg": jpeg((800, 400), orientation=6)})
    result = build_site(root)
    img = html(result, "p/index.html").select_one("picture img")
    assert (img["width"], img["height"]) == ("400", "800")
    outputs = [p for p in result.outputs if p.startswith("posts/turned")]
    assert len(outputs) == 3  # the clean original, and one width in JPEG and WebP
    for path in outputs:
        im = Image.open(io.BytesIO(result.outputs[path]))
        assert im.size == (400, 800), path
        assert im.getexif().get(0x0112) in (None, 1)
        rgb = im.convert("RGB")
        top, bottom = rgb.getpixel((200, 40)), rgb.getpixel((200, 760))
        assert top[0] > 200 and top[2] < 60 and bottom[2] > 200 and bottom[0] < 60, (path, top, bottom)


def test_animated_gif_and_svg_pass_through(make_site, build_site):
    gif = gif_animation()
    root = make_site({"content/posts/p.md": post("Moving", body="![svg](dot.svg)\n\n![gif](anim.gif)\n"),
                      "content/posts/dot.svg": SVG, "content/posts/anim.gif": gif})
    result = build_site(root)
    assert result.outputs["posts/anim.gif"] == gif
    assert result.outputs["posts/dot.svg"] == SVG
    assert not [p for p in result.outputs if re.match(r"posts/(anim|dot)\.\w{10}\.", p)]
    doc = html(result, "p/index.html")
    assert not doc.select(".content picture")
    svg, anim = doc.select(".content img")
    assert svg["src"] == "/posts/dot.svg" and not svg.has_attr("loading")
    assert anim["src"] == "/posts/anim.gif" and anim["loading"] == "lazy"
    assert (anim["width"], anim["height"]) == ("40", "30")


def test_static_gif_webp_and_remote_images(make_site, build_site):
    buf = io.BytesIO()
    halves((600, 300)).convert("P").save(buf, "GIF")
    root = make_site({"content/posts/p.md": post("Mixed", body="![r](https://example.com/x.jpg)\n\n![g](still.gif)\n\n"
                                                              "![w](pic.webp)\n"),
                      "content/posts/still.gif": buf.getvalue(), "content/posts/pic.webp": webp()})
    result = build_site(root)
    doc = html(result, "p/index.html")
    remote = doc.select_one('.content img[src="https://example.com/x.jpg"]')
    assert remote is not None and not remote.has_attr("loading")
    still, pic = doc.select(".content picture")
    assert [w for _, w in srcset_urls(still.img["srcset"])] == [480, 600] and still.img["src"].endswith(".png")
    assert still.source["type"] == "image/webp"
    assert pic.find("source") is None and pic.img["src"].endswith(".webp"), "a WebP needs no second WebP"


def test_first_image_eager_and_summary_images_lazy(make_site, build_site):
    body = "![one](a.png)\n\nText.\n\n![two](a.png)\n\n<!-- more -->\n\nMore.\n"
    root = make_site({"content/posts/p.md": post("Two", body=body), "content/posts/a.png": png((100, 50))})
    result = build_site(root)
    imgs = html(result, "p/index.html").select(".content img")
    assert [i.get("loading") for i in imgs] == [None, "lazy"]
    home = html(result, "index.html")
    assert [i.get("loading") for i in home.select("main img")] == ["lazy", "lazy"]


def test_feed_srcset_is_absolute(photo_site, build_site):
    result = build_site(photo_site)
    feed = unescape(result.outputs["feed.xml"].decode())
    srcsets = re.findall(r'srcset="([^"]*)"', feed)
    assert srcsets
    for srcset in srcsets:
        assert all(url.startswith("https://example.org/") for url, _ in srcset_urls(srcset))


def test_front_matter_image_is_the_share_image(make_site, build_site):
    text = post("Covered", image="cover.jpg", image_alt='"A red and blue flag"')
    root = make_site({"content/posts/c.md": text, "content/posts/cover.jpg": jpeg((1800, 900))})
    result = build_site(root)
    doc = html(result, "c/index.html")
    og = doc.find("meta", property="og:image")["content"]
    assert re.fullmatch(r"https://example\.org/posts/cover\.\w{10}\.1600\.jpg", og)
    assert doc.find("meta", property="og:image:width")["content"] == "1600"
    assert doc.find("meta", property="og:image:height")["content"] == "800"
    assert doc.find("meta", property="og:image:alt")["content"] == "A red and blue flag"
    assert doc.find("meta", attrs={"name": "twitter:image"})["content"] == og
    assert og.removeprefix("https://example.org/") in result.outputs
    assert not [p for p in result.outputs if p.startswith("cards/c.")], "no card for a post with its own image"


def test_missing_front_matter_image_names_its_line(make_site, build_site):
    root = make_site({"content/posts/c.md": post("Covered", image="nope.jpg")})
    result = build_site(root)
    (finding,) = errors(result)
    assert (finding.location.path, finding.location.line) == ("content/posts/c.md", 4)
    assert "nope.jpg does not exist" in finding.message


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _bomb() -> bytes:
    """A tiny PNG whose header claims 30000x30000 pixels."""
    ihdr = struct.pack(">IIBBBBB", 30000, 30000, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IEND", b"")


def _corrupt_png() -> bytes:
    data = bytearray(png((300, 300)))
    at = data.find(b"IDAT")
    data[at + 10:at + 60] = b"\x00" * 50
    return bytes(data)


def _bmp() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (20, 20)).save(buf, "BMP")
    return buf.getvalue()


BAD = {
    "missing": (None, "does not exist"),
    "truncated": (jpeg()[:6000], "is truncated"),
    "corrupt": (_corrupt_png(), "is damaged"),
    "bomb": (_bomb(), "decompression bomb"),
    "unknown": (b"this is not an image at all\n", "unknown format"),
    "not-for-the-web": (_bmp(), "BMP image, which browsers do not show"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_image_names_post_and_line_and_keeps_previous_output(case, make_site, build_site, tmp_path):
    data, expected = BAD[case]
    body = "First paragraph.\n\nSecond one, then the picture:\n\n![bad](pictures/bad.img)\n"
    root = make_site({"content/posts/good.md": post("Good", body="![fine](fine.png)\n"),
                      "content/posts/fine.png": png((120, 80))})
    out = tmp_path / "out"
    runner = CliRunner()
    first = runner.invoke(main, ["build", "--site", str(root), "--out", str(out)])
    assert first.exit_code == 0, first.output
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}

    make_site({"content/posts/bad.md": post("Bad", body=body),
               **({"content/posts/pictures/bad.img": data} if data is not None else {})}, root)
    result = build_site(root)
    found = errors(result)
    assert found, case
    assert {(f.location.path, f.location.line) for f in found} == {("content/posts/bad.md", 9)}, \
        [f.format() for f in found]
    assert expected in found[0].message and "bad.img" in found[0].message

    second = runner.invoke(main, ["build", "--site", str(root), "--out", str(out)])
    assert second.exit_code == 1
    assert "content/posts/bad.md:9: error:" in second.output
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before, "a failed build leaves the previous output as it was"


def test_max_pixels_setting(make_site, build_site):
    toml = SITE_TOML + "\n[images]\nmax_pixels = 5000\n"
    root = make_site({"site.toml": toml, "content/posts/p.md": post("P", body="![big](big.png)\n"),
                      "content/posts/big.png": png((100, 100))})
    (finding,) = errors(build_site(root))
    assert "more than [images] max_pixels (5000)" in finding.message and finding.location.line == 5


def test_broken_image_nobody_uses_is_a_warning_and_unpublished(make_site, build_site):
    root = make_site({"content/posts/p.md": post("P"), "content/images/old.jpg": jpeg()[:3000]})
    result = build_site(root)
    assert not has_errors(result.findings)
    (finding,) = [f for f in result.findings if f.rule == "images"]
    assert finding.severity == "warning" and finding.location.path == "content/images/old.jpg"
    assert "images/old.jpg" not in result.outputs


def test_bad_image_settings_are_config_errors(make_site, build_site):
    toml = SITE_TOML + '\n[images]\nwidths = ["big"]\n'
    root = make_site({"site.toml": toml, "content/posts/p.md": post("P")})
    (finding,) = errors(build_site(root))
    assert "images.widths must be a list of whole numbers" in finding.message and finding.location.line == 7
    root = make_site({"site.toml": SITE_TOML + "\n[images]\nquality = 0\n"})
    (finding,) = errors(build_site(root))
    assert "images.quality must be between 1 and 100" in finding.message and finding.location.line == 7


def test_second_build_is_served_from_the_cache(photo_site, build_site, tmp_path, monkeypatch):
    monkeypatch.setenv("GIVING_CACHE_DIR", str(tmp_path / "cache"))
    (photo_site / "site.toml").write_text(SITE_TOML + "\n[images]\nworkers = 1\n", "utf-8")
    before = images.WORK.copy()
    cold = build_site(photo_site)
    assert images.WORK["images"] - before["images"] == 2 and images.WORK["cards"] - before["cards"] == 1
    assert list((tmp_path / "cache" / "images").iterdir())

    def no_pillow(*args, **kwargs):
        raise AssertionError("Pillow was called on a warm build")

    monkeypatch.setattr(Image, "open", no_pillow)
    monkeypatch.setattr(Image, "new", no_pillow)
    monkeypatch.setattr(images.ImageFont, "truetype", no_pillow)
    before = images.WORK.copy()
    warm = build_site(photo_site)
    assert images.WORK == before
    assert warm.outputs == cold.outputs


def test_parallel_and_serial_builds_give_the_same_bytes(make_site, build_site, tmp_path, monkeypatch):
    files = {f"content/images/p{i}.jpg": jpeg((900 + 40 * i, 500)) for i in range(4)}
    body = "\n\n".join(f"![p{i}](/images/p{i}.jpg)" for i in range(4)) + "\n"
    results = []
    for workers in (1, 2):
        monkeypatch.setenv("GIVING_CACHE_DIR", str(tmp_path / f"cache{workers}"))
        toml = SITE_TOML + f"\n[images]\nworkers = {workers}\n"
        root = make_site({"site.toml": toml, "content/posts/p.md": post("Four", body=body), **files},
                         tmp_path / f"site{workers}")
        results.append(build_site(root).outputs)
    assert results[0] == results[1]


def test_root_relative_links_and_images_resolve(make_site, build_site):
    body = "See [about](/about/) and [home](/).\n\n![x](/images/x.png)\n"
    root = make_site({"content/posts/p.md": post("P", body=body), "content/images/x.png": png((50, 50)),
                      "content/pages/about.md": "---\ntitle: About\n---\nHi.\n"})
    result = build_site(root)
    assert not has_errors(result.findings), [f.format() for f in result.findings]
    doc = html(result, "p/index.html")
    assert [a["href"] for a in doc.select(".content a")] == ["/about/", "/"]
    assert doc.select_one(".content picture img")["src"].startswith("/images/x.")


def test_strippers_leave_pixels_alone():
    for data in (png(), webp()):
        stripped = (images.strip_png if data.startswith(b"\x89PNG") else images.strip_webp)(data)
        assert SECRET not in stripped
        assert Image.open(io.BytesIO(stripped)).tobytes() == Image.open(io.BytesIO(data)).tobytes()


def test_cache_folder_defaults_to_the_site(tmp_path, monkeypatch):
    from generator.fs import Cache

    monkeypatch.delenv("GIVING_CACHE_DIR", raising=False)
    assert Cache.for_site(tmp_path, "images").root == tmp_path / ".giving-cache" / "images"
    cache = Cache.for_site(tmp_path, "images")
    assert cache.get("ab" * 32) is None
    cache.put("ab" * 32, {"a": b"1", "b": b"22"})
    assert cache.get("ab" * 32) == {"a": b"1", "b": b"22"}
    cache.put("ab" * 32, {"a": b"other"})  # a second writer loses quietly
    assert cache.get("ab" * 32) == {"a": b"1", "b": b"22"}


def test_process_image_is_pure_and_deterministic():
    settings = images.ImageSettings()
    data = jpeg((1000, 700))
    assert images.process_image(data, settings) == images.process_image(data, settings)
    assert images.variant_widths(1000, (480, 960, 1600)) == (480, 960, 1000)
    assert images.variant_widths(2000, (480, 960, 1600)) == (480, 960, 1600)
    assert images.variant_widths(300, (480, 960)) == (300,)
    assert images.variant_widths(960, (480, 960)) == (480, 960)


def test_repository_sample_site_builds(build_site):
    root = Path(__file__).parent.parent
    result = build_site(root)
    assert not has_errors(result.findings), [f.format() for f in result.findings if f.severity == "error"]
    assert any(p.startswith("cards/") for p in result.outputs)


def test_phone_jpeg_with_a_second_picture_is_a_jpeg_without_metadata(make_site, build_site):
    # Phones append a second picture (MPF); Pillow reads such files as MPO. Each picture carries EXIF and GPS.
    buf = io.BytesIO()
    halves((1200, 800)).save(buf, "MPO", save_all=True, append_images=[halves((600, 400))], exif=_exif(),
                             xmp=b"<x:xmpmeta>" + SECRET + b"</x:xmpmeta>")
    data = buf.getvalue()
    assert Image.open(io.BytesIO(data)).format == "MPO" and b"SpyCam" in data
    root = make_site({"content/posts/p.md": post("Phone", body="![phone](phone.jpg)\n"),
                      "content/posts/phone.jpg": data})
    result = build_site(root)
    assert not has_errors(result.findings), [f.format() for f in result.findings]
    published = [p for p in result.outputs if p.startswith("posts/phone")]
    assert len(published) == 7  # the clean original; 480, 960 and 1200 in JPEG and WebP
    for path in published:
        _metadata_free(result.outputs[path])
        assert Image.open(io.BytesIO(result.outputs[path])).format in ("JPEG", "WEBP"), path
    assert not html(result, "p/index.html").select_one("picture img").has_attr("loading")


def test_cmyk_becomes_srgb_and_16_bit_png_is_read(make_site, build_site):
    cmyk, deep = io.BytesIO(), io.BytesIO()
    Image.new("CMYK", (600, 400), (0, 255, 255, 0)).save(cmyk, "JPEG", exif=_exif())
    Image.new("I;16", (600, 400), 40000).save(deep, "PNG")
    root = make_site({"content/posts/p.md": post("Print", body="![c](c.jpg)\n\n![d](d.png)\n"),
                      "content/posts/c.jpg": cmyk.getvalue(), "content/posts/d.png": deep.getvalue()})
    result = build_site(root)
    assert not has_errors(result.findings), [f.format() for f in result.findings]
    webp = [p for p in result.outputs if re.match(r"posts/c\.\w{10}\.\d+\.webp", p)]
    assert webp
    for path in webp:
        red = Image.open(io.BytesIO(result.outputs[path])).convert("RGB").getpixel((10, 10))
        assert red[0] > 200 and red[1] < 80 and red[2] < 80, (path, red)
    grey = [p for p in result.outputs if re.match(r"posts/d\.\w{10}\.\d+\.png", p)]
    assert grey and all(Image.open(io.BytesIO(result.outputs[p])).mode in ("L", "RGB") for p in grey)


def test_gif_comments_and_xmp_are_stripped_and_animation_kept(make_site, build_site):
    still, moving = io.BytesIO(), io.BytesIO()
    halves((300, 200)).convert("P").save(still, "GIF", comment=b"taken at " + SECRET)
    frames = [halves((40, 30)).convert("P"), halves((40, 30)).rotate(180).convert("P")]
    frames[0].save(moving, "GIF", save_all=True, append_images=frames[1:], loop=0, duration=50,
                   comment=b"taken at " + SECRET)
    root = make_site({"content/posts/p.md": post("Gifs", body="![s](still.gif)\n\n![m](moving.gif)\n"),
                      "content/posts/still.gif": still.getvalue(), "content/posts/moving.gif": moving.getvalue()})
    result = build_site(root)
    assert not has_errors(result.findings)
    for path in [p for p in result.outputs if p.startswith("posts/")]:
        assert SECRET not in result.outputs[path], path
    anim = Image.open(io.BytesIO(result.outputs["posts/moving.gif"]))
    assert anim.n_frames == 2 and anim.info.get("loop") == 0
    assert Image.open(io.BytesIO(result.outputs["posts/still.gif"])).tobytes() == \
        Image.open(io.BytesIO(still.getvalue())).tobytes()


def test_bad_front_matter_image_names_its_line(make_site, build_site):
    root = make_site({"content/posts/c.md": post("Covered", image="cover.jpg"),
                      "content/posts/cover.jpg": jpeg()[:5000]})
    (finding,) = errors(build_site(root))
    assert (finding.location.path, finding.location.line) == ("content/posts/c.md", 4)
    assert "content/posts/cover.jpg is truncated" in finding.message


def test_every_bad_image_is_reported_at_once_and_good_work_is_kept(make_site, build_site, tmp_path, monkeypatch):
    monkeypatch.setenv("GIVING_CACHE_DIR", str(tmp_path / "cache"))
    root = make_site({
        "site.toml": SITE_TOML + "\n[images]\nworkers = 1\n",
        "content/posts/a.md": post("A", body="![a](a.jpg)\n"), "content/posts/a.jpg": jpeg()[:4000],
        "content/posts/b.md": post("B", body="Text.\n\n![b](b.png)\n"), "content/posts/b.png": _corrupt_png(),
        "content/posts/c.md": post("C", body="![c](c.png)\n"), "content/posts/c.png": png((200, 100)),
    })
    before = images.WORK.copy()
    found = errors(build_site(root))
    assert sorted((f.location.path, f.location.line) for f in found) == [("content/posts/a.md", 5),
                                                                         ("content/posts/b.md", 7)]
    assert images.WORK["images"] - before["images"] == 3
    make_site({"content/posts/a.jpg": jpeg((600, 300)), "content/posts/b.png": png((300, 200))}, root)
    before = images.WORK.copy()
    result = build_site(root)
    assert not has_errors(result.findings)
    assert images.WORK["images"] - before["images"] == 2, "the good image came from the cache"


# EXIF orientation -> how the stored pixels are turned from what the camera saw (the inverse of the fix).
STORED = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
          5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_90, 7: Image.Transpose.TRANSVERSE,
          8: Image.Transpose.ROTATE_270}


@pytest.mark.parametrize("orientation", sorted(STORED))
def test_every_orientation_comes_out_upright(orientation):
    seen = Image.new("RGB", (96, 64), (255, 255, 255))
    seen.paste((255, 0, 0), (0, 0, 48, 32))  # red: top left of what the camera saw
    buf = io.BytesIO()
    seen.transpose(STORED[orientation]).save(buf, "JPEG", quality=95, exif=_exif(orientation))
    result = images.process_image(buf.getvalue(), images.ImageSettings(widths=(96,)))
    assert (result.width, result.height) == (96, 64)
    for data in [result.clean] + [v.data for v in result.variants]:
        im = Image.open(io.BytesIO(data)).convert("RGB")
        assert im.size == (96, 64) and not im.getexif().get(0x0112, 0) > 1
        top_left, bottom_right = im.getpixel((10, 10)), im.getpixel((85, 53))
        assert top_left[1] < 60 and bottom_right[1] > 200, (orientation, top_left, bottom_right)
