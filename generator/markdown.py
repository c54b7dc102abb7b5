"""Markdown -> HTML plus plain data: the one `MarkdownIt`, and the only code that touches its tokens.

`render_markdown` turns a post body into HTML and extracts what later stages need as frozen data:
headings (table of contents), links and images with their lines, and prose passages for the checks.
Internal links (to `.md` sources or relative files) become markers that `site.assemble` resolves.
This is the reference; `markdown_fast` answers the same faster for most posts, and hands the rest back.
"""

from __future__ import annotations

import os
import posixpath
import re
from html import escape
from dataclasses import dataclass
from functools import lru_cache
from itertools import filterfalse
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from generator.model import Heading, ImageRef, Link, Passage

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token

# markdown-it-py (the reference, and the readers' Markdown), Pygments and python-slugify are imported where
# they are first needed: most posts take the fast path, and a build process that meets no fenced code, no
# odd heading and no post the fast path declines never loads them (some 60 ms).

# Internal references are written as MARK_OPEN + target + MARK_CLOSE and resolved by site.assemble.
# Private-use characters cannot come out of markdown-it's URL normaliser, so authors cannot forge them.
MARK_OPEN, MARK_CLOSE = "\ue000", "\ue001"
MARKER_RE = re.compile(MARK_OPEN + "([^" + MARK_CLOSE + "]*)" + MARK_CLOSE)
MORE = "<!-- more -->"
_FOOTNOTE_REF = re.compile(r'<sup class="footnote-ref">.*?</sup>', re.DOTALL)
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_COMMENT = re.compile(r"<!--(.*?)-->", re.DOTALL)
_PLAIN_WORDS = re.compile(r"[A-Za-z0-9]+(?: [A-Za-z0-9]+)*")


@dataclass(frozen=True, slots=True)
class Rendered:
    """What one Markdown text renders to: its HTML, and what the build and the checks read from it."""

    html: str
    summary_html: str
    first_paragraph: str  # plain text, for a default description
    toc: tuple[Heading, ...]
    links: tuple[Link, ...]
    images: tuple[ImageRef, ...]
    passages: tuple[Passage, ...]
    words: int
    comments: tuple[tuple[int, str], ...] = ()  # HTML comments: (line, text between <!-- and -->)


def _highlight(code: str, lang: str, _attrs: str) -> str:
    """Pygments with CSS classes (no inline styles), so the theme styles code for light and dark."""
    if not lang:
        return ""
    lexer = _lexer(lang.split()[0])
    if lexer is None:
        return ""
    from pygments import highlight as pygments_highlight

    lang_class = re.sub(r"[^\w-]", "", lang.split()[0])
    return (f'<pre class="highlight"><code class="language-{lang_class}">'
            f"{pygments_highlight(code, lexer, _formatter())}</code></pre>\n")


@lru_cache(maxsize=1)
def _formatter():
    from pygments.formatters import HtmlFormatter

    return HtmlFormatter(nowrap=True)


@lru_cache(maxsize=None)
def _lexer(name: str):
    """Pygments' lookup by name costs more than highlighting a short block; lexers are reusable."""
    from pygments.lexers import get_lexer_by_name
    from pygments.util import ClassNotFound

    try:
        return get_lexer_by_name(name)
    except ClassNotFound:
        return None


def heading_slug(text: str) -> str:
    """The base of a heading's id: python-slugify's slug, or "section". Plain ASCII words between single
    spaces (most headings) slug to themselves lowered and joined by hyphens, without slugify's score of
    regex passes; tests/test_markdown_fast.py holds the two equal."""
    if _PLAIN_WORDS.fullmatch(text):
        return text.lower().replace(" ", "-")
    from slugify import slugify

    return slugify(text) or "section"


def heading_anchor(hid: str, text: str, tag: str) -> str:
    """The end of a heading: a link to it, then the closing tag."""
    return (f' <a class="heading-anchor" href="#{escape(hid)}"><span aria-hidden="true">#</span>'
            f'<span class="visually-hidden">Link to the section “{escape(text)}”</span></a></{tag}>\n')


