"""The fast path of `markdown.render_markdown`: markdown-it-pyrs (markdown-it in Rust) parses, and giving
renders the HTML and reads the plain data off its syntax tree instead of markdown-it-py's tokens.

It answers exactly what the reference (generator/markdown.py, markdown-it-py) gives: the same HTML and the
same headings, links, images, passages and comments, field for field. tests/test_markdown_fast.py compares
the two on the benchmark corpus, the sample site, every fixture and random documents.

- Parsing is the Rust port's; typography is not: its typographer curls quotes differently (inside code
  spans, beside them, in tables), so it is off, and markdown-it-py's own replacements and smartquotes run
  on the same flat token list the reference gives them.
- HTML follows markdown-it-py's renderer rule for rule (its newlines around tight lists included), and
  footnotes are numbered and linked back as mdit-py-plugins does (by first reference, not definition).
- Where the tree cannot tell the reference's answer for sure, `render` returns None and the reference
  renders. Each such case raises `_Decline` (or returns None) with a comment saying why: inline or nested
  notes, tabs or odd Unicode spaces at a line's edge, a multi-line block inside both a list and a quote,
  lazy lines that could start a block, escaped pipes in tables, and more that fuzzing found. Without
  markdown-it-pyrs installed, every file takes the reference path.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from dataclasses import fields
from functools import lru_cache
from itertools import accumulate

# Imported by generator.markdown only once it is loaded itself, so these names are there.
from generator.markdown import (_COMMENT, MARK_CLOSE, MARK_OPEN, _columns_at, _highlight, _is_local, _resolve, finish,
                                heading_anchor, heading_slug)
from generator.model import Heading, ImageRef, Link, Passage

# markdown-it-py's replacements rule runs where these match (its own RARE_RE and SCOPED_ABBR_RE, which
# tests/test_markdown_fast.py holds equal); its typography is imported only for a block that needs it.
RARE_RE = re.compile(r"\+-|\.\.|\?\?\?\?|!!!!|,,|--")
SCOPED_ABBR_RE = re.compile(r"\((c|tm|r)\)", re.IGNORECASE)
# CommonMark's whitespace, as markdown-it-py's mdTrim strips it (not str.strip's Unicode set).
_TRIM = " \t\n\r\f\v"
_MID_WORD_QUOTE = re.compile(r"(?<=[^\W_])'(?=[^\W_])")
# White space to Python other than a space or a newline (U+3000 is the last white space in Unicode).
# Spelt out rather than found at import (a scan of 12,000 characters, some milliseconds per process);
# tests/test_markdown_fast.py holds the list complete.
_ODD_ASCII_SPACES = ("\t", "\x0b", "\x0c", "\r", "\x1c", "\x1d", "\x1e", "\x1f")
_ODD_SPACES = _ODD_ASCII_SPACES + ("\x85", "\xa0", "\u1680", "\u2000", "\u2001", "\u2002", "\u2003", "\u2004",
                                   "\u2005", "\u2006", "\u2007", "\u2008", "\u2009", "\u200a", "\u2028", "\u2029",
                                   "\u202f", "\u205f", "\u3000")
_RARE_PARTS = ("+-", "..", "????", "!!!!", ",,", "--")  # RARE_RE's alternatives
# Each as a pattern of its own: a literal prefix lets the regex engine skip to each first character with
# memchr, twice as fast as `in` on a two-character needle (RARE_RE's alternation, with no prefix, is slower).
_RARE_SEARCHES = tuple(re.compile(re.escape(part)).search for part in _RARE_PARTS)
_BLOCKS = frozenset(("paragraph", "heading", "lheading", "blockquote", "bullet_list", "ordered_list", "table",
                     "fence", "code_block", "html_block", "hr", "definition"))
_DECLARATION = re.compile(r"<![A-Za-z]")
_BACKTICKS = re.compile(r"`+")
_FENCE_OPEN = re.compile(r" {0,3}(`{3,}|~{3,})")
_FENCE_CLOSE = re.compile(r" {0,3}(`{3,}|~{3,})[ \t]*")
# A line that may start a raw HTML block or a link reference definition, in which a line that looks like
# a fence is none; the first kinds of HTML block may run past blank lines.
_HTML_OR_DEFINITION = re.compile(r" {0,3}(<|\[[^\]]*\]:)")
# The HTML blocks that a blank line does not end (CommonMark's kinds 1 to 5); see `_html_end`.
_LONG_HTML = re.compile(r"( {0,3})<(\?|!--|!\[CDATA\[|![A-Za-z]|(script|pre|style|textarea)(?=\s|>|$))",
                        re.IGNORECASE)
# A table's delimiter row, or what may be one: without one in the body, "|" ends no code span.
_DELIMITER_ROW = re.compile(r"^[ >|:-]*-[ >|:-]*$", re.MULTILINE)
_MAY_HIDE = re.compile(r"<[A-Za-z/!?]")  # where raw HTML or an autolink may start
_NOTE_DEF = re.compile(r"^ {0,3}\[\^([^\]\s]+)\]:", re.MULTILINE)
_NOTE_DEF_ANYWHERE = re.compile(r"\[\^[^\]\s]+\]:")  # in a quote or list too, where the two disagree
# First characters of a lazy continuation line that could also start a block of its own.
_BLOCK_STARTS = frozenset("-+*#>`~|<=_0123456789")
_INLINE_TAGS = {"em": "em", "strong": "strong", "strikethrough": "s"}
_OPENING = {name: f"<{tag}>" for name, tag in _INLINE_TAGS.items()}
_CLOSING = {name: f"</{tag}>" for name, tag in _INLINE_TAGS.items()}
_ALIGN = {"left": ' style="text-align:left"', "right": ' style="text-align:right"',
          "center": ' style="text-align:center"'}


def _slot_maker(cls, names: tuple[str, ...]):
    """A constructor for frozen dataclass `cls` with slots `names`, taking every field in order: it sets the
    slots through their descriptors, where the generated __init__ calls object.__setattr__ per field (three
    times the cost, and the walk makes a passage per block). If `cls` has other fields or a __post_init__,
    `cls` itself."""
    if (tuple(f.name for f in fields(cls)) != names or getattr(cls, "__slots__", None) != names
            or hasattr(cls, "__post_init__")):
        return cls
    new = object.__new__
    setters = [getattr(cls, name).__set__ for name in names]
    if len(names) == 6:
        s0, s1, s2, s3, s4, s5 = setters

        def make6(a, b, c, d, e, f):
            obj = new(cls)
            s0(obj, a), s1(obj, b), s2(obj, c), s3(obj, d), s4(obj, e), s5(obj, f)
            return obj
        return make6
    if len(names) == 4:
        s0, s1, s2, s3 = setters

        def make4(a, b, c, d):
            obj = new(cls)
            s0(obj, a), s1(obj, b), s2(obj, c), s3(obj, d)
            return obj
        return make4
    if len(names) == 3:
        s0, s1, s2 = setters

        def make3(a, b, c):
            obj = new(cls)
            s0(obj, a), s1(obj, b), s2(obj, c)
            return obj
        return make3
    return cls


_passage = _slot_maker(Passage, ("text", "line", "kind", "quoted", "raw", "cols"))
_link = _slot_maker(Link, ("href", "text", "line"))
_toc_entry = _slot_maker(Heading, ("level", "id", "text", "line"))


class _Decline(Exception):
    """The tree alone cannot say what the reference would give: let markdown-it-py render."""


class _Typography(Exception):
    """A block holds a quote that markdown-it-py's smartquotes has to place: render it from the flat tokens."""


