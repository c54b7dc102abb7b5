"""Social cards: size, head tags, layout bounds for long and non-Latin titles, fonts, determinism."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from PIL import Image

from generator import images
from generator.images import CARD_SIZE, CardSpec, Fonts, layout_card, render_card
from tests.conftest import SITE_TOML, post

FONT = Path(__file__).parent.parent / "themes" / "default" / "fonts" / "DejaVuSerif-Bold.ttf"
COLOURS = images.DEFAULT_COLOURS
MARGIN = 64  # nothing is drawn closer than this to the card's edges (the accent bar aside)

TITLES = {
    "short": "Listen",
    "latin": "Write for one reader, not for the crowd that never reads you",
    "long": " ".join(["Notes on attention, patience, and the slow work of writing for people"] * 5),
    "cyrillic": "Почему мы пишем для одного читателя, а не для толпы подписчиков",
    "greek": "Ο λόγος και η σιωπή: γράφοντας για έναν αναγνώστη",
    "accents": "Œuvres complètes: ça, ñ, ß, Ærøskøbing, İstanbul, Łódź",
    "one-long-word": "Antidisestablishmentarianism" * 3,
}


@pytest.fixture(scope="module")
def fonts() -> Fonts:
    return Fonts([FONT.read_bytes()])


def spec(title: str, kicker: str = "Defeating the Ego · part 2 of 5") -> CardSpec:
    return CardSpec(title, kicker, "A blog with a rather long name for a blog", COLOURS)


def test_shipped_font_has_a_licence_and_covers_latin_greek_cyrillic(fonts):
    assert (FONT.parent / "LICENSE.txt").read_text().count("Bitstream Vera") >= 1
    text = "".join(TITLES.values()) + "“”‘’–—…·«»€"
    assert fonts.missing(text) == ""
    assert fonts.missing("中文") == "中文"


@pytest.mark.parametrize("name", sorted(TITLES))
def test_titles_fit_within_bounds_whole_words_no_tofu(name, fonts):
    title = TITLES[name]
    layout = layout_card(spec(title), fonts)
    assert layout.missing == ""
    W, H = CARD_SIZE
    boxes = sorted(line.box for line in layout.lines)
    for left, top, right, bottom in boxes:
        assert MARGIN <= left and right <= W - MARGIN and MARGIN <= top and bottom <= H - MARGIN, (name, boxes)
    by_top = sorted(layout.lines, key=lambda l: l.box[1])
    for upper, lower in zip(by_top, by_top[1:]):
        assert upper.box[3] <= lower.box[1] + 2, "lines do not overlap"
    title_lines = [line for line in layout.lines if line.size == layout.title_size]
    words = [w for line in title_lines for w in "".join(t for _, t in line.runs).split()]
    if words[-1] == "…":
        assert name == "long"
        words = words[:-1]
    assert words == title.split()[:len(words)], "never cut mid-word"
    assert len(words) >= min(len(title.split()), 12)


def test_long_titles_shrink(fonts):
    sizes = {name: layout_card(spec(TITLES[name]), fonts).title_size for name in ("short", "latin", "long")}
    assert sizes["short"] > sizes["latin"] > sizes["long"]


def test_nothing_drawn_in_the_margins(fonts):
    for title in (TITLES["long"], TITLES["cyrillic"], TITLES["one-long-word"]):
        im = Image.open(io.BytesIO(render_card(spec(title), fonts))).convert("RGB")
        assert im.size == CARD_SIZE
        bg = Image.new("RGB", (1, 1), COLOURS[0]).getpixel((0, 0))
        W, H = CARD_SIZE
        for box in ((W - MARGIN, 0, W, H), (30, 0, W, MARGIN - 8), (30, H - MARGIN + 8, W, H)):
            colours = im.crop(box).getcolors()
            assert colours == [(colours[0][0], bg)], (title, box)


def test_cards_are_deterministic(fonts):
    one = render_card(spec(TITLES["greek"]), fonts)
    two = render_card(spec(TITLES["greek"]), Fonts([FONT.read_bytes()]))
    assert one == two
    assert one != render_card(spec(TITLES["greek"] + "!"), fonts)


def test_fallback_font_draws_what_the_first_lacks(fonts):
    chain = Fonts([FONT.read_bytes(), FONT.read_bytes()])
    chain.coverage = (frozenset(range(0x80)), chain.coverage[1])  # first font: ASCII only
    assert chain.runs("Hello мир") == ((0, "Hello "), (1, "мир"))
    assert chain.missing("Hello мир") == ""


def test_title_without_glyphs_leaves_no_tofu(fonts):
    layout = layout_card(CardSpec("中文标题：写给一个读者", "", "Site", COLOURS), fonts)
    assert layout.missing
    drawn = "".join(t for line in layout.lines for _, t in line.runs)
    assert drawn == "Site", "the card shows the site name instead of boxes"


def test_every_post_gets_a_card_in_the_head(make_site, build_site):
    root = make_site({
        "content/posts/a.md": post("Part one of the series", series='"Slow writing"', series_order=1),
        "content/posts/b.md": post("Part two", date="2026-01-02", series='"Slow writing"', series_order=2),
        "content/pages/about.md": "---\ntitle: About me\n---\nHello.\n",
    })
    result = build_site(root)
    cards = sorted(p for p in result.outputs if p.startswith("cards/"))
    assert len(cards) == 3
    for path in cards:
        assert Image.open(io.BytesIO(result.outputs[path])).size == (1200, 630)
    for page, title in (("a/index.html", "Part one of the series"), ("about/index.html", "About me")):
        doc = BeautifulSoup(result.outputs[page].decode(), "html.parser")
        url = doc.find("meta", property="og:image")["content"]
        assert url.startswith("https://example.org/cards/") and url.removeprefix("https://example.org/") in cards
        assert doc.find("meta", property="og:image:width")["content"] == "1200"
        assert doc.find("meta", property="og:image:height")["content"] == "630"
        assert doc.find("meta", property="og:image:alt")["content"] == title
        assert doc.find("meta", attrs={"name": "twitter:image"})["content"] == url
    home = BeautifulSoup(result.outputs["index.html"].decode(), "html.parser")
    assert home.find("meta", property="og:image") is None


def test_series_line_on_the_card(make_site, build_site, monkeypatch):
    seen = []
    original = images.CardSpec

    def spy(*args, **kwargs):
        seen.append(original(*args, **kwargs))
        return seen[-1]

    root = make_site({"site.toml": SITE_TOML + "\n[images]\nworkers = 1\n",  # the spy stays in this process
                      "content/posts/a.md": post("One", series='"Slow writing"', series_order=1),
                      "content/posts/b.md": post("Two", date="2026-01-02", series='"Slow writing"', series_order=2)})
    monkeypatch.setattr(images, "CardSpec", spy)
    build_site(root)
    assert sorted(s.kicker for s in seen) == ["Slow writing · part 1 of 2", "Slow writing · part 2 of 2"]
    assert {s.site for s in seen} == {"Test blog"}
    assert {s.colours for s in seen} == {COLOURS}, "the default theme's colours"


def test_card_bytes_are_the_same_across_builds_and_caches(make_site, build_site, tmp_path, monkeypatch):
    root = make_site({"content/posts/a.md": post("Same bytes, please")})
    outputs = []
    for name in ("one", "two"):
        monkeypatch.setenv("GIVING_CACHE_DIR", str(tmp_path / name))
        outputs.append({p: d for p, d in build_site(root).outputs.items() if p.startswith("cards/")})
    assert outputs[0] == outputs[1] and len(outputs[0]) == 1


def test_non_latin_title_without_a_font_warns(make_site, build_site):
    root = make_site({"content/posts/a.md": post("中文标题")})
    result = build_site(root)
    (finding,) = [f for f in result.findings if f.rule == "images"]
    assert finding.severity == "warning" and (finding.location.path, finding.location.line) == ("content/posts/a.md", 2)
    assert "card_fonts" in finding.message


def test_card_fonts_setting_and_cards_off(make_site, build_site):
    toml = SITE_TOML + '\n[images]\ncard_fonts = ["fonts/extra.ttf"]\n'
    root = make_site({"site.toml": toml, "content/posts/a.md": post("A")})
    (finding,) = [f for f in build_site(root).findings if f.severity == "error"]
    assert "fonts/extra.ttf" in finding.message and finding.location.line == 7
    make_site({"fonts/extra.ttf": FONT.read_bytes()}, root)
    assert any(p.startswith("cards/") for p in build_site(root).outputs)
    make_site({"site.toml": SITE_TOML + "\n[images]\ncards = false\n"}, root)
    result = build_site(root)
    assert not any(p.startswith("cards/") for p in result.outputs)
    assert b"og:image" not in result.outputs["a/index.html"]
