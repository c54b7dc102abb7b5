"""Assemble the whole site from parsed posts: what is published, every URL, series, tags, redirects,
clashes, and internal links resolved to URLs. Pure: no I/O, no templates.
"""

from __future__ import annotations

from collections import defaultdict
from types import MappingProxyType
from functools import lru_cache
from typing import Iterable, Mapping

from slugify import slugify as _slugify

from generator.config import Config
from generator.errors import Finding, error, warning
from generator.markdown import MARK_OPEN, MARKER_RE, _resolve as resolve_ref
from generator.model import (BuildOptions, Post, Redirect, Series, Site, Tag,  # noqa: F401 - BuildOptions for callers
                             with_fields)

# URLs the generator itself writes; a post or page may not take them.
# Files giving writes itself, which a static file may not replace. `_redirects` and `robots.txt` are
# the author's to keep: the alias rules are appended to an own `_redirects`, an own `robots.txt` wins.
GENERATED_FILES = {"/index.html": "home page", "/feed.xml": "Atom feed", "/feed.json": "JSON feed",
                   "/sitemap.xml": "sitemap", "/404.html": "not-found page (override templates/404.html instead)"}

RESERVED = ("/", "/tags/", "/series/", "/archive/", "/feed.xml", "/feed.json", "/sitemap.xml",
            "/robots.txt", "/404.html", "/_redirects", "/_headers", "/ask/thanks/")


@lru_cache(maxsize=4096)
def slugify(name: str) -> str:
    """python-slugify's slug of a tag or series name, once per name: a site of 1,000 posts names its 30
    tags some 2,000 times, at ~25 µs a slug."""
    return _slugify(name)


def post_url(post: Post, config: Config) -> str:
    if post.kind == "page":
        return f"/{post.slug}/"
    assert post.date is not None
    return config.permalink.format(slug=post.slug, year=f"{post.date.year:04d}",
                                   month=f"{post.date.month:02d}", day=f"{post.date.day:02d}")


def _published(post: Post, options: BuildOptions) -> bool:
    if post.draft and not options.drafts:
        return False
    if post.kind == "post" and post.date and post.date > options.now and not options.future:
        return False
    return True


def asset_url(path: str) -> str | None:
    """Output URL of a non-Markdown file under content/ or static/, or None for other paths."""
    for prefix in ("content/", "static/"):
        if path.startswith(prefix):
            return "/" + path[len(prefix):]
    return None


def assemble(posts: Iterable[Post], asset_files: Mapping[str, bytes], config: Config,
             options: BuildOptions) -> tuple[Site, list[Finding]]:
    """Build the `Site`; findings list every clash and broken internal link at once."""
    findings: list[Finding] = []
    every = {p.source: p for p in posts}
    live = [with_fields(p, url=post_url(p, config)) for p in every.values() if _published(p, options)]

    findings += _clashes(live)
    url_of = {p.source: p.url for p in live}

    assets: dict[str, bytes] = {}
    asset_origin: dict[str, str] = {}
    for path in sorted(asset_files):
        url = asset_url(path)
        if url is None:
            continue
        if url in asset_origin:
            findings.append(error(f"{url} comes from both {asset_origin[url]} and {path}; rename one",
                                  path, 0, "duplicate"))
            continue
        asset_origin[url] = path
        assets[url.lstrip("/")] = asset_files[path]
    taken_urls = {p.url: p.source for p in live}
    for url, path in asset_origin.items():
        if url in GENERATED_FILES:
            findings.append(error(f"{path} would be replaced by the {GENERATED_FILES[url]} giving writes at {url}; "
                                  "remove or rename it", path, 0, "duplicate"))
        if url in taken_urls or url.rstrip("/") + "/index.html" in asset_origin:
            findings.append(error(f"{url} is both a file and a page ({taken_urls.get(url)})", path, 0, "duplicate"))

    resolved: list[Post] = []
    # Built once per site, not per post (per post they made assembly quadratic in the number of posts).
    asset_paths = {path: url for url, path in asset_origin.items()}
    published = set(url_of.values())
    for post in live:
        if MARK_OPEN not in post.html and MARK_OPEN not in post.summary_html:
            resolved.append(post)  # no internal links: nothing to resolve, and no second copy of the post
            continue
        html, summary, link_findings = _resolve_links(post, url_of, every, asset_origin, asset_paths, published)
        findings += link_findings
        resolved.append(with_fields(post, html=html, summary_html=summary))

    posts_sorted = sorted((p for p in resolved if p.kind == "post"), key=lambda p: (p.date, p.source), reverse=True)
    pages_sorted = sorted((p for p in resolved if p.kind == "page"), key=lambda p: (p.title.lower(), p.source))
    series, series_findings = _series(posts_sorted)
    findings += series_findings
    redirects, redirect_findings = _redirects(resolved)
    findings += redirect_findings
    site = Site(
        config=config,
        posts=tuple(posts_sorted),
        pages=tuple(pages_sorted),
        tags=_tags(posts_sorted),
        series=series,
        redirects=redirects,
        assets=MappingProxyType(assets),
        by_source=MappingProxyType({p.source: p for p in resolved}),
    )
    return site, findings