class _Tok:
    """The fields of a markdown-it-py inline token that its typographer reads and writes."""

    __slots__ = ("type", "content", "level", "node", "info", "url", "title")

    def __init__(self, type_: str, content: str, level: int, node=None, info: str = "", url: str = "",
                 title: str | None = None):
        self.type, self.content, self.level, self.node, self.info = type_, content, level, node, info
        self.url, self.title = url, title


class _Options:
    quotes = "\u201c\u201d\u2018\u2019"  # the commonmark preset's, as in generator.markdown.parser()


class _State:
    """What markdown-it-py's smartquotes reads of its state: the options' quote characters."""

    class md:
        options = _Options


@lru_cache(maxsize=1)
def _parser():
    try:
        import markdown_it_pyrs
    except ImportError:  # an optional speed-up: without it every file takes the reference path
        return None
    return markdown_it_pyrs.MarkdownIt("commonmark").enable_many(["table", "strikethrough", "footnote"])


def available() -> bool:
    return _parser() is not None


def _escape(text: str) -> str:
    """markdown-it's escapeHtml."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def render(body: str, source: str, first_line: int):
    """`markdown.Rendered` for `body` (already cleaned of marker characters and \\r), or None to decline."""
    md = _parser()
    # (Two-character needles are searched far slower than one: a rare first character is tested first.)
    carets = "^" in body
    if md is None or (carets and "^[" in body):  # inline footnotes: the Rust port has none
        return None
    if "\x0b" in body or "\x0c" in body or "\x00" in body:  # trimmed or replaced differently
        return None
    if "<" in body and "<!" in body and _DECLARATION.search(body):  # <!doctype ...>: CommonMark 0.31 allows lower case
        return None
    if "`" in body and "[" in body and _unclosed_code_after_bracket(body):
        return None  # an unclosed code span after "[" can panic the Rust parser, which prints a backtrace
    if not body.isascii() and _symbol_beside_delimiter(body):
        return None  # CommonMark 0.31 counts symbols as punctuation beside * and _; the port does not
    try:
        return _Walk(body, source, first_line, carets).rendered(md.tree(body))
    except Exception:  # noqa: BLE001 - _Decline, or anything unforeseen in the tree: the reference renders
        return None
    except BaseException as exc:  # pyo3 raises a panic in the Rust parser as a BaseException
        if type(exc).__name__ != "PanicException":
            raise
        return None


class _Walk:
    def __init__(self, body: str, source: str, first_line: int, carets: bool = True):
        self.body, self.source, self.first_line = body, source, first_line
        self.raw = body.encode()
        self.ascii = len(self.raw) == len(body)
        self.lines = body.split("\n")
        # The byte offset where each line starts (the tree's source maps count bytes).
        lengths = map(len, self.lines[:-1] if self.ascii else self.raw.split(b"\n")[:-1])
        self.starts = list(accumulate(map((1).__add__, lengths), initial=0))
        # What the typographer could change somewhere in the body (substring tests: far quicker than the
        # regexes, which have no literal prefix to skip ahead with).
        self.abbr = "(" in body and SCOPED_ABBR_RE.search(body) is not None  # (c), (tm), (r)
        self.rare = any(search(body) for search in _RARE_SEARCHES)  # what RARE_RE matches
        # Only spaces and newlines for white space: no line can have odd edges (see `_odd_edges`).
        spaces = _ODD_ASCII_SPACES if self.ascii else _ODD_SPACES
        self.plain_spaces = not any(space in body for space in spaces)
        self.out: list[str] = []
        self.after_hidden = False  # the last thing rendered was a tight list's (hidden) paragraph
        self.toc: list[Heading] = []
        self.links: list[Link] = []
        self.images: list[ImageRef] = []
        self.passages: list[Passage] = []
        self.comments: list[tuple[int, str]] = []
        self.used_ids: dict[str, int] = {}
        self.first_paragraph: tuple[str, str] | None = None  # (its HTML, its plain text)
        # Footnotes as markdown-it-py numbers them: by first reference, not by definition as the port does.
        self.note_ids: dict[str, int] = {}
        self.note_refs: dict[str, int] = {}
        self.in_footnote = False
        self.notes = carets and "[^" in body  # footnotes ("^" in the body: see `render`)

    def rendered(self, tree):
        if self.notes:
            nodes = tree.children
            found = ([n.meta.get("label") for n in nodes[-1].children]
                     if nodes and nodes[-1].name == "footnote_container" else [])
            defined = _NOTE_DEF.findall(self.body)
            if sorted(found) != sorted(defined) or len(_NOTE_DEF_ANYWHERE.findall(self.body)) != len(defined):
                # A definition the port read otherwise, dropped (unused), or inside a quote or list:
                # markdown-it-py's removal of such a note can leave stray tags only the reference reproduces.
                raise _Decline
        self._blocks(tree.children, (), 0, 0)
        first_html, first_plain = self.first_paragraph or ("", "")
        return finish("".join(self.out), first_html, first_plain, self.toc, self.links, self.images,
                      self.passages, self.comments)

    # -- positions ---------------------------------------------------------------------------------------

    def _line_col(self, offset: int) -> tuple[int, int]:
        """0-based line and character column of a byte offset."""
        line = bisect_right(self.starts, offset) - 1
        start = self.starts[line]
        if self.ascii:
            return line, offset - start
        try:
            return line, len(self.raw[start:offset].decode())
        except UnicodeDecodeError:
            raise _Decline from None

    @staticmethod
    def _span(node) -> tuple[int, int]:
        if node.srcmap is None:
            raise _Decline
        return node.srcmap

    def _line_of(self, offset: int) -> int:
        """0-based line of a byte offset (which may fall inside a character)."""
        return bisect_right(self.starts, offset) - 1

    def _last_line(self, node) -> int:
        start, end = self._span(node)
        return self._line_of(max(start, end - 1))

    # -- rendering helpers (markdown-it-py's renderToken) ------------------------------------------------

    def _open(self, html: str) -> None:
        """A block's opening tag; after a hidden paragraph markdown-it-py puts a newline first."""
        if self.after_hidden:
            self.out.append("\n")
            self.after_hidden = False
        self.out.append(html)

    def _put(self, html: str) -> None:
        """Closing tags and blocks with their own render rule (code, raw HTML): no newline first."""
        self.after_hidden = False
        self.out.append(html)

    # -- blocks ------------------------------------------------------------------------------------------

    def _blocks(self, nodes, ctx: tuple, quotes: int, lists: int) -> None:
        """`ctx` is the container stack, outermost first: ("q",) a quote, ("l", n) a list item whose content
        starts at column n."""
        previous = None
        for node in nodes:
            name = node.name
            if (name == "table" and previous is not None and previous.name in ("blockquote", "bullet_list",
                                                                                 "ordered_list")
                    and self._line_of(self._span(node)[0]) == self._last_line(previous) + 1):
                raise _Decline  # markdown-it-py reads these rows as the quote's or item's lazy lines
            previous = node
            if (name in ("code_block", "fence") and not self.body.endswith("\n")
                    and self._last_line(node) >= len(self.lines) - 1):
                raise _Decline  # code running to the end of a body without a final newline
            if ctx and name in ("code_block", "fence", "html_block") and any(
                    "\t" in line for line in self.lines[self._line_of(self._span(node)[0]):self._last_line(node) + 1]):
                raise _Decline  # a tab in a quote or list: the port expands it into spaces, the reference keeps it
            if name == "paragraph":
                span = node.srcmap
                if span is None:
                    raise _Decline
                start, end = span
                starts = self.starts
                is_first = self.first_paragraph is None and not (quotes or lists or self.in_footnote)
                out = self.out
                if self.after_hidden:
                    out.append("\n")
                    self.after_hidden = False
                out.append("<p>")
                mark = len(out) - 1
                plain = self._inline(node.children, "footnote" if self.in_footnote else "list" if lists else "paragraph",
                                     quotes > 0, start, bisect_right(starts, max(start, end - 1)) - 1, ctx,
                                     want_plain=is_first, line0=bisect_right(starts, start) - 1)
                out.append("</p>\n")
                if is_first:
                    self.first_paragraph = ("<p>" + "".join(self.out[mark + 1:]), plain)
            elif name in ("heading", "lheading"):
                self._heading(node, ctx, quotes)
            elif name == "blockquote":
                shown = any(c.name != "definition" for c in node.children)
                self._open("<blockquote>\n" if shown else "<blockquote>")
                self._blocks(node.children, ctx + (("q",),), quotes + 1, lists)
                self._put("</blockquote>\n")
            elif name in ("bullet_list", "ordered_list"):
                if name == "bullet_list":
                    tag, opening = "ul", "<ul>\n"
                else:
                    start = node.meta.get("start", 1)
                    tag, opening = "ol", "<ol>\n" if start == 1 else f'<ol start="{start}">\n'
                self._open(opening)
                for item in node.children:
                    if item.name != "list_item":
                        raise _Decline
                    self._list_item(item, ctx, quotes, lists + 1)
                self._put(f"</{tag}>\n")
            elif name == "table":
                self._table(node, ctx, quotes)
            elif name == "fence":
                self._fence(node)
            elif name == "code_block":
                self._put(f"<pre><code>{_escape(node.meta.get('content', ''))}</code></pre>\n")
            elif name == "html_block":
                content = node.meta.get("content", "")
                if not self.body.endswith("\n") and self._last_line(node) == len(self.lines) - 1:
                    content = content[:-1] if content.endswith("\n") else content
                self._put(content)
                if "<!--" in content:
                    line = self._line_of(self._span(node)[0]) + self.first_line
                    self.comments += ((line + content.count("\n", 0, m.start()), m.group(1))
                                      for m in _COMMENT.finditer(content))
            elif name == "hr":
                self._open("<hr />\n")
            elif name == "definition":
                pass  # link reference definitions render nothing
            elif name == "footnote_container" and not ctx and node is nodes[-1]:
                self._footnotes(node)
            else:
                raise _Decline

    def _kind(self, kind: str) -> str:
        return "footnote" if self.in_footnote else kind

    def _footnotes(self, container) -> None:
        """markdown-it-py's footnote_tail and renderer: referenced notes in the order of first reference,
        each with one back link per reference."""
        defs = {}
        for note in container.children:
            label = note.meta.get("label", "")
            start, _ = self._span(note)
            line, col = self._line_col(start)
            blocks = [c for c in note.children if c.name != "footnote_ref_anchor"]  # the port's back links
            if note.name != "footnote_def" or label in defs or col != 0 or not blocks \
                    or blocks[-1].name == "definition" or _has_note_ref(note):
                raise _Decline  # a note within a note is numbered where it stands, not at the end
            defs[label] = blocks
        if not self.note_ids:
            return
        self._put('<hr class="footnotes-sep" />\n<section class="footnotes">\n<ol class="footnotes-list">\n')
        self.in_footnote = True
        for label, n in sorted(self.note_ids.items(), key=lambda item: item[1]):
            blocks = defs.get(label)
            if blocks is None:
                raise _Decline
            self._put(f'<li id="fn{n + 1}" class="footnote-item">')
            self._blocks(blocks, (("l", 4),), 0, 0)
            anchors = "".join(f' <a href="#fnref{n + 1}{f":{j}" if j else ""}" class="footnote-backref">\u21a9\ufe0e</a>'
                              for j in range(max(1, self.note_refs[label])))
            if blocks[-1].name == "paragraph":
                self.out.insert(len(self.out) - 1, anchors)  # inside its last paragraph, before </p>
            else:
                self.out.append(anchors)
            self._put("</li>\n")
        self.in_footnote = False
        self._put("</ol>\n</section>\n")

    def _list_item(self, item, ctx: tuple, quotes: int, lists: int) -> None:
        children = list(item.children)
        names = [c.name for c in children]
        shown = [name for name in names if name != "definition"]  # definitions render nothing
        if not shown:
            self._open("<li>")
            self._put("</li>\n")
            return
        span = self._span(item)
        item_line, indent = self._item_content(span[0])
        tight = shown[0] not in _BLOCKS
        self._open("<li>" if tight else "<li>\n")
        ctx = ctx + (("l", indent),)
        k = 0
        while k < len(children):
            if names[k] in _BLOCKS:
                self._blocks([children[k]], ctx, quotes, lists)
                k += 1
                continue
            # A tight list hides its paragraphs: a run of inline nodes is one paragraph, rendered bare.
            j = k
            while j < len(children) and names[j] not in _BLOCKS:
                j += 1
            # Inline nodes' own source maps are not reliable; the paragraph starts where the item's text does,
            # or on the line after the block before it.
            if k == 0:
                first = item_line
                start = self.starts[first] + (indent if self.ascii else len(self.lines[first][:indent].encode()))
            else:
                first = self._last_line(children[k - 1]) + 1
                if first >= len(self.lines):
                    raise _Decline
                start = self.starts[first]
                kinds = {c[0] for c in ctx}
                col = self._prefix(self.lines[first], ctx, kinds)
                start += col if self.ascii else len(self.lines[first][:col].encode())
            last = (self._line_of(self._span(children[j])[0]) - 1 if j < len(children)
                    else self._line_of(max(span[0], span[1] - 1)))
            while last > first and not self.lines[last].strip(_TRIM):
                last -= 1
            if self.after_hidden:  # two hidden paragraphs in a row: no tag between them to take the newline
                raise _Decline
            self._inline(children[k:j], "footnote" if self.in_footnote else "list", quotes > 0, start, last, ctx,
                         line0=first)
            self.after_hidden = True
            k = j
        self._put("</li>\n")

    def _item_content(self, start: int) -> tuple[int, int]:
        """The line of a list item's marker (at byte offset `start`) and the column where its text starts
        (its content indent)."""
        line, pos = self._line_col(start)
        text = self.lines[line]
        if pos < len(text) and text[pos] in "-+*":
            pos += 1
        else:
            while pos < len(text) and text[pos].isdigit() and text[pos].isascii():
                pos += 1
            if pos >= len(text) or text[pos] not in ".)":
                raise _Decline
            pos += 1
        spaces = len(text) - pos - len(text[pos:].lstrip(" "))
        if spaces == 0 or pos + spaces >= len(text) or text[pos + spaces] == "\t":
            raise _Decline  # an empty first line, or a tab: the indent is not simply where the text starts
        return line, pos + 1 if spaces > 4 else pos + spaces

    def _table(self, table, ctx: tuple, quotes: int) -> None:
        head = self._line_of(self._span(table)[0])
        if head + 1 >= len(self.lines) or "|" not in self.lines[head] or "|" not in self.lines[head + 1]:
            raise _Decline  # markdown-it-py wants pipes in the header and delimiter rows
        aligns = [_ALIGN.get(a, "") for a in table.meta.get("alignments", [])]
        self._open("<table>\n")
        for part in table.children:
            if part.name not in ("thead", "tbody"):
                raise _Decline
            cell_tag = "th" if part.name == "thead" else "td"
            self._put(f"<{part.name}>\n")
            for row in part.children:
                self._put("<tr>\n")
                for n, cell in enumerate(row.children):
                    start, end = self._span(cell)
                    line, _ = self._line_col(start)
                    if "\\|" in self.lines[line]:
                        raise _Decline  # the reference keeps the backslash in the cell's source
                    raw = self.raw[start:end].decode()
                    if _odd_edges(raw):
                        raise _Decline
                    raw = raw.strip(_TRIM)
                    self._put(f"<{cell_tag}{aligns[n] if n < len(aligns) else ''}>")
                    self._inline(cell.children, self._kind("table"), quotes > 0, start, line, ctx, raw=raw)
                    self._put(f"</{cell_tag}>\n")
                self._put("</tr>\n")
            self._put(f"</{part.name}>\n")
        self._put("</table>\n")

    def _fence(self, node) -> None:
        info = node.meta.get("info", "")
        if "\\" in info or "&" in info:
            raise _Decline  # the reference unescapes the info string first
        info = info.strip(_TRIM)
        content = node.meta.get("content", "")
        lang = info.split()[0] if info else ""
        highlighted = _highlight(content, lang, "") if lang else ""
        if highlighted:  # markdown-it-py's fence rule: highlighted code stands as it is
            self._put(highlighted + "\n")
        elif info:
            self._put(f'<pre><code class="{_escape("language-" + lang)}">{_escape(content)}</code></pre>\n')
        else:
            self._put(f"<pre><code>{_escape(content)}</code></pre>\n")

    def _heading(self, node, ctx: tuple, quotes: int) -> None:
        start, _ = self._span(node)
        line, col = self._line_col(start)
        level = int(node.meta["level"])
        if node.name == "heading":
            raw, last = self._atx_content(self.lines[line], col), line
        else:  # setext: the text's lines, without the underline
            raw, last = None, self._last_line(node) - 1
        self._open(f"<h{level}")
        mark = len(self.out) - 1
        text = self._inline(node.children, "heading", quotes > 0, start, last, ctx, raw=raw, line0=line)
        base = heading_slug(text)
        count = self.used_ids.get(base, 0)
        self.used_ids[base] = count + 1
        hid = base if count == 0 else f"{base}-{count}"
        self.out[mark] += f' id="{_escape(hid)}">'
        self.toc.append(_toc_entry(level, hid, text, line + self.first_line))
        self._put(heading_anchor(hid, text, f"h{level}"))

    @staticmethod
    def _atx_content(line: str, col: int) -> str:
        """markdown-it-py's heading rule on one line: the text between the #s and an optional closing run."""
        pos = col
        if pos >= len(line) or line[pos] != "#":
            raise _Decline
        while pos < len(line) and line[pos] == "#":
            pos += 1
        end = len(line)
        while end > pos and line[end - 1] in " \t":
            end -= 1
        tmp = end
        while tmp > pos and line[tmp - 1] == "#":
            tmp -= 1
        if tmp > pos and line[tmp - 1] in " \t":
            end = tmp
        if _odd_edges(line[pos:end]):
            raise _Decline
        return line[pos:end].strip(_TRIM)

    # -- one block's inline content ----------------------------------------------------------------------

    def _raw(self, start: int, last: int, ctx: tuple, first: int) -> str:
        """The block's Markdown source as markdown-it-py's getLines gives it: container markers removed.
        `first` is the line of byte offset `start`."""
        if self.ascii:
            col = start - self.starts[first]
        else:
            col = self._line_col(start)[1]
        if last == first and self.plain_spaces:  # one line (most blocks): the tests below, once
            text = self.lines[first][col:]
            if not text.strip():
                raise _Decline
            raw = text.strip(_TRIM)
            if raw.startswith("[") and "]:" in raw:
                raise _Decline
            return raw
        out = [self.lines[first][col:]]
        if last > first:
            kinds = {c[0] for c in ctx}
            for n in range(first + 1, last + 1):
                out.append(self.lines[n][self._prefix(self.lines[n], ctx, kinds):])
        plain = self.plain_spaces
        for n, text in enumerate(out):
            if (not plain and _odd_edges(text)) or not text.strip():
                raise _Decline  # lines blank to Python but not to CommonMark
            if n and text.lstrip(" ").startswith("[^"):
                raise _Decline  # a footnote definition interrupts a paragraph in markdown-it-py only
        raw = "\n".join(out).strip(_TRIM)
        if raw.startswith("[") and "]:" in raw:
            raise _Decline  # what may be a link reference definition: the parsers' edge cases differ
        return raw

    @staticmethod
    def _prefix(line: str, ctx: tuple, kinds: set) -> int:
        """How many characters of a continuation line belong to the containers around the block."""
        if not ctx:
            return 0
        if kinds == {"q"}:
            pos = 0
            for _ in ctx:
                at = pos
                while at < len(line) and at - pos < 3 and line[at] == " ":
                    at += 1
                if at < len(line) and line[at] == ">":
                    pos = at + 1
                    if pos < len(line) and line[pos] == "\t":
                        raise _Decline
                    if pos < len(line) and line[pos] == " ":
                        pos += 1
                else:  # a lazy continuation line keeps its text whole
                    if line[pos:].lstrip(" ")[:1] in _BLOCK_STARTS:
                        raise _Decline  # whether it starts a block there, the two parsers disagree
                    break
            return pos
        if kinds == {"l"}:
            spaces = len(line) - len(line.lstrip(" "))
            if spaces < ctx[-1][1] and line[spaces:spaces + 1] in _BLOCK_STARTS:
                raise _Decline
            return min(spaces, ctx[-1][1])
        raise _Decline  # a multi-line block inside both a quote and a list

    def _inline(self, children, kind: str, quoted: bool, start: int, last: int, ctx: tuple,
                raw: str | None = None, want_plain: bool = False, line0: int | None = None) -> str:
        """`line0`, if given, is the line of byte offset `start`."""
        if line0 is None:
            line0 = bisect_right(self.starts, start) - 1
        if raw is None:
            raw = self._raw(start, last, ctx, line0)
        if "~~~" in raw:
            raise _Decline  # runs of three or more tildes: the strikethrough rules differ
        if ('"' not in raw and not (self.abbr and "(" in raw and SCOPED_ABBR_RE.search(raw))
                and not (self.rare and RARE_RE.search(raw))
                and ("'" not in raw or "'" not in _MID_WORD_QUOTE.sub("\u2019", raw))):
            # No typography beyond apostrophes inside words: render straight from the tree.
            plain = self._direct(children, kind, quoted, raw, line0, want_plain or kind == "heading")
            if plain is not None:
                return plain
        flat: list[_Tok] = []
        self._flat(children, 0, flat)
        # markdown-it-py's core rules, in its order, on the same tokens, where its own tests would let them
        # run (a block's source is a part of the body's lines, so what the body lacks, no block holds).
        if self.abbr and "(" in raw and SCOPED_ABBR_RE.search(raw):
            from markdown_it.rules_core.replacements import replace_scoped

            replace_scoped(flat)
        if self.rare and RARE_RE.search(raw):
            from markdown_it.rules_core.replacements import replace_rare

            replace_rare(flat)
        if "'" in raw or '"' in raw:  # QUOTE_RE
            _smartquotes(flat)
        line = line0 + self.first_line
        visible = []
        out = self.out
        at = line
        for j, tok in enumerate(flat):
            t = tok.type
            if t == "text" or t == "text_special":
                content = tok.content
                visible.append(content)
                # _escape, inlined for the commonest token
                out.append(content.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                           .replace('"', "&quot;"))
            elif t == "softbreak":
                visible.append("\n")
                out.append("\n")
                at += 1
            elif t == "hardbreak":
                visible.append("\n")
                out.append("<br />\n")
                at += 1
            elif t == "code_inline":
                visible.append(" ")
                out.append(f"<code>{_escape(tok.content)}</code>")
            elif t == "html_inline":
                out.append(tok.content)
                if "<!--" in tok.content:
                    self.comments += ((at, m.group(1)) for m in _COMMENT.finditer(tok.content))
            elif t == "open" or t == "close" or t == "footnote_ref":
                out.append(tok.info)
            elif t == "link_open":
                text = ""
                for nxt in flat[j + 1:]:
                    if nxt.type == "link_close":
                        break
                    text += nxt.content
                self.links.append(_link(tok.url, text, at))
                out.append(f'<a href="{_escape(self._target(tok.url))}"'
                           + (f' title="{_escape(tok.title)}"' if tok.title else "") + ">")
            elif t == "link_close":
                out.append("</a>")
            elif t == "image":
                visible.append(" ")
                self.images.append(ImageRef(tok.url, tok.content, at))
                out.append(f'<img src="{_escape(self._target(tok.url))}" alt="{_escape(_alt(tok.node.children))}"'
                           + (f' title="{_escape(tok.title)}"' if tok.title else "") + " />")
        self.after_hidden = False
        self.passages.append(_passage("".join(visible), line, kind, quoted, raw, _columns_at(line0, raw, self.lines)))
        return _plain(flat) if want_plain or kind == "heading" else ""

    def _direct(self, children, kind: str, quoted: bool, raw: str, line0: int, want_plain: bool) -> str | None:
        """`_inline` for a block that smartquotes and the replacements leave alone, save for the apostrophes
        inside words it curls: the nodes render as they are walked, without the flat token list. Returns
        None (having undone what it did) if a text keeps a quote that smartquotes would have to place."""
        out = self.out
        marks = (len(out), len(self.links), len(self.images), len(self.comments))
        notes = (dict(self.note_ids), dict(self.note_refs)) if self.note_ids or "[^" in raw else None
        line = line0 + self.first_line
        self.at = line
        visible: list[str] = []
        plain: list[str] | None = [] if want_plain else None
        # Without these characters in the block, no text in it needs escaping, holds a backtick or a quote.
        clean = not ("&" in raw or "<" in raw or ">" in raw or "`" in raw or "'" in raw)
        try:
            self._emit(children, visible, plain, clean)
        except _Typography:
            del out[marks[0]:], self.links[marks[1]:], self.images[marks[2]:], self.comments[marks[3]:]
            if notes is not None:
                self.note_ids, self.note_refs = notes
            return None
        self.after_hidden = False
        self.passages.append(_passage("".join(visible), line, kind, quoted, raw, _columns_at(line0, raw, self.lines)))
        return "".join(plain).strip() if plain is not None else ""

    def _emit(self, children, visible: list[str], plain: list[str] | None, clean: bool) -> None:
        """Render inline nodes into `self.out` as `_flat` and `_inline`'s loop would (no typography to run),
        with their visible text, and their plain text if `plain` is a list."""
        out = self.out
        for node in children:
            name = node.name
            if name == "text" and clean:
                content = node.meta["content"]
                visible.append(content)
                out.append(content)
                if plain is not None:
                    plain.append(content)
            elif name == "text":
                content = node.meta["content"]
                if "`" in content:
                    raise _Decline  # a backtick left as text: the port misses code spans after a failed "["
                if "'" in content:
                    content = _MID_WORD_QUOTE.sub("\u2019", content)
                    if "'" in content:
                        raise _Typography
                visible.append(content)
                if plain is not None:
                    plain.append(content)
                out.append(content.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                           .replace('"', "&quot;"))
            elif name in _OPENING:
                out.append(_OPENING[name])
                self._emit(node.children, visible, plain, clean)
                out.append(_CLOSING[name])
            elif name == "link" or name == "autolink":
                meta = node.meta
                url, title = meta.get("url", ""), meta.get("title")
                kids = node.children
                if name == "autolink" and any("'" in kid.meta.get("content", "") for kid in kids):
                    raise _Typography  # its text_special children count as text to smartquotes
                out.append(f'<a href="{_escape(self._target(url))}"'
                           + (f' title="{_escape(title)}"' if title else "") + ">")
                if len(kids) == 1 and kids[0].name == "text":  # most links: one text, the link's text
                    self._emit(kids, visible, plain, clean)  # (which moves no line on)
                    self.links.append(_link(url, visible[-1], self.at))  # no link holds another: order kept
                else:
                    self.links.append(_link(url, self._link_text(kids), self.at))
                    self._emit(kids, visible, plain, clean)
                out.append("</a>")
            elif name == "softbreak" or name == "hardbreak":
                visible.append("\n")
                if plain is not None:
                    plain.append(" ")
                out.append("\n" if name == "softbreak" else "<br />\n")
                self.at += 1
            elif name == "code_inline":
                code = "".join([c.meta.get("content", "") for c in node.children])
                if not code.strip(" "):
                    raise _Decline  # a code span of spaces only keeps them all in CommonMark
                visible.append(" ")
                if plain is not None:
                    plain.append(code)
                out.append(f"<code>{_escape(code)}</code>")
            elif name == "text_special":
                content = node.meta.get("content", "")
                visible.append(content)
                if plain is not None:
                    plain.append(content)
                out.append(_escape(content))
            elif name == "html_inline":
                content = node.meta.get("content", "")
                out.append(content)
                if "<!--" in content:
                    self.comments += ((self.at, m.group(1)) for m in _COMMENT.finditer(content))
            elif name == "image":
                meta = node.meta
                url, title = meta.get("url", ""), meta.get("title")
                visible.append(" ")
                self.images.append(ImageRef(url, self._image_label(node), self.at))
                out.append(f'<img src="{_escape(self._target(url))}" alt="{_escape(_alt(node.children))}"'
                           + (f' title="{_escape(title)}"' if title else "") + " />")
            elif name == "footnote_ref":
                out.append(self._note_ref(node))
            elif name == "footnote_ref_anchor":
                pass  # the port's back links; giving writes markdown-it-py's in _footnotes
            else:
                raise _Decline

    def _link_text(self, children) -> str:
        """What markdown-it-py's link text is made of: the content of the tokens between link_open and
        link_close (text with apostrophes curled, code, raw HTML, image labels)."""
        out = []
        for node in children:
            name = node.name
            if name == "text":
                out.append(_MID_WORD_QUOTE.sub("\u2019", node.meta["content"]))
            elif name == "text_special" or name == "html_inline":
                out.append(node.meta.get("content", ""))
            elif name == "code_inline":
                out.append("".join(c.meta.get("content", "") for c in node.children))
            elif name == "image":
                out.append(self._image_label(node))
            elif name in _OPENING or name == "link" or name == "autolink":
                out.append(self._link_text(node.children))
        return "".join(out)

    def _note_ref(self, node) -> str:
        """A footnote reference's HTML, numbered as markdown-it-py numbers it."""
        label = node.meta.get("label", "")
        if self.in_footnote or not label.isascii() or label.lower() != label:
            raise _Decline  # a note within a note, or labels the two parsers may match differently
        n = self.note_ids.setdefault(label, len(self.note_ids)) + 1
        sub = self.note_refs.get(label, 0)
        self.note_refs[label] = sub + 1
        ref = f"{n}:{sub}" if sub else f"{n}"
        return f'<sup class="footnote-ref"><a href="#fn{n}" id="fnref{ref}">[{ref}]</a></sup>'

    def _target(self, url: str) -> str:
        """A local link or image target becomes a marker that site.assemble resolves."""
        return MARK_OPEN + _resolve(self.source, url) + MARK_CLOSE if _is_local(url) else url

    def _flat(self, children, level: int, out: list[_Tok]) -> None:
        """The inline nodes as markdown-it-py's flat token list, before its text_join."""
        append = out.append
        for node in children:
            name = node.name
            if name == "text":
                content = node.meta["content"]
                if "`" in content:
                    raise _Decline  # a backtick left as text: the port misses code spans after a failed "["
                append(_Tok(name, content, level))
            elif name == "softbreak" or name == "hardbreak":
                out.append(_Tok(name, "", level))
            elif name == "code_inline":
                code = "".join(c.meta.get("content", "") for c in node.children)
                if not code.strip(" "):
                    raise _Decline  # a code span of spaces only keeps them all in CommonMark
                out.append(_Tok("code_inline", code, level))
            elif name == "text_special" or name == "html_inline":
                out.append(_Tok(name, node.meta.get("content", ""), level))
            elif name == "image":
                meta = node.meta
                out.append(_Tok("image", self._image_label(node), level, node, "", meta.get("url", ""),
                                meta.get("title")))
            elif name == "link" or name == "autolink":
                meta = node.meta
                info = "auto" if name == "autolink" else ""
                out.append(_Tok("link_open", "", level, None, info, meta.get("url", ""), meta.get("title")))
                first = len(out)
                self._flat(node.children, level + 1, out)
                if info:  # markdown-it-py's autolink text is a text token, which smartquotes reads
                    for tok in out[first:]:
                        if tok.type == "text_special":
                            tok.type = "text"
                out.append(_Tok("link_close", "", level, None, info))
            elif name == "footnote_ref":
                out.append(_Tok("footnote_ref", "", level, None, self._note_ref(node)))
            elif name == "footnote_ref_anchor":
                pass  # the port's back links; giving writes markdown-it-py's in _footnotes
            elif name in _OPENING:
                append(_Tok("open", "", level, None, _OPENING[name]))
                self._flat(node.children, level + 1, out)
                append(_Tok("close", "", level, None, _CLOSING[name]))
            else:
                raise _Decline

    def _image_label(self, node) -> str:
        """The source between ![ and ], which markdown-it-py keeps as the image token's content."""
        start, _ = self._span(node)
        if self.raw[start:start + 2] != b"![":
            raise _Decline
        kids = node.children
        if not kids:
            end = start + 2
        else:
            if self._span(kids[0])[0] != start + 2:
                raise _Decline
            end = self._span(kids[-1])[1]
        if self.raw[end:end + 1] != b"]":
            raise _Decline
        try:
            return self.raw[start + 2:end].decode()
        except UnicodeDecodeError:
            raise _Decline from None


