"""Social cards: size, head tags, layout bounds for long and non-Latin titles, fonts, determinism."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from bs4 import BeautifulSoup
from PIL import Image

from generator import images
from generator.images import CARD_SIZE, CardSpec, Fonts, layout_card, render_card
from tests.conftest import SITE_TOML, post

FONTS = Path(__file__).parent.parent / "themes" / "default" / "fonts"
FONT = FONTS / "DejaVuSerif-Bold.ttf"
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
    "chinese": "写给一个读者，而不是写给人群：慢写作的笔记",
    "japanese": "ひとりの読者のために書く、静かな文章について",
    "korean": "한 명의 독자를 위해 쓰기: 천천히 쓰는 글에 대하여",
    "arabic": "اكتب لقارئ واحد، لا للجمهور: الجزء 3",
    "hebrew": "לכתוב לקורא אחד ולא להמון",
    "hindi": "एक पाठक के लिए लिखें, भीड़ के लिए नहीं",
    "thai": "เขียนเพื่อผู้อ่าน หนึ่งคน",
    "mixed": "Writing 写作 for one reader",
}
NO_SPACES = {"chinese", "japanese", "mixed"}  # lines may break between Han and kana characters
RTL = {"arabic", "hebrew"}


@pytest.fixture(scope="module")
def fonts() -> Fonts:
    """The default theme's fonts, in the order the build tries them."""
    return Fonts([p.read_bytes() for p in sorted(FONTS.iterdir()) if p.suffix in (".ttf", ".ttc")])


@pytest.fixture(scope="module")
def serif() -> Fonts:
    return Fonts([FONT.read_bytes()])


def spec(title: str, kicker: str = "Defeating the Ego · part 2 of 5") -> CardSpec:
    return CardSpec(title, kicker, "A blog with a rather long name for a blog", COLOURS)


def test_shipped_fonts_have_a_licence_and_cover_the_scripts_of_the_titles(fonts, serif):
    licence = (FONTS / "LICENSE.txt").read_text()
    assert "Bitstream Vera" in licence and "SIL Open Font License" in licence and "Apache License" in licence
    for path in FONTS.iterdir():
        if path.suffix in (".ttf", ".ttc"):
            assert path.name in licence, path.name
    text = "".join(TITLES.values()) + "“”‘’–—…·«»€"
    assert fonts.missing(text) == ""
    assert serif.missing(TITLES["latin"] + TITLES["greek"] + TITLES["cyrillic"] + TITLES["accents"]) == ""
    assert serif.missing("中文") == "中文"
    assert fonts.missing("தமிழ்") == "தமிழ்", "Tamil is not shipped: the build warns (below)"


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
    title_lines = ["".join(t for _, t in line.runs) for line in layout.lines if line.size == layout.title_size]
    if name in NO_SPACES:
        assert "".join(title_lines).replace(" ", "") == title.replace(" ", "")
        assert not any(line[0] in "，、：。" for line in title_lines), "closing punctuation never starts a line"
        return
    words = " ".join(title_lines).split()
    if words[-1] == "…":
        assert name == "long"
        words = words[:-1]
    assert words == title.split()[:len(words)], "never cut mid-word"
    assert len(words) >= min(len(title.split()), 12)
    W = CARD_SIZE[0]
    for line in layout.lines:
        is_title = line.size == layout.title_size and line.colour == COLOURS[1]
        assert line.rtl == (is_title and name in RTL)
        if is_title:
            edge = line.box[2] if name in RTL else line.box[0]
            assert edge == (W - 72 if name in RTL else 104), "right-to-left titles align right"


def test_lines_are_balanced(fonts):
    for title in ("Write for One Reader", "Answer the Question You Were Asked", TITLES["latin"]):
        lines = [line for line in layout_card(spec(title), fonts).lines if line.size > 40]
        assert len(lines) >= 2
        widths = [line.box[2] - line.box[0] for line in lines]
        assert min(widths) > 0.6 * max(widths), (title, widths)