def _clashes(live: list[Post]) -> list[Finding]:
    findings = []
    by_url: dict[str, list[Post]] = defaultdict(list)
    by_slug: dict[str, list[Post]] = defaultdict(list)
    for post in live:
        by_url[post.url].append(post)
        if post.kind == "post":
            by_slug[post.slug].append(post)
    for url, group in sorted(by_url.items()):
        if url in RESERVED or url.startswith(("/tags/", "/series/", "/page/", "/archive/", "/questions/")):
            for post in group:
                findings.append(error(f"URL {url} is reserved for the generator's own pages; set another slug",
                                      post.source, post.line_of("slug"), "duplicate"))
        if len(group) > 1:
            others = ", ".join(sorted(p.source for p in group))
            for post in group:
                findings.append(error(f"URL {url} is used by {others}; give each a different slug",
                                      post.source, post.line_of("slug"), "duplicate"))
    for slug, group in sorted(by_slug.items()):
        if len(group) > 1 and len({p.url for p in group}) > 1:
            others = ", ".join(sorted(p.source for p in group))
            for post in group:
                findings.append(error(f'slug "{slug}" is used by {others}; slugs must be unique',
                                      post.source, post.line_of("slug"), "duplicate"))
    return findings


def _resolve_links(post: Post, url_of: Mapping[str, str], every: Mapping[str, Post],
                   asset_origin: Mapping[str, str], asset_paths: Mapping[str, str],
                   published: set[str]) -> tuple[str, str, list[Finding]]:
    """Replace internal-link markers with URLs; a target that does not exist is an error with its line."""
    findings: list[Finding] = []
    lines: dict[str, int] = {}
    for ref in [*post.links, *post.images]:
        href = getattr(ref, "href", None) or getattr(ref, "src", "")
        lines.setdefault(resolve_ref(post.source, href).split("#")[0], ref.line)  # the markers' own spelling

    def target(marker: str) -> str:
        path, _, fragment = marker.partition("#")
        suffix = f"#{fragment}" if fragment else ""
        line = lines.get(path, post.line_of("body"))
        if path in url_of:
            return url_of[path] + suffix
        if path in every:
            findings.append(error(f"links to {path}, which is a draft or scheduled and not published; "
                                  "publish it or remove the link", post.source, line, "links"))
            return "#"
        if path in asset_paths:
            return asset_paths[path] + suffix
        # Root-relative (/images/x.jpg, /about/): the marker holds the path without its leading slash.
        root = "/" + path if path != "." else "/"
        for url in (root, root.rstrip("/") + "/"):
            if url in asset_origin or url in published or url in RESERVED or \
                    url.startswith(("/tags/", "/series/", "/page/", "/archive/")):
                return url + suffix
        if path.endswith(".md"):
            findings.append(error(f"links to {path}, which does not exist; check the file name",
                                  post.source, line, "links"))
        else:
            findings.append(error(f"refers to {path}, which does not exist; check the path",
                                  post.source, line, "links"))
        return "#"

    # The summary is part of the body, so resolving the body's markers once covers both.
    resolved = {marker: target(marker) for marker in dict.fromkeys(MARKER_RE.findall(post.html))}
    html = MARKER_RE.sub(lambda m: resolved[m.group(1)], post.html)
    summary = MARKER_RE.sub(lambda m: resolved.get(m.group(1), "#"), post.summary_html)
    return html, summary, findings


