"""`links`: `#anchors` that point at no heading, links into other posts' missing sections, empty link
targets, and absolute links to this site's own URLs that the build does not produce.

Links to missing files are already build errors (see `site.assemble`); this rule covers what the
assembler cannot: fragments and the site's own absolute URLs.
"""

from __future__ import annotations

import posixpath
import re
from typing import Iterator
from urllib.parse import unquote, urlsplit

from generator.checks.prose import locate
from generator.checks.registry import CheckFinding, rule
from generator.checks.settings import Settings
from generator.model import Post, Site
from generator.site import RESERVED

_FOOTNOTE_ID = re.compile(r"^fn(?:ref)?\d+(?::\d+)?$")
_HTML_ID = re.compile(r"""\bid=["']([^"']+)["']""")


def _ids(post: Post) -> set[str]:
    ids = {h.id for h in post.toc}
    ids.update(_HTML_ID.findall(post.html))  # ids written in raw HTML inside the post
    return ids


def _known_urls(site: Site) -> set[str]:
    urls = set(RESERVED)
    urls.update(p.url for p in (*site.posts, *site.pages))
    urls.update(t.url for t in site.tags)
    urls.update(s.url for s in site.series)
    urls.update(r.source for r in site.redirects)
    urls.update("/" + path for path in site.assets)
    return urls


def _suggest(fragment: str, ids: set[str]) -> str:
    import difflib

    close = difflib.get_close_matches(fragment, sorted(ids), n=1, cutoff=0.6)
    if close:
        return f'; did you mean "#{close[0]}"?'
    return f"; headings here: {', '.join('#' + i for i in sorted(ids)[:5])}" if ids else "; the page has no headings"


@rule("links", "Anchors and site links that lead nowhere; empty link targets.", scope="site")
def links(site: Site, settings: dict[str, Settings]) -> Iterator[CheckFinding]:
    own_host = urlsplit(site.config.base_url).netloc.lower()
    quick = bool(own_host) and own_host.isascii()  # an ASCII host is found in the lowered link as it is
    base_path = urlsplit(site.config.base_url).path.rstrip("/")
    by_url = {p.url: p for p in (*site.posts, *site.pages)}
    known = None
    for post in (*site.posts, *site.pages):
        if post.source not in settings or not settings[post.source].enabled("links"):
            continue
        own_ids = None
        for link in post.links:
            href = link.href
            if quick and "#" not in href and href.strip() and \
                    own_host not in href.replace("\t", "").replace("\r", "").replace("\n", "").lower():
                continue  # no fragment and not this site's host (urlsplit drops tabs and line breaks): nothing below applies
            parts = urlsplit(href)
            target: Post | None = None
            where = ""
            if href.strip() in ("", "#"):
                line, col = locate(post, link.line, f"[{link.text}]")
                yield links.rule.at(post.source, line, col,
                                    f'link "{link.text}" has no target; add the URL or remove the link', href=href)
                continue
            if href.startswith("#"):
                target, where = post, "this page"
            elif parts.scheme in ("http", "https") and parts.netloc.lower() == own_host:
                path = unquote(parts.path) or "/"
                if base_path and path.startswith(base_path):
                    path = path[len(base_path):] or "/"
                known = known if known is not None else _known_urls(site)
                if path not in known and path.rstrip("/") + "/" not in known:
                    line, col = locate(post, link.line, href)
                    yield links.rule.at(post.source, line, col,
                                        f"links to {href}, which this site does not have; check the URL",
                                        href=href)
                    continue
                target = by_url.get(path) or by_url.get(path.rstrip("/") + "/")
                where = path
            elif not parts.scheme and not parts.netloc and parts.fragment:
                resolved = posixpath.normpath(posixpath.join(posixpath.dirname(post.source),
                                                             unquote(parts.path).lstrip("/")))
                target = site.by_source.get(resolved)
                where = resolved
            if target is None or not parts.fragment:
                continue
            fragment = unquote(parts.fragment)
            if _FOOTNOTE_ID.match(fragment):
                continue
            ids = (own_ids if target is post and own_ids is not None else _ids(target))
            if target is post:
                own_ids = ids
            if fragment not in ids:
                line, col = locate(post, link.line, "#" + parts.fragment)
                yield links.rule.at(post.source, line, col,
                                    f'#{fragment} is not a heading on {where}{_suggest(fragment, ids)}',
                                    href=href)
