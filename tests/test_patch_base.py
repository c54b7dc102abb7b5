"""The site saved for patched builds (`patch.save_base`): the posts go in slim (`patch._slim`), the
pages whole, whatever way the pickler gets there."""

from __future__ import annotations

import pickle
from dataclasses import replace
from datetime import datetime, timezone
from types import MappingProxyType

from generator import patch
from generator.build import build
from generator.model import BuildOptions, Link, with_fields

from conftest import post


def test_the_saved_site_is_the_slim_site(make_site):
    root = make_site({
        "content/posts/a.md": post("A", "2026-01-01", "See [b](b.md) and <!-- a note --> you.\n", tags="[x]"),
        "content/posts/b.md": post("B", "2026-01-02", "Back to [a](a.md), for you.\n"),
        "content/pages/about.md": "---\ntitle: About\n---\nAbout [a](posts/a.md), for you.\n",
    })
    info: dict = {}
    site = build(root, BuildOptions(now=datetime.now(timezone.utc)), cache=False, site_needed=False, info=info).site
    # Make sure every field the slim posts drop has something in it, for posts and pages alike.
    link = Link(href="https://example.com/", text="x", line=1)
    full = {p.source: with_fields(p, links=(link,), lines=MappingProxyType({"title": 2, "body": 5}),
                                  checks=MappingProxyType({"readability": False}), comments=((3, "note"),),
                                  passages=()) for p in (*site.posts, *site.pages)}
    site = replace(site, posts=tuple(full[p.source] for p in site.posts), pages=tuple(full[p.source] for p in site.pages),
                   by_source=MappingProxyType(full))
    assert site.pages and all(p.links for p in site.pages)

    assert patch.save_base(root, site, [], info["chain"], "stamp")
    with open(patch._paths(root)[0], "rb") as fh:
        saved = pickle.load(fh)
    assert saved["stamp"] == "stamp"
    expected = replace(patch._slim(site), by_source=MappingProxyType({}))
    assert saved["site"] == expected
    assert [repr(p) for p in saved["site"].posts + saved["site"].pages] == [repr(p) for p in expected.posts + expected.pages]
    assert all(not p.links and not p.comments and not dict(p.lines) for p in saved["site"].posts)
    assert all(p.links and p.comments and dict(p.lines) for p in saved["site"].pages)  # pages are kept whole
    assert saved["signatures"] == {p.source: patch._signature(p) for p in site.posts}
