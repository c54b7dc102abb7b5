"""In a real browser: save a post and the open page shows it by itself; a broken save shows the overlay."""

from __future__ import annotations

import time

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

    navigations = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url) if frame == page.main_frame else None)

    def late_stream(route):  # the reloaded page connects only after the full build has landed
        time.sleep(1)
        route.continue_()

    page.route("**/_giving/events*", late_stream)
    builds = preview.builds
    source.write_text(post("Part two", "2026-01-02", LONG + "\nFresh words from the author.\n",
                           series="Walk"), "utf-8")
    expect(page.get_by_text("Fresh words from the author.")).to_be_visible(timeout=10_000)
    page.wait_for_function("Math.abs(window.scrollY - 900) < 2", timeout=5_000)  # the scroll survived
    # Reloaded on the quick build; the full build that follows must not reload it again. (A second reload
    # would come within moments of the reconnect; this can only miss one, never invent one.)
    assert preview.wait_for(lambda: preview.builds > builds, 10)
    deadline = time.monotonic() + 10
    while "b/index.html" not in preview._viewing and time.monotonic() < deadline:
        time.sleep(0.05)
    page.wait_for_timeout(500)
    assert len(navigations) == 1, navigations
    page.unroute("**/_giving/events*")

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


HIDE = """hidden => {
    Object.defineProperty(document, "hidden", { value: hidden, configurable: true });
    document.dispatchEvent(new Event("visibilitychange"));
}"""


def test_hidden_tabs_let_their_stream_go_so_a_seventh_tab_loads(preview, page):
    """A browser keeps six connections to one server; a live-reload stream per tab must not use them all up."""
    tabs = [page] + [page.context.new_page() for _ in range(6)]
    for tab in tabs[:6]:
        tab.goto(preview.url + "a/")
        tab.evaluate(HIDE, True)  # the tab goes to the background
    deadline = time.monotonic() + 10  # the server notices a closed stream at its next heartbeat
    while preview._viewing and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not preview._viewing, "hidden tabs still hold their streams"
    tabs[6].goto(preview.url + "b/", timeout=10_000)  # would hang with six streams open
    expect(tabs[6].get_by_text("Paragraph 79 of a long essay")).to_be_visible()

    (preview.site_root / "content/posts/a.md").write_text(
        post("Part one", "2026-01-01", "Written while the tab was hidden.\n", series="Walk", series_order=1), "utf-8")
    assert preview.wait_for(lambda: b"while the tab" in preview.snapshot.outputs["a/index.html"], 10)
    tabs[0].evaluate(HIDE, False)  # back to the front: it catches up by itself
    expect(tabs[0].get_by_text("Written while the tab was hidden.")).to_be_visible(timeout=10_000)
