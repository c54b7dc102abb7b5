"""`credit`: a post that links to no one else's work and names no source (info), and a long quotation
(a blockquote, or quoted words inside a paragraph) with no source beside it (a warning: it takes
someone's words without saying whose). A severity set for `credit` in site.toml or front matter applies
to both.

A source is a link, a footnote, an attribution line in the blockquote ("— Ursula K. Le Guin"), or words
of attribution next to the quotation ("wrote", "said", "according to", "via", "thanks to"...).
"""

from __future__ import annotations

import re
from itertools import compress
from operator import attrgetter, ne
from typing import Iterator
from urllib.parse import urlsplit

from generator.checks.prose import WORD, Block, analyse, author_voice, position, quoted_spans
from generator.checks.registry import CheckFinding, rule
from generator.checks.settings import Settings
from generator.model import Post

ATTRIBUTION = re.compile(
    r"\b(?:writes|wrote|written by|says|said|puts it|put it|argues|argued|observes|observed|notes|noted|"
    r"recalls|recalled|explains|explained|asked|quips|quipped|according to|in (?:his|her|their) "
    r"(?:book|essay|post|letter|talk)|quoted|via|thanks to|credit(?:ed)? to|h/t|hat tip|courtesy of|source)\b",
    re.IGNORECASE,
)
_ATTRIBUTION_LINE = re.compile(r"^\s*(?:[—―–~]|--|-\s)\s*\S")
_PASSAGE, _VOICE = attrgetter("passage"), attrgetter("voice")
_KIND, _QUOTED, _TEXT = attrgetter("kind"), attrgetter("quoted"), attrgetter("text")


def _external(href: str, base_url: str) -> bool:
    parts = urlsplit(href)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return False
    own = urlsplit(base_url).netloc.lower()
    return parts.netloc.lower() != own


def _lines(block: Block) -> range:
    return range(block.passage.line, block.passage.line + max(1, len(block.passage.cols)))


def _has_source(quote: list[Block], around: list[Block], link_lines: set[int]) -> bool:
    """A link or footnote in or next to the quotation, an attribution line inside it ("— Name"), or
    words of attribution in the author's paragraph before or after it."""
    for b in (*quote, *around):
        if any(line in link_lines for line in _lines(b)) or "[^" in b.passage.raw:
            return True
    if any(_ATTRIBUTION_LINE.match(line) for b in quote for line in b.passage.text.split("\n")):
        return True
    return any(ATTRIBUTION.search(b.voice) for b in around)


@rule("credit", "The post credits no one, or quotes at length without a source.", severity="info",
      kinds=("post",))
def credit(post: Post, settings: Settings) -> Iterator[CheckFinding]:
    prose = analyse(post.passages)
    link_lines = {link.line for link in post.links}
    blocks = list(prose.blocks)
    passages = list(map(_PASSAGE, blocks))
    footnotes = "footnote" in map(_KIND, passages)
    quoted = list(map(_QUOTED, passages))
    limit = settings.credit_quote_words

    # Blockquotes: consecutive quoted passages form one quotation.
    i = quoted.index(True) if True in quoted else len(blocks)  # (the first found in C)
    while i < len(blocks):
        if not blocks[i].passage.quoted:
            i += 1
            continue
        j = i
        while j + 1 < len(blocks) and blocks[j + 1].passage.quoted:
            j += 1
        quote = blocks[i:j + 1]
        words = sum(len(WORD.findall(b.passage.text)) for b in quote)
        around = blocks[max(0, i - 1):i] + blocks[j + 1:j + 2]
        if limit and words >= limit and not _has_source(quote, around, link_lines):
            first = quote[0].passage
            yield credit.rule.at(post.source, first.line, first.cols[0] if first.cols else 1,
                                 f"a blockquote of {words} words with no source; name or link whoever said it",
                                 "warning", words=words)
        i = j + 1

    # Long quotations inside the author's own paragraphs (a passage with nothing quoted is its own
    # voice: those are left out in C).
    for block in compress(blocks, map(ne, map(_TEXT, passages), map(_VOICE, blocks))) if limit else ():
        if block.passage.quoted:
            continue
        text = block.passage.text
        for start, end in quoted_spans(text):
            words = len(WORD.findall(text[start:end]))
            if words < limit:
                continue
            around = author_voice(text)
            if ATTRIBUTION.search(around) or any(line in link_lines for line in _lines(block)) or "[^" in \
                    block.passage.raw:
                continue
            line, col = position(block.passage, start, text[start:start + 1])
            yield credit.rule.at(post.source, line, col,
                                 f"a quotation of {words} words with no source; name or link whoever said it",
                                 "warning", words=words)

    if post.words < settings.min_words:
        return
    if footnotes or any(_external(link.href, settings.base_url) for link in post.links):
        return
    if ATTRIBUTION.search(prose.voice):
        return
    yield credit.rule.at(post.source, post.line_of("body"), 1,
                         "the post links to no one else's work and credits no one; where did its ideas "
                         "come from? Link to them")