def _tags(posts: list[Post]) -> tuple[Tag, ...]:
    grouped: dict[str, list[Post]] = defaultdict(list)
    names: dict[str, set[str]] = defaultdict(set)
    for post in posts:
        for name in post.tags:
            slug = slugify(name) or "tag"
            grouped[slug].append(post)
            names[slug].add(name)
    return tuple(sorted(
        (Tag(min(names[slug]), slug, f"/tags/{slug}/", tuple(p.source for p in group))
         for slug, group in grouped.items()),
        key=lambda t: t.name.lower(),
    ))


def _series(posts: list[Post]) -> tuple[tuple[Series, ...], list[Finding]]:
    findings: list[Finding] = []
    grouped: dict[str, list[Post]] = defaultdict(list)
    names: dict[str, str] = {}
    for post in posts:
        if post.series:
            slug = slugify(post.series) or "series"
            grouped[slug].append(post)
            names.setdefault(slug, post.series)
    result = []
    for slug, parts in grouped.items():
        numbered = [p for p in parts if p.series_order is not None]
        unnumbered = [p for p in parts if p.series_order is None]
        by_order: dict[int, list[Post]] = defaultdict(list)
        for p in numbered:
            by_order[p.series_order].append(p)
        for order, group in by_order.items():
            if len(group) > 1:
                others = ", ".join(sorted(p.source for p in group))
                for p in group:
                    findings.append(error(f'series "{names[slug]}" has two parts numbered {order} ({others}); '
                                          "give each part its own series_order", p.source,
                                          p.line_of("series_order"), "series"))
        if numbered and unnumbered:
            for p in unnumbered:
                findings.append(warning(f'part of series "{names[slug]}" without series_order; '
                                        "it is placed after the numbered parts", p.source,
                                        p.line_of("series"), "series"))
        ordered = sorted(numbered, key=lambda p: (p.series_order, p.date, p.source)) + \
            sorted(unnumbered, key=lambda p: (p.date, p.source))
        result.append(Series(names[slug], slug, f"/series/{slug}/", tuple(p.source for p in ordered)))
    return tuple(sorted(result, key=lambda s: s.name.lower())), findings


def _redirects(posts: list[Post]) -> tuple[tuple[Redirect, ...], list[Finding]]:
    findings: list[Finding] = []
    urls = {p.url for p in posts}
    seen: dict[str, str] = {}
    redirects = []
    for post in sorted(posts, key=lambda p: p.source):
        for alias in post.aliases:
            if alias in urls or alias.rstrip("/") + "/" in urls:
                findings.append(error(f"alias {alias} is the URL of a page that exists; remove the alias",
                                      post.source, post.line_of("aliases"), "duplicate"))
            elif alias in seen:
                findings.append(error(f"alias {alias} is also claimed by {seen[alias]}", post.source,
                                      post.line_of("aliases"), "duplicate"))
            else:
                seen[alias] = post.source
                redirects.append(Redirect(alias, post.url, post.source))
    return tuple(sorted(redirects, key=lambda r: r.source)), findings
