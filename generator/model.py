"""The frozen dataclasses passed between build stages.

Stages refer to each other's data by `source` path or slug, never by object, so one post can change
without touching the others. Nothing here does I/O or knows about Markdown or Jinja.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Mapping

from generator.config import Config
from generator.errors import Finding


@dataclass(frozen=True, slots=True)
class SourceFile:
    """A file read from the site: its path relative to the site root, and its bytes."""

    path: str
    data: bytes


@dataclass(frozen=True, slots=True)
class Heading:
    """A heading of a post: its level, anchor id, text and line."""

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
    """An image as the author wrote it: its source, alt text and line."""

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
    raw: str = ""  # the block's Markdown source, one line per text line (softbreaks are "\n" in `text`)
    cols: tuple[int, ...] = ()  # 1-based column in the file where each line of `raw` starts


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
    comments: tuple[tuple[int, str], ...] = ()  # HTML comments in the body: (line, text inside <!-- -->)
    checks: Mapping[str, Any] = field(default_factory=dict)  # front matter `checks:`, per-post rule settings
    og_image: OgImage | None = None  # the share image (front-matter `image` or a card); set by images.py

    def line_of(self, key: str) -> int:
        return self.lines.get(key, 1)


def with_fields(post: Post, **changes: Any) -> Post:
    """`dataclasses.replace(post, **changes)` for a post, in a fifth of the time (no `__init__` with 30
    arguments, no field checks): the build makes a changed copy of most posts once or twice."""
    new = object.__new__(Post)
    for name in Post.__slots__:
        object.__setattr__(new, name, changes.pop(name) if name in changes else getattr(post, name))
    if changes:
        raise TypeError(f"Post has no field {next(iter(changes))!r}")
    return new


@dataclass(frozen=True, slots=True)
class OgImage:
    """The image shown when a post is shared: absolute URL, pixel size (0 when unknown) and alt text."""

    url: str
    width: int
    height: int
    alt: str


@dataclass(frozen=True, slots=True)
class Tag:
    """A tag and the posts that carry it."""

    name: str
    slug: str
    url: str
    posts: tuple[str, ...]  # sources, newest first


@dataclass(frozen=True, slots=True)
class Series:
    """A series and its parts."""

    name: str
    slug: str
    url: str
    parts: tuple[str, ...]  # sources, in reading order


@dataclass(frozen=True, slots=True)
class Redirect:
    """An old path that redirects to a post's URL (from `aliases:`)."""

    source: str  # the old path
    target: str  # the new URL
    origin: str  # file that declared it


@dataclass(frozen=True, slots=True)
class Question:
    """A reader's question from content/questions/ (see generator/questions.py), and the author's reply.

    `text` is the plain text of the reader's untrusted Markdown and `text_html` its safe rendering (no raw
    HTML, nofollow links, no e-mail addresses); `answer_html` is the author's Markdown reply. `url` and
    `post_source` are set when the site publishes it.
    """

    source: str
    slug: str
    title: str  # plain text
    status: Literal["pending", "answered", "spam", "hidden"]
    asked_by: str  # "" when anonymous or without consent
    asked_at: datetime
    answered_at: datetime | None
    post: str | None  # slug of the post it was asked on
    consent: bool
    submission: str
    text: str
    text_html: str
    answer_html: str
    answer_text: str
    answer_links: tuple[tuple[str, int], ...]  # (href, line) of the reply's links and images
    lines: Mapping[str, int]
    url: str = ""
    post_source: str | None = None

    @property
    def published(self) -> datetime:
        return self.answered_at or self.asked_at

    def line_of(self, key: str) -> int:
        return self.lines.get(key, 1)


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
    questions: tuple[Question, ...] = ()  # published (answered) questions, newest first
    questions_by_post: Mapping[str, tuple[Question, ...]] = field(default_factory=dict)  # post source -> its

    def post(self, source: str) -> Post:
        return self.by_source[source]

    def questions_for(self, source: str) -> tuple[Question, ...]:
        """Published questions asked on the post `source`, newest first."""
        return self.questions_by_post.get(source, ())


@dataclass(frozen=True, slots=True)
class BuildOptions:
    """What a build publishes: posts up to `now`, and drafts or future posts only when asked."""

    now: datetime
    drafts: bool = False
    future: bool = False


@dataclass(frozen=True, slots=True)
class BuildResult:
    """What a build produces: output files (path -> bytes) and findings. Written only if no errors."""

    outputs: Mapping[str, bytes]
    findings: tuple[Finding, ...]
    site: Site | None = None