def _unclosed_code_after_bracket(body: str) -> bool:
    """Could a backtick run after a "[" find no closing run in its block? Then markdown-it-pyrs 0.4 can
    panic: its code span scanner marks the block as scanned and a second look at a run (when a link label
    is scanned, then the text again) indexes past its cache, and the panic prints a Rust backtrace into the
    author's build before giving falls back. So this errs on the safe side. Runs are paired line by line
    as the scanner pairs them (each with the next run of its length); a "|" (a table cell's end) stops a
    pair. A run left unpaired, a backslash before a backtick, or a backtick that raw HTML or an autolink
    may hide makes the rest of the paragraph uncertain: any "[" before a backtick there is unsafe. Fenced
    code is skipped, except where raw HTML or a link definition may hold a line that only looks like a
    fence."""
    first = body.find("[")
    if first < 0 or body.find("`", first) < 0:
        return False
    fences = True  # fence-like lines are fences (till one may be a line of HTML instead)
    fence = ""
    long_html = ""  # the end marker of the HTML block (comment, <pre>, ...) the line is in
    html = False  # in what may be an HTML block or a link definition, which a blank line ends
    tables = "|" in body and bool(_DELIMITER_ROW.search(body))
    bracket = False  # a "[" came earlier in the body
    uncertain = False  # the pairing of this paragraph's runs may be off
    for line in body.split("\n"):
        if fence:
            close = _FENCE_CLOSE.fullmatch(line)
            if close and close.group(1)[0] == fence[0] and len(close.group(1)) >= len(fence):
                fence = ""
            continue
        if long_html:
            if long_html in line.lower():
                long_html = ""
            continue
        if line[:1] in " \t<[`~":  # may be blank or start a block ("" is in every string); most lines do not
            text = line.lstrip(" ")
            if not text.strip(" \t"):  # blank to CommonMark (a no-break space is not)
                uncertain = html = False  # a blank line ends a paragraph, and code spans with it
                continue
            head = text[0] if len(line) - len(text) < 4 else ""  # what a block that can start here starts with
            if fences and head in ("<", "[") and _HTML_OR_DEFINITION.match(line):
                long = _LONG_HTML.match(line)
                end = _html_end(long.group(2)) if long else ""
                if not long:
                    html = True
                elif end in line[long.end():].lower():
                    pass  # a comment or the like that ends on its line: so does its block
                elif not long.group(1):
                    # At the line's start it cannot be in a list or a quote: its block runs to the end marker.
                    long_html = end
                    continue
                else:  # may be in a list item, which can end before the end marker does
                    fences = False
            if fences and head in ("`", "~"):
                opening = _FENCE_OPEN.match(line)
                if opening and not (opening.group(1)[0] == "`" and "`" in line[opening.end():]):
                    if html:  # a fence, or a line of HTML: from here on, which lines are code is unclear
                        fences = False
                    else:
                        fence = opening.group(1)
                        continue
        if "`" in line:
            if "\\`" in line or _hides_backticks(line):
                uncertain = True
            else:
                offset = 0
                for segment in line.split("|") if tables else (line,):
                    if "``" not in segment:  # single backticks only (most code spans): each pairs with the next
                        if segment.count("`") % 2:
                            if bracket or "[" in line[:offset + segment.rfind("`")]:
                                return True
                            uncertain = True
                        offset += len(segment) + 1
                        continue
                    runs = [(m.start() + offset, len(m.group())) for m in _BACKTICKS.finditer(segment)]
                    offset += len(segment) + 1
                    lengths = [n for _, n in runs]
                    k = 0
                    while k < len(runs):
                        try:
                            k = lengths.index(lengths[k], k + 1) + 1
                        except ValueError:
                            if bracket or "[" in line[:runs[k][0]]:
                                return True
                            uncertain = True
                            k += 1
            if uncertain and (bracket or "[" in line):
                return True
        bracket = bracket or "[" in line
    return False