def _heading_close(self, tokens: list[Token], idx: int, options, env) -> str:
    anchor = tokens[idx].meta.get("anchor")
    if not anchor:
        return self.renderToken(tokens, idx, options, env)
    return heading_anchor(*anchor, tokens[idx].tag)


@lru_cache(maxsize=1)
def parser() -> MarkdownIt:
    from markdown_it import MarkdownIt
    from mdit_py_plugins.footnote import footnote_plugin

    md = MarkdownIt("commonmark", {"typographer": True, "highlight": _highlight})
    md.enable(["table", "strikethrough", "replacements", "smartquotes"])
    md.use(footnote_plugin)
    md.add_render_rule("heading_close", _heading_close)
    return md


def _is_local(href: str) -> bool:
    if href.startswith(("https://", "http://")):  # most links: a scheme, so not local (urlsplit is slow)
        return False
    parts = urlsplit(href)
    return not parts.scheme and not parts.netloc and not href.startswith("#") and bool(parts.path)


def _resolve(source: str, href: str) -> str:
    """A relative link target as a path from the site root, keeping any #fragment."""
    parts = urlsplit(href)
    path = unquote(parts.path)
    base = "" if path.startswith("/") else posixpath.dirname(source)
    resolved = posixpath.normpath(posixpath.join(base, path.lstrip("/")))
    return resolved + (f"#{parts.fragment}" if parts.fragment else "")


def _inline_text(token: Token) -> str:
    """Visible text of an inline token, without code spans or HTML (comments included)."""
    out = []
    for child in token.children or []:
        if child.type == "text":
            out.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            out.append("\n")  # one line of text per source line, so checks can point at the line
        elif child.type in ("code_inline", "image"):
            out.append(" ")
    return "".join(out)


def _plain(token: Token) -> str:
    """Text of an inline token including code spans, for headings and summaries."""
    return "".join(c.content if c.type in ("text", "code_inline") else " " if "break" in c.type else ""
                   for c in token.children or []).strip()


def clean_body(body: str) -> str:
    """The body both Markdown paths parse."""
    # The marker characters are private-use code points with no meaning in prose; never let text forge one.
    body = body.replace(MARK_OPEN, "\ufffd").replace(MARK_CLOSE, "\ufffd")
    # markdown-it ends lines at \r\n and a lone \r as well as \n; split the same way, so the lines and
    # columns found here for the checks agree with its token maps (the HTML is the same either way).
    if "\r" in body:
        body = body.replace("\r\n", "\n").replace("\r", "\n")
    return body


