"""Parse one source file into a `Post` (a post or a page): decode, front matter, Markdown.

Pure and per file, so it can run in parallel and be cached by content.
"""

from __future__ import annotations

import math
import posixpath
import re
from types import MappingProxyType
from zoneinfo import ZoneInfo

from generator.config import Config
from generator.errors import Finding, error
from generator.frontmatter import split, validate
from generator.markdown import render_markdown
from generator.model import Post, SourceFile

# Lowercase ASCII words joined by single hyphens: python-slugify gives such a name back as it is
# (tests/test_parsers_property.py), so most file names need no call to it, nor its import.
_PLAIN_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
POSTS_DIR = "content/posts/"
PAGES_DIR = "content/pages/"


def kind_of(path: str) -> str | None:
    """"post", "page" or None for a site-relative path."""
    if not path.endswith(".md"):
        return None
    if path.startswith(POSTS_DIR):
        return "post"
    if path.startswith(PAGES_DIR):
        return "page"
    return None


def decode(source: SourceFile) -> tuple[str | None, list[Finding]]:
    try:
        text = source.data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = source.data.count(b"\n", 0, exc.start) + 1
        return None, [error(f"not UTF-8 (byte 0x{source.data[exc.start]:02x}); save the file as UTF-8",
                            source.path, line, "encoding")]
    return text.removeprefix("\ufeff").replace("\r\n", "\n"), []


def parse_post(source: SourceFile, config: Config) -> tuple[Post | None, list[Finding]]:
    kind = kind_of(source.path)
    assert kind is not None, source.path
    text, findings = decode(source)
    if text is None:
        return None, findings
    fm, findings = split(text, source.path)
    if findings:
        return None, findings
    values, findings = validate(fm, source.path, kind, ZoneInfo(config.timezone))
    if findings:
        return None, findings

    stem = posixpath.splitext(posixpath.basename(source.path))[0]
    slug = values.get("slug") or _slug(stem)
    if kind == "page" and "slug" not in values:
        # Pages keep their folder: content/pages/guides/start.md -> /guides/start/
        rel = posixpath.splitext(source.path[len(PAGES_DIR):])[0]
        slug = "/".join(_slug(part) for part in rel.split("/"))
    rendered = render_markdown(fm.body, source.path, fm.body_line)
    description = values.get("description") or _shorten(rendered.first_paragraph, 160)
    lines = dict(fm.lines)
    lines["body"] = fm.body_line
    post = Post(
        kind=kind,
        source=source.path,
        slug=slug,
        title=values["title"],
        date=values.get("date"),
        updated=values.get("updated"),
        draft=values.get("draft", False),
        description=description,
        tags=values.get("tags", ()),
        series=values.get("series") or None,
        series_order=values.get("series_order"),
        aliases=values.get("aliases", ()),
        image=values.get("image") or None,
        image_alt=values.get("image_alt", ""),
        html=rendered.html,
        summary_html=rendered.summary_html,
        toc=rendered.toc,
        words=rendered.words,
        reading_minutes=max(1, math.ceil(rendered.words / config.words_per_minute)),
        links=rendered.links,
        images=rendered.images,
        passages=rendered.passages,
        lines=MappingProxyType(lines),
        comments=rendered.comments,
        checks=MappingProxyType(values.get("checks") or {}),
    )
    return post, []


def _slug(name: str) -> str:
    """python-slugify's slug of a file or folder name, or "untitled"."""
    if _PLAIN_SLUG.fullmatch(name):
        return name
    from slugify import slugify

    return slugify(name) or "untitled"


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0]
    return cut.rstrip(",;:.") + "…"