def _html_end(kind: str) -> str:
    """The end marker of a long HTML block that starts with "<" + `kind`."""
    kind = kind.lower()
    if kind == "?":
        return "?>"
    if kind == "!--":
        return "-->"
    if kind == "![cdata[":
        return "]]>"
    if kind[0] == "!":
        return ">"
    return f"</{kind}>"


def _hides_backticks(line: str) -> bool:
    """May raw HTML or an autolink on this line hold a backtick (one not open and closed on the line may)?"""
    for m in _MAY_HIDE.finditer(line):
        end = line.find(">", m.start())
        if end < 0 or "`" in line[m.start():end]:
            return True
    return False


def _symbol_beside_delimiter(body: str) -> bool:
    """Does a Unicode symbol (category S*) stand right beside a `*`, `_` or `~`? (Delimiters are few, and
    `str.find` skips to each far quicker than a regex with no literal prefix scans.)"""
    for mark in "*_~":
        at = body.find(mark)
        while at >= 0:
            for c in (body[at - 1] if at else "", body[at + 1:at + 2]):
                if c and not c.isascii() and unicodedata.category(c)[0] == "S":
                    return True
            at = body.find(mark, at + 1)
    return False


def _smartquotes(flat: list[_Tok]) -> None:
    """markdown-it-py's smartquotes on the flat tokens, with its commonest case done first in one pass: a
    ' between two letters or digits of one text token. To smartquotes that is the middle of a word (its
    neighbours are neither white space nor punctuation), so it becomes an apostrophe whatever else the
    block holds, and as both marks count as punctuation, the change alters nothing smartquotes decides
    about the other quotes. Only if quotes are left does the whole algorithm run."""
    left = False
    for tok in flat:
        if tok.type == "text":
            content = tok.content
            if "'" in content:
                content = tok.content = _MID_WORD_QUOTE.sub("\u2019", content)
            left = left or "'" in content or '"' in content
    if left:
        from markdown_it.rules_core.smartquotes import process_inlines

        process_inlines(flat, _State)