def render_markdown(body: str, source: str, first_line: int = 1, fast: bool = True) -> Rendered:
    """Render `body` (from file `source`, starting at `first_line`) and extract its plain data.

    With `fast`, markdown-it-pyrs does the work when it can give exactly this function's answer
    (generator/markdown_fast.py); markdown-it-py below is the reference and the fallback. The environment
    variable GIVING_REFERENCE_MARKDOWN=1 turns the fast path off, to rule it out when something looks wrong."""
    body = clean_body(body)
    if fast and not os.environ.get("GIVING_REFERENCE_MARKDOWN"):
        from generator import markdown_fast

        rendered = markdown_fast.render(body, source, first_line)
        if rendered is not None:
            return rendered
    md = parser()
    env: dict = {}
    tokens = md.parse(body, env)
    toc: list[Heading] = []
    links: list[Link] = []
    images: list[ImageRef] = []
    passages: list[Passage] = []
    comments: list[tuple[int, str]] = []
    body_lines = body.split("\n")
    used_ids: dict[str, int] = {}
    quote_depth = list_depth = table_depth = footnote_depth = 0
    first_paragraph_index = None
    line = first_line

    for i, tok in enumerate(tokens):
        if tok.map:
            line = tok.map[0] + first_line
        t = tok.type
        if t == "blockquote_open":
            quote_depth += 1
        elif t == "blockquote_close":
            quote_depth -= 1
        elif t in ("bullet_list_open", "ordered_list_open"):
            list_depth += 1
        elif t in ("bullet_list_close", "ordered_list_close"):
            list_depth -= 1
        elif t == "table_open":
            table_depth += 1
        elif t == "table_close":
            table_depth -= 1
        elif t == "footnote_open":
            footnote_depth += 1
        elif t == "footnote_close":
            footnote_depth -= 1
        elif t == "heading_open":
            inline = tokens[i + 1]
            text = _plain(inline)
            base = heading_slug(text)
            count = used_ids.get(base, 0)
            used_ids[base] = count + 1
            hid = base if count == 0 else f"{base}-{count}"
            tok.attrSet("id", hid)
            tokens[i + 2].meta["anchor"] = (hid, text)
            toc.append(Heading(int(tok.tag[1]), hid, text, line))
        elif t == "paragraph_open" and first_paragraph_index is None and not (quote_depth or list_depth
                                                                               or footnote_depth):
            first_paragraph_index = i
        elif t == "inline":
            kind = ("heading" if tokens[i - 1].type == "heading_open" else "footnote" if footnote_depth
                    else "table" if table_depth else "list" if list_depth else "paragraph")
            skip = _blank_lead(tok, body_lines)
            line += skip
            passages.append(Passage(_inline_text(tok), line, kind, quote_depth > 0, tok.content,
                                    _columns(tok, body_lines, skip)))
            _collect_refs(tok, source, line, links, images)
            if "<!--" in tok.content:
                comments += _inline_comments(tok, line)
        elif t == "html_block" and "<!--" in tok.content:
            comments += ((line + tok.content.count("\n", 0, m.start()), m.group(1))
                         for m in _COMMENT.finditer(tok.content))

    html = md.renderer.render(tokens, md.options, env)
    if first_paragraph_index is None:
        first_html = first_plain = ""
    else:
        first_html = md.renderer.render(tokens[first_paragraph_index:first_paragraph_index + 3], md.options, env)
        first_plain = _plain(tokens[first_paragraph_index + 1])
    return finish(html, first_html, first_plain, toc, links, images, passages, comments)


def finish(html: str, first_html: str, first_plain: str, toc: list[Heading], links: list[Link],
           images: list[ImageRef], passages: list[Passage], comments: list[tuple[int, str]]) -> Rendered:
    """The `Rendered` both Markdown paths give, from the post's HTML and its first top-level paragraph
    (HTML and plain text, "" if none): the summary is what comes before `<!-- more -->`, or else that
    paragraph, without footnote marks; the words are counted over the passages."""
    summary = html[: html.index(MORE)] if MORE in html else first_html
    summary = _FOOTNOTE_REF.sub("", summary).strip()
    words = count_words("\n".join([p.text for p in passages]))  # one scan; a newline joins no words
    return Rendered(html, summary, first_plain, tuple(toc), tuple(links), tuple(images), tuple(passages), words,
                    tuple(comments))


def count_words(text: str) -> int:
    """How many times `_WORD` matches in `text`. A match is a run of letters and digits, extended over
    each single apostrophe (' or ’) that joins it to the next run; so there are as many matches as runs
    that start after something other than a letter, a digit, or an apostrophe right after one. On ASCII
    text (after ’ becomes ' and the commonest other typography becomes spaces, which changes no match)
    that is counted with whole-text integer arithmetic: one bit per byte that is a letter or a digit,
    run starts are the bits whose lower neighbour is clear. tests/test_markdown_fast.py holds the count
    equal to the pattern's."""
    if not text.isascii():
        text = text.replace("\u2019", "'")
        for mark in _NOT_IN_WORDS:
            if mark in text:
                text = text.replace(mark, " ")
        if not text.isascii():
            return _count_words_unicode(text)
    raw = text.encode()
    alnum = int.from_bytes(raw.translate(_ALNUM_BYTES), "little")
    words = (alnum & ~(alnum << 8)).bit_count()
    if "'" in text:
        apostrophes = int.from_bytes(raw.translate(_APOSTROPHE_BYTES), "little")
        words -= (alnum & (apostrophes << 8) & (alnum << 16)).bit_count()
    return words


