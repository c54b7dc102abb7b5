"""Every page of the sample site is valid HTML to the Nu Html Checker (one JVM for all of them); the feeds
are valid Atom (RFC 4287's grammar) and JSON Feed 1.1; the sitemap matches the Sitemap 0.9 schema."""

from __future__ import annotations

import tomllib

from tests.quality import ROOT, atom_errors, html_pages, jsonfeed_errors, sitemap_errors, vnu_errors
from tests.quality.fixtures import node_tools, sample_public  # noqa: F401 (fixtures)


def test_every_page_passes_the_nu_html_checker(sample_public, node_tools):
    pages = html_pages(sample_public)
    assert len(pages) > 10, pages
    problems = vnu_errors(sample_public, pages)
    assert not problems, f"{len(problems)} errors in {len(pages)} pages:\n" + "\n".join(problems)


def test_feeds_are_valid_atom(sample_public, node_tools):
    feeds = [p for p in sorted(sample_public.rglob("*.xml"))
             if b"http://www.w3.org/2005/Atom" in p.read_bytes()[:500]]
    assert sample_public / "feed.xml" in feeds
    problems = [line for feed in feeds for line in atom_errors(feed, feed.relative_to(sample_public).as_posix())]
    assert not problems, "\n".join(problems)


def test_json_feed_is_valid(sample_public):
    problems = jsonfeed_errors(sample_public / "feed.json", "feed.json")
    assert not problems, "\n".join(problems)


def test_sitemap_matches_the_schema_and_lists_real_pages(sample_public):
    base_url = tomllib.loads((ROOT / "site.toml").read_text("utf-8"))["base_url"]
    problems = sitemap_errors(sample_public / "sitemap.xml", sample_public, base_url)
    assert not problems, "\n".join(problems)