def test_regular_fallback_is_thickened_to_match_the_bold_serif(fonts):
    cjk = fonts.which("写")
    assert fonts.stroke(0, 92) == 0 and fonts.stroke(fonts.which("ש"), 92) == 0
    assert fonts.stroke(cjk, 92) >= 2
    assert fonts.runs("Writing 写作 for") == ((0, "Writing "), (cjk, "写作 "), (0, "for"))
    arabic = fonts.which("ا")
    assert fonts.runs("الجزء: 3") == ((arabic, "الجزء: 3"),), "punctuation and digits stay in the shaped run"


def test_long_titles_shrink(fonts):
    sizes = {name: layout_card(spec(TITLES[name]), fonts).title_size for name in ("short", "latin", "long")}
    assert sizes["short"] > sizes["latin"] > sizes["long"]


def test_nothing_drawn_in_the_margins(fonts):
    for title in (TITLES["long"], TITLES["cyrillic"], TITLES["one-long-word"], TITLES["chinese"], TITLES["arabic"]):
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


def test_title_without_glyphs_leaves_no_tofu(serif):
    layout = layout_card(CardSpec("中文标题：写给一个读者", "", "Site", COLOURS), serif)
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


def test_cjk_title_needs_no_extra_font(make_site, build_site):
    root = make_site({"content/posts/a.md": post("中文标题：写给一个读者"), "content/posts/b.md": post("한국어 제목")})
    result = build_site(root)
    assert not [f for f in result.findings if f.rule == "images"]
    assert len([p for p in result.outputs if p.startswith("cards/")]) == 2


def test_title_in_a_script_no_font_has_warns(make_site, build_site):
    root = make_site({"content/posts/a.md": post("தமிழ் தலைப்பு"),
                      "content/posts/b.md": post("Fine", series='"தொடர்"', series_order=1)})
    result = build_site(root)
    found = sorted((f.location.path, f.location.line, f.severity, f.message) for f in result.findings
                   if f.rule == "images")
    assert [(path, line, severity) for path, line, severity, _ in found] == [
        ("content/posts/a.md", 2, "warning"), ("content/posts/b.md", 4, "warning")]
    assert "card_fonts" in found[0][3] and "title" in found[0][3] and "series" in found[1][3]


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


SCRIPTS = "abcdefghij KLMNOP αβγδ абвгд 写作读者人群 ひらがな 한국어 مرحبا שלום हिन्दी ไทย 0123 ,.:;!?—“”"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(title=st.text(alphabet=SCRIPTS, min_size=1, max_size=160).filter(str.strip),
       kicker=st.sampled_from(["", "Defeating the Ego · part 2 of 5", "Серия · part 1 of 3"]))
def test_any_title_stays_inside_the_card(fonts, title, kicker):
    layout = layout_card(CardSpec(title, kicker, "A blog", COLOURS), fonts)
    assert layout.missing == ""
    W, H = CARD_SIZE
    for left, top, right, bottom in (line.box for line in layout.lines):
        assert MARGIN <= left <= right <= W - MARGIN and MARGIN <= top <= bottom <= H - MARGIN, title


def test_card_keeps_the_theme_colours_exactly(fonts):
    colours = ("#102030", "#f0e0d0", "#a0a0a0", "#ff6600")  # a dark theme
    data = render_card(CardSpec(TITLES["latin"], "Series · part 1 of 2", "Site", colours), fonts)
    im = Image.open(io.BytesIO(data))
    assert im.mode == "P" and len(data) < 60_000
    rgb = im.convert("RGB")
    assert rgb.getpixel((600, 5)) == (0x10, 0x20, 0x30) and rgb.getpixel((5, 5)) == (0xff, 0x66, 0x00)
    assert (0xf0, 0xe0, 0xd0) in {c for _, c in rgb.getcolors(256)}, "solid title strokes in the text colour"