# One byte per ASCII byte: 1 for a letter or a digit (what [^\W_] matches), or for the apostrophe.
_ALNUM_BYTES = bytes(int(chr(i).isalnum()) if i < 128 else 0 for i in range(256))
_APOSTROPHE_BYTES = bytes(int(i == ord("'")) for i in range(256))
# Typography that is neither a letter nor an apostrophe to `_WORD` (dashes, curly double quotes, the
# opening single quote, the ellipsis, the no-break space).
_NOT_IN_WORDS = ("\u2014", "\u2013", "\u201c", "\u201d", "\u2018", "\u2026", "\u00a0")


def _count_words_unicode(text: str) -> int:
    """`count_words` for text with letters beyond ASCII: no match spans white space, and a run of
    letters alone between white space is one match, so the regex only needs to see the other runs.
    Commas, full stops and question marks are neither in words nor apostrophes, so as spaces they change
    no match, and the words they end become runs of letters alone."""
    chunks = text.replace(",", " ").replace(".", " ").replace("?", " ").split()
    rest = list(filterfalse(str.isalpha, chunks))
    return len(chunks) - len(rest) + (len(_WORD.findall(" ".join(rest))) if rest else 0)


def _blank_lead(inline: Token, body_lines: list[str]) -> int:
    """Leading lines of a block that markdown-it-py's `str.strip()` removed from its content: lines of
    Unicode spaces only (a lone no-break space), which CommonMark does not count as blank."""
    if not inline.map or not inline.content:
        return 0
    start, end = inline.map
    skip = 0
    while start + skip < min(end, len(body_lines)) - 1 and not body_lines[start + skip].strip():
        skip += 1
    return skip


def _columns(inline: Token, body_lines: list[str], skip: int = 0) -> tuple[int, ...]:
    """1-based column in the source file where each line of an inline token's raw content starts."""
    return _columns_at((inline.map[0] if inline.map else 0) + skip, inline.content, body_lines)


def _columns_at(start: int, raw: str, body_lines: list[str]) -> tuple[int, ...]:
    """The same for raw content whose first line is body line `start` (0-based)."""
    if "\n" not in raw and start < len(body_lines):  # one line (most blocks): the loop below, once
        content, stripped = raw.rstrip(), body_lines[start].rstrip()
        if content and stripped.endswith(content):
            return (len(stripped) - len(content) + 1,)
    cols = []
    for k, content in enumerate(raw.split("\n")):
        source = body_lines[start + k] if start + k < len(body_lines) else ""
        content, stripped = content.rstrip(), source.rstrip()
        if content and stripped.endswith(content):
            cols.append(len(stripped) - len(content) + 1)
        else:
            found = source.find(content) if content else -1
            cols.append(found + 1 if found >= 0 else len(source) - len(source.lstrip()) + 1)
    return tuple(cols)


def _inline_comments(inline: Token, line: int) -> list[tuple[int, str]]:
    found = []
    for child in inline.children or []:
        if child.type in ("softbreak", "hardbreak"):
            line += 1
        elif child.type == "html_inline":
            found += ((line, m.group(1)) for m in _COMMENT.finditer(child.content))
    return found


def _collect_refs(inline: Token, source: str, line: int, links: list[Link], images: list[ImageRef]) -> None:
    """Record links and images; point local ones at markers. `line` counts softbreaks within the block."""
    children = inline.children or []
    for j, child in enumerate(children):
        if child.type == "softbreak" or child.type == "hardbreak":
            line += 1
        elif child.type == "link_open":
            href = str(child.attrGet("href") or "")
            text = ""
            for nxt in children[j + 1:]:
                if nxt.type == "link_close":
                    break
                text += nxt.content
            links.append(Link(href, text, line))
            if _is_local(href):
                child.attrSet("href", MARK_OPEN + _resolve(source, href) + MARK_CLOSE)
        elif child.type == "image":
            src = str(child.attrGet("src") or "")
            images.append(ImageRef(src, child.content, line))
            if _is_local(src):
                child.attrSet("src", MARK_OPEN + _resolve(source, src) + MARK_CLOSE)


