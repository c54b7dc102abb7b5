"""In a real browser: save a post and the open page shows it by itself; a broken save shows the overlay."""

from __future__ import annotations

import pytest

from conftest import post
from generator.serve import Preview

expect = pytest.importorskip("playwright.sync_api").expect

LONG = "\n".join(f"Paragraph {n} of a long essay for you, with enough words to take up a line or two." + "\n"
                 for n in range(80))


@pytest.fixture
def preview(make_site):
    root = make_site({
        "site.toml": 'title = "Live"\nbase_url = "https://example.org/"\ntheme = "mine"\n',
        "themes/mine/theme.toml": 'extends = "default"\n',
        "themes/mine/static/style.css": "body { background: rgb(1, 2, 3); }\n",
        "content/posts/a.md": post("Part one", "2026-01-01", "First part.\n", series="Walk", series_order=1),
        "content/posts/b.md": post("Part two", "2026-01-02", LONG, series="Walk"),
    })
    with Preview(root, port=0, debounce=0.02, heartbeat=1.0) as running:
        yield running


def test_saved_post_appears_in_the_open_page_without_asking(preview, page):
    source = preview.site_root / "content/posts/b.md"
    page.goto(preview.url + "b/")
    expect(page.get_by_text("Paragraph 79 of a long essay")).to_be_visible()
    panel = page.get_by_role("complementary", name="giving findings")
    expect(panel).to_contain_text("without series_order")  # this post's finding, beside it
    expect(panel).to_contain_text("vs you")
    page.evaluate("window.scrollTo(0, 900)")
    page.wait_for_function("window.scrollY === 900")

    source.write_text(post("Part two", "2026-01-02", LONG + "\nFresh words from the author.\n",
                           series="Walk"), "utf-8")
    expect(page.get_by_text("Fresh words from the author.")).to_be_visible(timeout=10_000)
    page.wait_for_function("Math.abs(window.scrollY - 900) < 2", timeout=5_000)  # the scroll survived

    good = source.read_text("utf-8")
    source.write_text('---\ntitle: "Part two\ndate: 2026-01-02\n---\nBroken.\n', "utf-8")
    overlay = page.get_by_role("alertdialog", name="Build errors")
    expect(overlay).to_be_visible(timeout=10_000)
    expect(overlay).to_contain_text("content/posts/b.md:")
    expect(page.get_by_text("Fresh words from the author.")).to_be_attached()  # still the last good build

    source.write_text(good.replace("Fresh words", "Mended words"), "utf-8")
    expect(overlay).to_be_hidden(timeout=10_000)
    expect(page.get_by_text("Mended words from the author.")).to_be_visible(timeout=10_000)


def test_stylesheet_change_swaps_without_reloading(preview, page):
    page.goto(preview.url + "a/")
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(1, 2, 3)"
    page.evaluate("window.notReloaded = true")
    (preview.site_root / "themes/mine/static/style.css").write_text("body { background: rgb(9, 8, 7); }\n", "utf-8")
    page.wait_for_function("getComputedStyle(document.body).backgroundColor === 'rgb(9, 8, 7)'", timeout=10_000)
    assert page.evaluate("window.notReloaded === true")
    assert page.locator('link[rel="stylesheet"]').count() == 1
