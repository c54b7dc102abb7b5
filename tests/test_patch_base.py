"""The site saved for patched builds (`patch.save_base`): the posts go in slim (`patch._slim`), the
pages whole, whatever way the pickler gets there."""

from __future__ import annotations

import pickle
from dataclasses import replace
from datetime import datetime, timezone
from types import MappingProxyType

import pytest

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
        saved = pickle.load(fh)  # the site, then its findings and signatures
        saved.update(pickle.load(fh))
        assert fh.read() == b""
    assert saved["stamp"] == "stamp"
    expected = replace(patch._slim(site), by_source=MappingProxyType({}))
    assert saved["site"] == expected
    assert [repr(p) for p in saved["site"].posts + saved["site"].pages] == [repr(p) for p in expected.posts + expected.pages]
    assert all(not p.links and not p.comments and not dict(p.lines) for p in saved["site"].posts)
    assert all(p.links and p.comments and dict(p.lines) for p in saved["site"].pages)  # pages are kept whole
    assert saved["signatures"] == {p.source: patch._signature(p) for p in site.posts}


@pytest.mark.parametrize("keep", [True, False])
def test_the_site_saved_beside_is_whole_or_gone_and_leaves_no_scratch_file(make_site, monkeypatch, keep):
    import os
    import threading

    monkeypatch.setattr(threading, "active_count", lambda: 1)  # pytest may run threads; the CLI forks when it runs none
    root = make_site({"content/posts/a.md": post("A", "2026-01-01", "One for you.\n"),
                      "content/posts/b.md": post("B", "2026-01-02", "Two for you.\n")})
    info: dict = {}
    result = build(root, BuildOptions(now=datetime.now(timezone.utc)), cache=False, site_needed=False, info=info)
    finish = patch.save_base_beside(root, result.site, result.findings, info["chain"], "stamp")
    assert finish(keep) is keep
    assert finish(True) is keep  # once only
    path = patch._paths(root)[0]
    assert os.path.exists(path) is keep
    assert not [n for n in os.listdir(os.path.dirname(path)) if n.startswith(".patch-")]
    if keep:
        loaded = patch._load(root, "stamp")
        assert loaded is not None
        site, findings, signatures, _ = loaded
        assert findings == sorted(set(map(patch.row, result.findings)))
        assert signatures == {p.source: patch._signature(p) for p in result.site.posts}
        assert [p.source for p in site.posts] == [p.source for p in result.site.posts]
        assert patch._load(root, "another stamp") is None