# -- untrusted text (readers' questions) -------------------------------------------------------------------

_READER_SCHEMES = ("http:", "https:")
# Anything with a colon before its first "/", "?" or "#" may be read as a scheme (":" or "1:" included):
# only http(s) may have one.
_SCHEME = re.compile(r"^[^/?#]*:")
READER_REL = "nofollow ugc noopener"


def _reader_link_ok(url: str) -> bool:
    """Only web links survive: javascript:, data:, vbscript:, mailto: and the rest are left as plain text."""
    compact = re.sub(r"[\x00-\x20\x7f]", "", url)
    return not _SCHEME.match(compact) or compact.lower().startswith(_READER_SCHEMES)


@lru_cache(maxsize=1)
def reader_parser() -> MarkdownIt:
    """CommonMark without raw HTML or headings (a reader's "# Help" is text, not the page's outline);
    line breaks are kept, since readers type them meaning them."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": False, "breaks": True})
    md.disable(["heading", "lheading", "html_block", "html_inline"])
    md.validateLink = _reader_link_ok  # type: ignore[method-assign]
    return md


def _visible(children: list[Token]) -> str:
    return "".join(c.content if c.type in ("text", "code_inline", "image") else "\n" if "break" in c.type else ""
                   for c in children)


def render_untrusted(text: str, redact) -> tuple[str, str]:
    """A reader's Markdown -> (HTML, plain text). Links carry rel="nofollow ugc noopener"; images become
    links (no third-party pixel loads on the page). `redact(str) -> str` hides what must not be published
    (e-mail addresses): an inline whose visible text it changes, even across emphasis, is replaced by its
    redacted plain text, and a link whose target it changes loses its target."""
    md = reader_parser()
    text = text.replace(MARK_OPEN, "\ufffd").replace(MARK_CLOSE, "\ufffd")
    tokens = md.parse(text, {})
    plain: list[str] = []
    for tok in tokens:
        if tok.type in ("fence", "code_block"):
            tok.content = redact(tok.content)
            plain.append(tok.content.strip("\n"))
        if tok.type != "inline":
            continue
        visible = _visible(tok.children or [])
        if redact(visible) != visible:
            tok.children = _text_tokens(redact(visible))
        children: list[Token] = []
        dropped = 0  # open links whose target was redacted: their close tokens go too
        for child in tok.children or []:
            if child.type == "image":
                src = str(child.attrGet("src") or "")
                child = _image_as_link(child, src if redact(src) == src else "")
                children += child
                continue
            if child.type == "link_open":
                href = str(child.attrGet("href") or "")
                if redact(href) != href:
                    dropped += 1
                    continue
                child.attrSet("rel", READER_REL)
            elif child.type == "link_close" and dropped:
                dropped -= 1
                continue
            children.append(child)
        tok.children = children
        plain.append(_visible(children).strip())
    html = md.renderer.render(tokens, md.options, {})
    return html.strip(), "\n\n".join(p for p in plain if p)


def _text_tokens(text: str) -> list[Token]:
    from markdown_it.token import Token

    out: list[Token] = []
    for n, line in enumerate(text.split("\n")):
        if n:
            out.append(Token("softbreak", "br", 0))
        out.append(Token("text", "", 0, content=line))
    return out


def _image_as_link(image: Token, src: str) -> list[Token]:
    """![alt](src) from a reader: the alt text, linked to the image when its address may be shown."""
    from markdown_it.token import Token

    label = Token("text", "", 0, content=image.content or src or "image")
    if not src:
        return [label]
    return [Token("link_open", "a", 1, attrs={"href": src, "rel": READER_REL}), label,
            Token("link_close", "a", -1)]
