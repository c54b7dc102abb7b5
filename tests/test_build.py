"""The core build on a fixture site: every page a reader needs, asserted on the parsed HTML."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import feedparser
import pytest
from bs4 import BeautifulSoup

from generator.errors import has_errors

ESSAYS = Path(__file__).parent / "sites" / "essays"


@pytest.fixture(scope="module")
def site():
    from tests.conftest import NOW
    from generator.build import build
    from generator.site import BuildOptions

    result = build(ESSAYS, BuildOptions(now=NOW))
    assert not has_errors(result.findings), [f.format() for f in result.findings]
    return result


def html(result, path: str) -> BeautifulSoup:
    assert path in result.outputs, f"{path} not built; have {sorted(result.outputs)}"
    return BeautifulSoup(result.outputs[path].decode(), "html.parser")


def test_every_page_is_written(site):
    expected = {
        "index.html", "page/2/index.html", "one/index.html", "two/index.html",
        "three/index.html", "about/index.html", "tags/index.html", "tags/readers/index.html",
        "tags/writing/index.html", "series/index.html", "series/small-series/index.html",
        "archive/index.html", "404.html", "feed.xml", "feed.json", "sitemap.xml", "robots.txt",
        "_redirects", "notes.txt", "posts/dot.svg",
    }
    assert expected <= set(site.outputs)


def test_drafts_and_future_posts_are_left_out_unless_asked(site, build_site):
    assert not any(p.startswith(("draft/", "future/")) for p in site.outputs)
    with_all = build_site(ESSAYS, drafts=True, future=True)
    assert {"draft/index.html", "future/index.html"} <= set(with_all.outputs)
    badge = html(with_all, "draft/index.html").select_one(".badge")
    assert badge is not None and badge.get_text() == "Draft"


def test_home_is_paginated_newest_first(site):
    first = html(site, "index.html")
    titles = [a.get_text() for a in first.select(".post-list h2 a")]
    assert titles == ["Part Two: Answer", "Part One: Listen"]
    assert first.select_one('.pagination a[rel="next"]')["href"] == "/page/2/"
    second = html(site, "page/2/index.html")
    assert [a.get_text() for a in second.select(".post-list h2 a")] == ["A Standalone Note"]
    assert second.select_one('.pagination a[rel="prev"]')["href"] == "/"


def test_summary_stops_at_more_marker(site):
    excerpt = html(site, "index.html").select(".excerpt")[1]
    assert "You read this first." in excerpt.get_text()
    assert "Why it matters" not in excerpt.get_text()


def test_post_page_has_series_navigation_and_metadata(site):
    doc = html(site, "one/index.html")
    assert doc.select_one("h1").get_text() == "Part One: Listen"
    assert "part 1 of 2" in doc.select_one(".series-label").get_text()
    assert doc.select_one('.series-nav a[rel="next"]')["href"] == "/two/"
    assert doc.select_one('.series-nav a[rel="prev"]') is None
    assert doc.select_one('link[rel="canonical"]')["href"] == "https://essays.example/one/"
    assert doc.select_one('meta[property="og:type"]')["content"] == "article"
    assert doc.select_one('meta[name="description"]')["content"] == "The first part."
    ld = json.loads(doc.select_one('script[type="application/ld+json"]').string)
    assert ld["@type"] == "BlogPosting" and ld["headline"] == "Part One: Listen"
    assert ld["datePublished"] == "2026-01-05T00:00:00+00:00"
    tags = [a.get_text() for a in doc.select('a[rel="tag"]')]
    assert tags == ["Readers", "writing"]
    two = html(site, "two/index.html")
    assert two.select_one('.series-nav a[rel="prev"]')["href"] == "/one/"


def test_markdown_features(site):
    doc = html(site, "one/index.html")
    content = doc.select_one(".content")
    ids = [h["id"] for h in content.select("h2")]
    assert ids == ["why-it-matters", "why-it-matters-1"]
    assert content.select_one("h2 a.heading-anchor")["href"] == "#why-it-matters"
    text = content.get_text()
    assert "“Quotes” – dashes…" in text
    assert content.select_one("s").get_text() == "struck"
    assert content.select_one("table th").get_text() == "Who"
    assert content.select_one(".footnotes li").get_text().startswith("The footnote text.")
    code = content.select_one("pre.highlight code.language-python")
    assert code.select_one("span.k").get_text() == "def"
    assert not content.select("[style]"), "syntax highlighting must use classes, not inline styles"
    toc = [a["href"] for a in doc.select(".toc a")]
    assert toc == []  # only two headings: no table of contents for so short a post


def test_internal_links_point_at_urls(site):
    content = html(site, "one/index.html").select_one(".content")
    hrefs = [a["href"] for a in content.select("p a")]
    assert "/two/#why" in hrefs and "/about/" in hrefs
    img = html(site, "three/index.html").select_one(".content img")
    assert img["src"] == "/posts/dot.svg" and img["alt"] == "A small dot"


def test_raw_html_in_posts_is_the_authors_own(site):
    content = html(site, "two/index.html").select_one(".content")
    assert content.select_one("em").get_text() == "you"
    assert "&amp; we answer" in str(content)


def test_tags_series_and_archive(site):
    tags = html(site, "tags/index.html")
    assert [a.get_text() for a in tags.select(".tag-cloud a")] == ["Readers", "writing"]
    readers = html(site, "tags/readers/index.html")
    assert [a.get_text() for a in readers.select(".post-list h2 a")] == ["Part Two: Answer", "Part One: Listen"]
    series = html(site, "series/small-series/index.html")
    assert [a["href"] for a in series.select(".series-parts h2 a")] == ["/one/", "/two/"]
    archive = html(site, "archive/index.html")
    assert [h.get_text() for h in archive.select(".year h2")] == ["2026", "2025"]


def test_atom_feed_is_valid_with_full_content_and_absolute_urls(site):
    feed = feedparser.parse(site.outputs["feed.xml"])
    assert not feed.bozo, feed.bozo_exception
    assert feed.feed.title == "Fixture Essays"
    assert [e.title for e in feed.entries] == ["Part Two: Answer", "Part One: Listen", "A Standalone Note"]
    first = feed.entries[1]
    assert first.link == "https://essays.example/one/"
    assert 'href="https://essays.example/two/#why"' in first.content[0].value
    assert "Why it matters" in first.content[0].value
    root = ET.fromstring(site.outputs["feed.xml"])
    assert root.tag == "{http://www.w3.org/2005/Atom}feed"
    assert root.find("{http://www.w3.org/2005/Atom}updated").text == "2026-02-05T00:00:00+00:00"


def test_json_feed_follows_version_1_1(site):
    feed = json.loads(site.outputs["feed.json"])
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["feed_url"] == "https://essays.example/feed.json"
    for item in feed["items"]:
        assert set(item) >= {"id", "url", "title", "content_html", "date_published"}
        assert item["url"].startswith("https://essays.example/")
    assert "https://essays.example/about/" in feed["items"][1]["content_html"]


def test_sitemap_robots_and_redirects(site):
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    root = ET.fromstring(site.outputs["sitemap.xml"])
    locs = [u.find("s:loc", ns).text for u in root.findall("s:url", ns)]
    assert "https://essays.example/one/" in locs and "https://essays.example/about/" in locs
    assert locs == sorted(locs) and len(locs) == len(set(locs))
    assert b"Sitemap: https://essays.example/sitemap.xml" in site.outputs["robots.txt"]
    assert site.outputs["_redirects"] == b"/old-one/ /one/ 301\n"


def test_theme_assets_are_fingerprinted(site):
    doc = html(site, "index.html")
    href = doc.select_one('link[rel="stylesheet"]')["href"]
    assert href.startswith("/assets/style.") and href.endswith(".css") and len(href) > len("/assets/style.css")
    assert href.lstrip("/") in site.outputs


def test_same_input_gives_identical_bytes(build_site):
    first = build_site(ESSAYS)
    second = build_site(ESSAYS)
    assert first.outputs == second.outputs


def test_sample_site_builds_without_findings(build_site):
    result = build_site(Path(__file__).parent.parent)
    errors = [f.format() for f in result.findings if f.severity == "error"]
    assert errors == []
    assert "the-megaphone-and-the-letter/index.html" in result.outputs