def _has_note_ref(node) -> bool:
    return any(c.name == "footnote_ref" or _has_note_ref(c) for c in node.children)


def _odd_edges(text: str) -> bool:
    """Whitespace other than plain spaces at either end (tabs, no-break spaces): trimmed differently."""
    inner = text.strip(" ")
    return bool(inner) and (inner[0].isspace() or inner[-1].isspace())


def _alt(children) -> str:
    """markdown-it-py's renderInlineAsText over an image's own (untouched by typography) children."""
    out = []
    for node in children:
        name = node.name
        if name in ("text", "text_special", "html_inline"):
            out.append(node.meta.get("content", ""))
        elif name == "code_inline":
            out.append("".join(c.meta.get("content", "") for c in node.children))
        elif name in ("softbreak", "hardbreak"):
            out.append("\n")
        elif name == "image" or name in _INLINE_TAGS or name in ("link", "autolink"):
            out.append(_alt(node.children))
        else:
            raise _Decline
    return "".join(out)


def _plain(flat: list[_Tok]) -> str:
    """markdown._plain: text and code, breaks as spaces (a heading's text, the first paragraph's)."""
    return "".join(t.content if t.type in ("text", "text_special", "code_inline")
                   else " " if t.type in ("softbreak", "hardbreak") else "" for t in flat).strip()
