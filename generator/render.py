"""Render the assembled `Site` to output bytes: Jinja pages, feeds, sitemap, robots, redirects, assets.

Jinja runs with autoescape and `StrictUndefined`, so a typo in a template is an error, not an empty
string. Template errors become findings naming the template file and line, and the page being rendered.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import traceback
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Iterator

import jinja2

from generator import __version__
from generator.errors import Finding, error
from generator.fs import template_cache
from generator.model import Post, Series, Site, Tag
from generator.questions import ASK_URL, question_pages, settings as questions_settings, sitemap_rows
from generator.theme import ThemeChain

FINGERPRINTED = (".css", ".js")
_ROOT_RELATIVE = re.compile(r'(\s(?:href|src))="/(?!/)')
_SRCSET = re.compile(r'(\ssrcset)="([^"]*)"')  # "url 480w, url 960w" (images.py)


def _xml_escape(text: str) -> str:
    """xml.sax.saxutils.escape without importing it (it loads urllib.request, and with it http.client,
    email and ssl: ~20 ms of every build's start-up)."""
    return text.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;")


def output_path(url: str) -> str:
    """`/slug/` -> `slug/index.html`; `/feed.xml` -> `feed.xml`."""
    path = url.lstrip("/")
    return path + "index.html" if path == "" or path.endswith("/") else path


def fmt_date(value: datetime | None, fmt: str = "long") -> str:
    """English dates without locale state: `3 March 2026`; `iso` gives RFC 3339."""
    if value is None:
        return ""
    if fmt == "iso":
        return value.isoformat()
    if fmt == "ymd":
        return value.strftime("%Y-%m-%d")
    return f"{value.day} {value:%B %Y}"


def absolutize(html: str, base_url: str) -> str:
    """Root-relative links made absolute, for feeds read outside the site."""
    base = base_url.rstrip("/")
    html = _SRCSET.sub(lambda m: m.group(1) + '="' + ", ".join(
        base + c if c.startswith("/") and not c.startswith("//") else c
        for c in (part.strip() for part in m.group(2).split(","))) + '"', html)
    return _ROOT_RELATIVE.sub(lambda m: f'{m.group(1)}="{base}/', html)


@dataclass(frozen=True, slots=True)
class Assets:
    """The theme's static files as published, and the fingerprinted URL of each."""

    files: dict[str, bytes]  # output path -> bytes
    urls: dict[str, str]  # logical name -> fingerprinted URL


def theme_assets(chain: ThemeChain) -> Assets:
    """The theme's static files under /assets/, CSS and JS fingerprinted so they can be cached forever."""
    files: dict[str, bytes] = {}
    urls: dict[str, str] = {}
    for static in chain.static_dirs:  # parents first: a child theme's file of the same name wins
        for path in sorted(p for p in static.rglob("*") if p.is_file()):
            rel = path.relative_to(static).as_posix()
            data = path.read_bytes()
            out = f"assets/{rel}"
            if path.suffix in FINGERPRINTED:
                digest = hashlib.sha256(data).hexdigest()[:10]
                out = f"assets/{rel[: -len(path.suffix)]}.{digest}{path.suffix}"
            if rel in urls:
                files.pop(urls[rel].lstrip("/"), None)
            files[out] = data
            urls[rel] = "/" + out
    return Assets(files, urls)


AUTOESCAPE = ("html", "xml", "htm")
ENV_OPTIONS = {"trim_blocks": True, "lstrip_blocks": True, "keep_trailing_newline": True}


def _template_variant() -> str:
    """What compiled templates depend on besides their source (Jinja and Python check those): Jinja's
    version and this module, which sets up the environment (see `fs.template_cache`)."""
    return "|".join((jinja2.__version__, __version__, hashlib.sha256(Path(__file__).read_bytes()).hexdigest()))


class _Environment(jinja2.Environment):
    def make_globals(self, d):
        """A template's globals as a plain dict, not Jinja's ChainMap over the environment's: every page,
        include and `{% from ... import %}` copies or compares them, which a ChainMap does in Python
        (~8% of rendering). The same values, since the globals are all set before any template loads,
        as Jinja asks."""
        return {**self.globals, **(d or {})}


class Renderer:
    """One Jinja environment per build; `render_site` yields (output path, bytes)."""

    def __init__(self, site: Site, chain: ThemeChain, site_root: Path, assets: Assets, preview: bool = False,
                 share: tuple[int, int] = (0, 1), cache: bool = True):
        self.site = site
        self.share = share  # (k, n): render only the pages whose number (from 1) is k modulo n
        self._pages = 0
        self.chain = chain
        self.site_root = site_root
        self.assets = assets
        self.preview = preview
        self.findings: list[Finding] = []
        bundled = tuple(t.root / "templates" for t in chain.themes if t.bundled)
        self.env = _Environment(
            loader=jinja2.FileSystemLoader([str(d) for d in chain.template_dirs]),
            autoescape=jinja2.select_autoescape(list(AUTOESCAPE), default_for_string=True),
            undefined=jinja2.StrictUndefined,
            **ENV_OPTIONS,
            bytecode_cache=template_cache(site_root, _template_variant(), bundled, site_cache=cache),
            auto_reload=False,  # one environment per build: no stat of every template on every page
        )
        self.env.filters["date"] = self.date
        self._dates: dict[tuple[int, str], tuple[Any, str]] = {}
        # Marked as needing the context so that Jinja never folds `"/" | absolute` into a constant of the
        # compiled template: compiled templates outlive a build (the cache), a site's base_url does not.
        self.env.filters["absolute"] = jinja2.pass_context(lambda context, path: site.config.absolute(path))
        self.env.globals.update(
            site=site,
            config=site.config,
            asset=self.asset_url,
            post_of=site.post,
            tag_of=self._tag_by_name,
            generator_version=__version__,
            preview=preview,
            questions_of=site.questions_for,
            ask=questions_settings(site.config),
            post_stats=self.post_stats,
        )
        self._tags = {t.name: t for t in site.tags}
        self._tag_slugs = {}
        for tag in site.tags:
            for source in tag.posts:
                self._tag_slugs.setdefault(source, []).append(tag)

    def date(self, value: Any, fmt: str = "long") -> str:
        """The `date` filter: `fmt_date`, remembered per date object for the build (a post's date is shown
        on its page, the index, its tags' pages and the archive: ~14,000 dates at 1,000 posts, of a
        few thousand objects). Keyed by identity, with the object kept, so a key is never reused."""
        key = (id(value), fmt)
        known = self._dates.get(key)
        if known is None:
            known = self._dates[key] = (value, fmt_date(value, fmt))
        return known[1]

    def _theirs(self) -> bool:
        """Whether the next page is another share's; then it is counted here, and `render_site` skips it
        before its context is built (its JSON-LD, tags...). Never, for a renderer of the whole site."""
        if self.share[1] > 1 and (self._pages + 1) % self.share[1] != self.share[0]:
            self._pages += 1
            return True
        return False

    def post_stats(self, post: Post) -> dict[str, Any]:
        """The editorial checks' numbers for `post` (words, self, reader, reading_ease...), for themes;
        computed only when a template asks, so a theme that shows none costs nothing."""
        from generator.checks import post_stats

        return post_stats(post, self.site.config.language)

    def asset_url(self, name: str) -> str:
        if name not in self.assets.urls:
            raise jinja2.TemplateRuntimeError(f'asset "{name}" is not in the theme\'s static/ folder')
        return self.assets.urls[name]

    def _tag_by_name(self, name: str) -> Tag:
        from slugify import slugify

        slug = slugify(name) or "tag"
        for tag in self.site.tags:
            if tag.slug == slug:
                return tag
        raise jinja2.TemplateRuntimeError(f'no tag "{name}"')

    # -- pages ---------------------------------------------------------------------------------------

    def page(self, template: str, url: str, origin: str, **context: Any) -> tuple[str, bytes] | None:
        """Render one template to the output path of `url`; on error record a finding and return None.
        None too for a page outside this renderer's `share`."""
        self._pages += 1
        if self._pages % self.share[1] != self.share[0]:
            return None
        context.setdefault("title", "")
        context.setdefault("description", self.site.config.description)
        context["url"] = url
        context["canonical"] = self.site.config.absolute(url)
        try:
            text = self.env.get_template(template).render(**context)
        except jinja2.TemplateSyntaxError as exc:
            where = self.chain.display(exc.filename, self.site_root) if exc.filename else template
            self.findings.append(error(f"template syntax: {exc.message}", where, exc.lineno or 0, "template"))
            return None
        except jinja2.TemplateNotFound as exc:
            dirs = ", ".join(self.chain.display(str(d), self.site_root) for d in self.chain.template_dirs)
            self.findings.append(error(f'template "{exc.name}" not found (looked in {dirs}); add it to '
                                       "templates/ or check the theme", origin, 0, "template"))
            return None
        except Exception as exc:  # noqa: BLE001 - any template runtime error becomes a finding
            where, line = self._template_frame(exc)
            self.findings.append(error(f"while rendering {url} (from {origin}): {type(exc).__name__}: {exc}",
                                       where or origin, line, "template"))
            return None
        return output_path(url), text.encode("utf-8")

    def _template_frame(self, exc: BaseException) -> tuple[str | None, int]:
        """The innermost template file and line of a runtime error (Jinja maps frames to templates)."""
        dirs = [str(d.resolve()) for d in self.chain.template_dirs]
        for frame in reversed(traceback.extract_tb(exc.__traceback__)):
            if any(str(Path(frame.filename).resolve()).startswith(d) for d in dirs):
                return self.chain.display(frame.filename, self.site_root), frame.lineno or 0
        return None, 0

    def tags_of(self, post: Post) -> list[Tag]:
        return sorted(self._tag_slugs.get(post.source, []), key=lambda t: t.name.lower())

    def render_site(self) -> Iterator[tuple[str, bytes]]:
        """Every output file. A renderer of a share other than the first yields only its share of the
        pages: the files that are not pages (assets, sitemap, JSON feed...) come from the first share, so
        a worker never hands the site's images back to the process that gave them to it."""
        site, cfg = self.site, self.site.config
        whole = self.share[0] == 0
        if whole:
            yield from self.assets.files.items()
            for path, data in site.assets.items():
                yield path, data

        series_of = {src: s for s in site.series for src in s.parts}
        posts = site.posts
        for i, post in enumerate(posts):
            if self._theirs():
                continue
            series = series_of.get(post.source)
            part = None
            if series:
                n = series.parts.index(post.source)
                part = {
                    "number": n + 1,
                    "total": len(series.parts),
                    "prev": site.post(series.parts[n - 1]) if n > 0 else None,
                    "next": site.post(series.parts[n + 1]) if n + 1 < len(series.parts) else None,
                }
            result = self.page("post.html", post.url, post.source, post=post, title=post.title,
                               description=post.description, series=series, part=part,
                               tags=self.tags_of(post), newer=posts[i - 1] if i > 0 else None,
                               older=posts[i + 1] if i + 1 < len(posts) else None,
                               json_ld=self.blog_posting(post))
            if result:
                yield result
        for page in site.pages:
            template = "ask.html" if page.url == ASK_URL else "page.html"  # ask.md is the ask page's intro
            result = self.page(template, page.url, page.source, page=page, title=page.title,
                               description=page.description)
            if result:
                yield result

        yield from self._listing_pages()
        yield from self._question_pages()
        yield from self._feeds(whole)
        if not whole:
            return
        if "robots.txt" not in site.assets:  # the author's own robots.txt wins
            yield "robots.txt", f"User-agent: *\nAllow: /\n\nSitemap: {cfg.absolute('/sitemap.xml')}\n".encode()
        yield "sitemap.xml", self.sitemap().encode()
        if site.redirects:
            # Netlify takes the first matching rule: the author's own rules stay first, aliases follow.
            own = site.assets.get("_redirects", b"")
            own += b"\n" if own and not own.endswith(b"\n") else b""
            yield "_redirects", own + "".join(f"{r.source} {r.target} 301\n" for r in site.redirects).encode()

    def _listing_pages(self) -> Iterator[tuple[str, bytes]]:
        site, cfg = self.site, self.site.config
        per = cfg.posts_per_page
        pages = max(1, math.ceil(len(site.posts) / per))
        for n in range(1, pages + 1):
            url = "/" if n == 1 else f"/page/{n}/"
            pagination = {
                "number": n,
                "total": pages,
                "prev_url": None if n == 1 else ("/" if n == 2 else f"/page/{n - 1}/"),
                "next_url": f"/page/{n + 1}/" if n < pages else None,
            }
            result = self.page("index.html", url, "site.toml", posts=site.posts[(n - 1) * per: n * per],
                               pagination=pagination, title="" if n == 1 else f"Page {n}")
            if result:
                yield result
        listings: list[tuple[str, str, dict[str, Any]]] = [
            ("tags.html", "/tags/", {"title": "Tags", "tags": site.tags}),
            ("series_list.html", "/series/", {"title": "Series", "series_list": site.series}),
            ("archive.html", "/archive/", {"title": "Archive", "years": self.years()}),
            ("404.html", "/404.html", {"title": "Page not found"}),
        ]
        for tag in site.tags:
            listings.append(("tag.html", tag.url, {"title": f"Posts tagged “{tag.name}”", "tag": tag,
                                                   "posts": [site.post(s) for s in tag.posts]}))
        for series in site.series:
            parts = [site.post(s) for s in series.parts]
            listings.append(("series.html", series.url, {"title": series.name, "series": series, "parts": parts,
                                                         "description": parts[0].description if parts else ""}))
        for template, url, context in listings:
            result = self.page(template, url, "site.toml", **context)
            if result:
                yield result

    def _question_pages(self) -> Iterator[tuple[str, bytes]]:
        """/ask/, /ask/thanks/, /questions/ (paginated), one page per answered question, its Atom feed."""
        for template, url, context in question_pages(self.site, absolutize):
            result = self.page(template, url, "content/questions", **context)
            if result:
                yield result

    def years(self) -> list[tuple[int, list[Post]]]:
        by_year: dict[int, list[Post]] = defaultdict(list)
        for post in self.site.posts:
            by_year[post.date.year].append(post)
        return sorted(by_year.items(), reverse=True)

    # -- machine-readable outputs ----------------------------------------------------------------------

    def blog_posting(self, post: Post) -> dict[str, Any]:
        cfg = self.site.config
        data = {
            "@context": "https://schema.org",
            "@type": "BlogPosting",
            "headline": post.title,
            "description": post.description,
            "datePublished": fmt_date(post.date, "iso"),
            "dateModified": fmt_date(post.updated or post.date, "iso"),
            "url": cfg.absolute(post.url),
            "mainEntityOfPage": cfg.absolute(post.url),
            "wordCount": post.words,
            "inLanguage": cfg.language,
            "author": {"@type": "Person", "name": cfg.author or cfg.title},
            "publisher": {"@type": "Organization", "name": cfg.title, "url": cfg.absolute("/")},
        }
        if post.tags:
            data["keywords"] = list(post.tags)
        return data

    def _feeds(self, json_feed: bool = True) -> Iterator[tuple[str, bytes]]:
        cfg = self.site.config
        recent = self.site.posts[: cfg.feed_items]
        theirs = self._theirs()  # feed.xml is another share's page
        if theirs and not json_feed:
            return
        entries = [{"post": p, "content": absolutize(p.html, cfg.base_url)} for p in recent]
        if not theirs:
            updated = max((p.updated or p.date for p in recent), default=None)
            result = self.page("feed.xml", "/feed.xml", "site.toml", entries=entries, updated=updated)
            if result:
                yield result
        if not json_feed:
            return
        feed = {
            "version": "https://jsonfeed.org/version/1.1",
            "title": cfg.title,
            "home_page_url": cfg.absolute("/"),
            "feed_url": cfg.absolute("/feed.json"),
            "description": cfg.description,
            "language": cfg.language,
            "authors": [{"name": cfg.author or cfg.title}],
            "items": [
                {
                    "id": cfg.absolute(e["post"].url),
                    "url": cfg.absolute(e["post"].url),
                    "title": e["post"].title,
                    "content_html": e["content"],
                    "summary": e["post"].description,
                    "date_published": fmt_date(e["post"].date, "iso"),
                    "date_modified": fmt_date(e["post"].updated or e["post"].date, "iso"),
                    "tags": list(e["post"].tags),
                }
                for e in entries
            ],
        }
        yield "feed.json", (json.dumps(feed, ensure_ascii=False, indent=2) + "\n").encode()

    def sitemap(self) -> str:
        cfg = self.site.config
        rows: list[tuple[str, datetime | None]] = [("/", self.site.posts[0].date if self.site.posts else None)]
        rows += [(p.url, p.updated or p.date) for p in self.site.posts]
        rows += [(p.url, p.updated) for p in self.site.pages]
        rows += [(s.url, None) for s in self.site.series] + [(t.url, None) for t in self.site.tags]
        rows += [("/archive/", None), ("/tags/", None), ("/series/", None)]
        rows += sitemap_rows(self.site)
        lines = ['<?xml version="1.0" encoding="UTF-8"?>',
                 '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
        for url, when in sorted(rows, key=lambda r: r[0]):
            lastmod = f"<lastmod>{fmt_date(when, 'ymd')}</lastmod>" if when else ""
            lines.append(f"  <url><loc>{_xml_escape(cfg.absolute(url))}</loc>{lastmod}</url>")
        lines.append("</urlset>")
        return "\n".join(lines) + "\n"


def render(site: Site, chain: ThemeChain, site_root: Path, assets: Assets,
           progress: Callable[[], None] | None = None,
           share: tuple[int, int] = (0, 1), cache: bool = True) -> tuple[dict[str, bytes], list[Finding]]:
    renderer = Renderer(site, chain, site_root, assets, share=share, cache=cache)
    outputs: dict[str, bytes] = {}
    for path, data in renderer.render_site():
        outputs[path] = data
        if progress:
            progress()
    return outputs, renderer.findings
