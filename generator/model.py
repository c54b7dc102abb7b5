"""The frozen dataclasses passed between build stages.

Stages refer to each other's data by `source` path or slug, never by object, so one post can change
without touching the others. Nothing here does I/O or knows about Markdown or Jinja.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Mapping

from generator.config import Config
from generator.errors import Finding


@dataclass(frozen=True, slots=True)
class SourceFile:
    """A file read from the site: its path relative to the site root, and its bytes."""

    path: str
    data: bytes


@dataclass(frozen=True, slots=True)
class Heading:
    level: int
    id: str
    text: str
    line: int


@dataclass(frozen=True, slots=True)
class Link:
    """A link as the author wrote it: the raw target, its text and line."""

    href: str
    text: str
    line: int


@dataclass(frozen=True, slots=True)
class ImageRef:
    src: str
    alt: str
    line: int


@dataclass(frozen=True, slots=True)
class Passage:
    """Prose for checks: one block's text (code removed), its first line, and whether it is quoted.

    `kind` is paragraph, heading, list, table or footnote. `quoted` is True inside a blockquote;
    quotation marks inside the text are left for the checks to interpret.
    """

    text: str
    line: int
    kind: str
    quoted: bool


@dataclass(frozen=True, slots=True)
class Post:
    """A post or a page (`kind`), parsed from one Markdown file.

    `html` holds internal links as markers that `site.assemble` rewrites once all URLs are known.
    """

    kind: Literal["post", "page"]
    source: str
    slug: str
    title: str
    date: datetime | None
    updated: datetime | None
    draft: bool
    description: str
    tags: tuple[str, ...]
    series: str | None
    series_order: int | None
    aliases: tuple[str, ...]
    image: str | None
    image_alt: str
    html: str
    summary_html: str
    toc: tuple[Heading, ...]
    words: int
    reading_minutes: int
    links: tuple[Link, ...]
    images: tuple[ImageRef, ...]
    passages: tuple[Passage, ...]
    lines: Mapping[str, int]  # front-matter key -> line, and "body" -> first body line
    url: str = ""

    def line_of(self, key: str) -> int:
        return self.lines.get(key, 1)


@dataclass(frozen=True, slots=True)
class Tag:
    name: str
    slug: str
    url: str
    posts: tuple[str, ...]  # sources, newest first


@dataclass(frozen=True, slots=True)
class Series:
    name: str
    slug: str
    url: str
    parts: tuple[str, ...]  # sources, in reading order


@dataclass(frozen=True, slots=True)
class Redirect:
    source: str  # the old path
    target: str  # the new URL
    origin: str  # file that declared it


@dataclass(frozen=True, slots=True)
class Site:
    """The whole site, assembled: every URL known, every internal link resolved."""

    config: Config
    posts: tuple[Post, ...]  # published posts, newest first
    pages: tuple[Post, ...]  # by title
    tags: tuple[Tag, ...]  # by name
    series: tuple[Series, ...]  # by name
    redirects: tuple[Redirect, ...]
    assets: Mapping[str, bytes]  # output path -> bytes for static files copied through
    by_source: Mapping[str, Post] = field(default_factory=dict)

    def post(self, source: str) -> Post:
        return self.by_source[source]


@dataclass(frozen=True, slots=True)
class BuildResult:
    """What a build produces: output files (path -> bytes) and findings. Written only if no errors."""

    outputs: Mapping[str, bytes]
    findings: tuple[Finding, ...]
    site: Site | None = None
