"""Reading prose the way an editor does: whose voice each word is in, its words, sentences, syllables,
and where in the Markdown source a piece of text sits.

The author's voice is a passage's text with quotations blanked out: text between paired quotation
marks within one paragraph (straight or curly, paired by the spacing around them rather than by the
direction they curl, so wrong-way and unbalanced marks in real-world text do no harm), URLs and
e-mail addresses written in the text, and whole blockquotes. Code, link targets, HTML comments and
front matter never reach a passage (see `generator.markdown`). Blanking keeps every offset, so a match in the author's text points at the source.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import accumulate, chain, compress, filterfalse, islice, repeat
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, NamedTuple

from generator.model import Passage, Post

DOUBLE_QUOTES = frozenset('"“”„‟«»')
SINGLE_QUOTES = frozenset("'‘’‚‛‹›ʼ")
APOSTROPHES = "'’ʼ‘"
_OPENING_PUNCT = frozenset("([{—–-/\u00a0")
_CLOSING_PUNCT = frozenset(".,;:!?)]}—–-/…")

WORD = re.compile(r"[^\W_]+(?:['’ʼ‘][^\W_]+)*")  # ‘ too: real text curls apostrophes the wrong way (I‘m)
SELF = frozenset("i me my mine myself we us our ours ourselves".split())
READER = frozenset("you your yours yourself yourselves y'all".split())
_CONTRACTION = frozenset(("m", "ve", "ll", "d", "re", "s"))


_MARK = re.compile("[" + re.escape("".join(sorted(DOUBLE_QUOTES | SINGLE_QUOTES))) + "]")
_ANY_QUOTE = _MARK


def _flanks(text: str, i: int) -> tuple[str, str]:
    return (text[i - 1] if i > 0 else " "), (text[i + 1] if i + 1 < len(text) else " ")


_LEFT = frozenset("“„«‘‚")  # marks whose shape says "opening" when spacing cannot tell (« French »)
_RIGHT = frozenset("”»’")


def _can_open(before: str, after: str) -> bool:
    return not after.isspace() and (before.isspace() or before in _OPENING_PUNCT
                                    or before in DOUBLE_QUOTES or before in SINGLE_QUOTES)


def _can_close(before: str, after: str) -> bool:
    return not before.isspace() and (after.isspace() or after in _CLOSING_PUNCT
                                     or after in DOUBLE_QUOTES or after in SINGLE_QUOTES)


def _pair(marks: list[tuple[int, bool, bool]], length: int, run_to_end: bool) -> list[tuple[int, int]]:
    """Spans [start, end) between paired marks (position, can open, can close). An opener left open
    runs to the end of the paragraph when `run_to_end` (a quotation continued into the next
    paragraph leaves its closing mark off)."""
    spans = []
    start = -1
    for i, opens, closes in marks:
        if start < 0:
            if opens:
                start = i
        elif closes:
            spans.append((start, i + 1))
            start = -1
    if start >= 0 and run_to_end:
        spans.append((start, length))
    return spans


def quoted_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of `text` that are quotations, double or single, merged and sorted.

    Marks pair by the spacing around them (an opener has a space or an opening bracket before it and
    a word after it), not by which way they curl. An apostrophe between letters (I’m, don't) is never
    a quotation mark; a single opener left open is an elision (’tis, ’90s) and quotes nothing.
    """
    doubles: list[tuple[int, bool, bool]] = []
    singles: list[tuple[int, bool, bool]] = []
    for m in _MARK.finditer(text):
        i = m.start()
        before, after = _flanks(text, i)
        ch = text[i]
        if before.isspace() and after.isspace():  # spaced on both sides: trust the shape, if any
            opens, closes = ch in _LEFT, ch in _RIGHT
        else:
            opens, closes = _can_open(before, after), _can_close(before, after)
        if ch in DOUBLE_QUOTES:
            doubles.append((i, opens, closes))
        elif not (before.isalnum() and after.isalnum()):
            singles.append((i, opens, closes))
    if not doubles and not singles:
        return []
    spans = sorted(_pair(doubles, len(text), True) + _pair(singles, len(text), False))
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


_NOT_NEWLINE = re.compile(r"[^\n]")


# A URL or e-mail address written out in prose (an autolink's text, a bare link) is an address, not
# words: "https://i.me/my/we" says nothing about the author. Trailing punctuation stays prose.
_URL = re.compile(r"(?:\b(?:https?|ftp)://|\bmailto:|\bwww\.)[^\s<>]*[^\s<>.,;:!?)\]\"'”’]"
                  r"|[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def url_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of URLs and e-mail addresses in `text`."""
    if "://" not in text and "www." not in text and "@" not in text and "mailto:" not in text:
        return []  # most paragraphs have none: skip the regex
    return [m.span() for m in _URL.finditer(text)]


def author_voice(text: str, quoted: bool = False) -> str:
    """`text` with every quotation, URL and e-mail address (and a blockquote entirely) blanked to
    spaces, newlines kept."""
    if quoted:
        return _NOT_NEWLINE.sub(" ", text)
    spans = quoted_spans(text)
    urls = url_spans(text)
    if urls:
        spans = sorted(spans + urls)
    if not spans:
        return text
    out, last = [], 0
    for start, end in spans:
        if end <= last:
            continue  # a URL inside a quotation already blanked
        start = max(start, last)
        out.append(text[last:start])
        out.append(_NOT_NEWLINE.sub(" ", text[start:end]))
        last = end
    out.append(text[last:])
    return "".join(out)


@lru_cache(maxsize=4096)
def pronoun(word: str) -> str | None:
    """"self" for I/me/we... (and I'm, we’ve), "reader" for you/your... (and you're), else None."""
    w = word.lower()
    if w in SELF:
        return "self"
    if w in READER:
        return "reader"
    for mark in APOSTROPHES:
        if mark in w:
            w = w.replace(mark, "'")
    if w in READER:  # y'all
        return "reader"
    head, sep, tail = w.partition("'")
    if sep and tail in _CONTRACTION and tail != "s":
        if head in ("i", "we"):
            return "self"
        if head == "you":
            return "reader"
    return None


# The same words as `pronoun` accepts, found in one regex pass (no Python loop over every word); a
# property test keeps the two in step. "'s" is not a contraction that counts (it's, let's).
_SELF_RE = "i|me|my|mine|myself|we|us|our|ours|ourselves"
_READER_RE = "you|your|yours|yourself|yourselves|y['’ʼ‘]all"
_PRONOUN_SOURCE = (
    r"(?<![^\W_])(?<![^\W_]['’ʼ‘])(?:(?P<self>" + _SELF_RE + r")|(?P<reader>" + _READER_RE + r"))"
    r"(?:(?<=\bi)['’ʼ‘](?:m|ve|ll|d)|(?<=we|ou)['’ʼ‘](?:ve|ll|d|re))?(?![^\W_])(?!['’ʼ‘][^\W_])"
)


@lru_cache(maxsize=2)
def pronoun_regex(lowered: bool = False) -> re.Pattern:
    """The pronoun pattern, for any case, or for lowered text (twice as fast as IGNORECASE). Compiled
    when first needed (only to point at a paragraph): compiling it costs a few ms per process."""
    return re.compile(_PRONOUN_SOURCE, 0 if lowered else re.IGNORECASE)


def __getattr__(name: str):
    if name == "PRONOUN":  # the pattern for any case, as a module attribute
        return pronoun_regex()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def pronouns(text: str) -> list[tuple[int, bool]]:
    """(offset, is I/we) of every pronoun in `text`."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return [(m.start(), m.lastgroup == "self") for m in pronoun_regex(True).finditer(lowered)]
    return [(m.start(), m.lastgroup == "self") for m in pronoun_regex().finditer(text)]


def first_self_pronoun(text: str) -> tuple[int, str]:
    """(offset, word) of the first I/we word `pronouns` finds in `text`, the word as the any-case
    pattern matches it there; (-1, "") when there is none. The rest of the text is not read, and
    the any-case pattern is not compiled when the lowered text tells: without İ, ı and ſ (the only
    letters matching an ASCII letter in any case without lowering to one), both match the same span."""
    lowered = text.lower()
    if len(lowered) == len(text):
        m = next((m for m in pronoun_regex(True).finditer(lowered) if m.lastgroup == "self"), None)
        if m is None:
            return -1, ""
        if "ı" in text or "ſ" in text or "İ" in text:
            word = pronoun_regex().match(text, m.start())
            return m.start(), word.group() if word else ""
        return m.start(), text[m.start():m.end()]
    m = next((m for m in pronoun_regex().finditer(text) if m.lastgroup == "self"), None)
    return (m.start(), m.group()) if m else (-1, "")


_TOKEN_COUNTS: dict[str, tuple[int, int]] = {}  # only the tokens that hold a pronoun
_HOLDS: dict[str, bool] = {}  # every token read so far: whether it is in _TOKEN_COUNTS


def lookup(table: dict, tokens: Iterable[str], learn: Callable[[str], Any], limit: int = 500_000) -> list:
    """`[table[t] for t in tokens]`, looked up in C: a token missing from `table` (KeyError) is added
    as `learn(token)` gives it, and the lookups go on after it (the values found before it are kept),
    so a post with a few new words costs a few exceptions, not a second pass. A table grown past
    `limit` is emptied first."""
    if len(table) > limit:
        table.clear()
    found: list = []
    rest = iter(tokens)
    get = table.__getitem__
    while True:
        try:
            found.extend(map(get, rest))
            return found
        except KeyError as missing:
            token = missing.args[0]
            table[token] = value = learn(token)
            found.append(value)


def _holds_pronoun(token: str) -> bool:
    """Whether `token` holds a pronoun, read with `pronoun` (its counts kept in _TOKEN_COUNTS)."""
    kinds = [pronoun(w) for w in WORD.findall(token)]
    me, you = kinds.count("self"), kinds.count("reader")
    if me or you:
        _TOKEN_COUNTS[token] = (me, you)
    return bool(me or you)


def _learn_pronouns(tokens) -> None:
    """Read each of `tokens` new to `_HOLDS` once, with `pronoun`."""
    if len(_HOLDS) > 500_000:
        _HOLDS.clear()  # (the counts are kept: they depend on the token alone)
    for token in set(filterfalse(_HOLDS.__contains__, tokens)):
        _HOLDS[token] = _holds_pronoun(token)


def pronoun_counts(text: str) -> tuple[int, int]:
    """(I/we words, you words) in `text`. Words never span white space, so the text is split there
    (fast, in C) and each distinct piece is read once, kept for every later post. Set and filter
    calls run in C: the Python loop only sees the few tokens that hold a pronoun."""
    tokens = text.split()
    _learn_pronouns(tokens)
    hits = _TOKEN_COUNTS
    me = you = 0
    for token in filter(hits.__contains__, tokens):
        a, b = hits[token]
        me += a
        you += b
    return me, you


def _block_counts(block_tokens: list[list[str]]) -> tuple[tuple[int, int], ...]:
    """`pronoun_counts` of each block, from its tokens: one lookup per token in C (see `lookup`), and
    the Python loop only sees the pronouns."""
    holds = lookup(_HOLDS, chain.from_iterable(block_tokens), _holds_pronoun)
    hits = _TOKEN_COUNTS
    flags = iter(holds)
    counts = []
    for tokens in block_tokens:
        me = you = 0
        for token in compress(tokens, islice(flags, len(tokens))):
            a, b = hits[token]
            me += a
            you += b
        counts.append((me, you))
    return tuple(counts)


class Block(NamedTuple):
    """One passage with its author's-voice text and where that sits in `Prose.voice`. (A named tuple:
    about 30 are made per post, and a frozen dataclass is several times slower to make.)"""

    passage: Passage
    voice: str
    start: int


SEPARATOR = "\x00"  # between blocks in Prose.voice: not a word, not a space, so no match spans two
_SEPARATED = (SEPARATOR,)


@dataclass(frozen=True, slots=True)
class Prose:
    """A post's prose as the rules read it: its blocks, the author's voice (quotations left out) joined in
    one text, and what the rules share, worked out once."""

    blocks: tuple[Block, ...]
    voice: str  # every block's author's voice, joined by SEPARATOR
    starts: tuple[int, ...]  # offset in `voice` of each block
    # `block.voice.lower().split()` for each block: every block's lowered words, for the rules that
    # read words. None when lowering changes the voice's length (a few letters such as İ) or a
    # passage holds SEPARATOR.
    block_tokens: list[list[str]] | None = field(default=None, compare=False, repr=False)
    memo: dict = field(default_factory=dict, compare=False, repr=False)  # what rules share, worked out once

    @property
    def words(self) -> list[str] | None:
        """Every block's tokens in one list (no mark between blocks), or None with `block_tokens`."""
        words = self.memo.get("words")
        if words is None and self.block_tokens is not None:
            words = self.memo["words"] = list(chain.from_iterable(self.block_tokens))
        return words

    @property
    def tokens(self) -> list[str] | None:
        """`voice.lower()` split at white space and at each SEPARATOR, which is a token of its own."""
        if self.block_tokens is None:
            return None
        tokens = list(chain.from_iterable(chain.from_iterable(zip(self.block_tokens, repeat(_SEPARATED)))))
        tokens.pop()  # no SEPARATOR after the last block
        return tokens

    @property
    def counts(self) -> tuple[tuple[int, int], ...]:
        """(I/we, you) words of each block, as `pronoun_counts` counts them: worked out when first
        asked (reader-focus and the post's stats ask)."""
        counts = self.memo.get("counts")
        if counts is None:
            counts = self.memo["counts"] = _block_counts(self.block_tokens)
        return counts

    @property
    def self_count(self) -> int:
        return sum(c[0] for c in self.counts)

    @property
    def reader_count(self) -> int:
        return sum(c[1] for c in self.counts)

    def lowered(self) -> str:
        """`voice.lower()`, worked out once per post."""
        text = self.memo.get("lowered")
        if text is None:
            text = self.memo["lowered"] = self.voice.lower()
        return text

    def lowered_words(self) -> list[str]:
        """`voice.lower().split()`, for the rules that read words in any case (megaphone,
        repeated-word): split once per post, not once per rule."""
        words = self.memo.get("lowered_words")
        if words is None:
            words = self.memo["lowered_words"] = self.lowered().split()
        return words

    def block_at(self, offset: int) -> Block:
        i = bisect_right(self.starts, offset) - 1
        return self.blocks[max(i, 0)]

    def position(self, offset: int, needle: str = "") -> tuple[Block, int, int]:
        """The block holding `offset` of `voice`, and the (line, column) in the source file."""
        block = self.block_at(offset)
        line, col = position(block.passage, offset - block.start, needle)
        return block, line, col


_ANALYSED: dict[int, tuple[tuple[Passage, ...], Prose]] = {}
_MEMO_POSTS = 64  # rules run post by post: only the last few posts are ever asked again


def analyse(passages: tuple[Passage, ...]) -> Prose:
    """Voice, words and pronouns of a post's passages, computed once per post and shared by every
    rule. Memoised by identity, not equality: hashing the passages (every field, every call) cost
    more than the lookup saved; the tuple is kept with its result, so its id cannot be reused."""
    hit = _ANALYSED.get(id(passages))
    if hit is not None and hit[0] is passages:
        return hit[1]
    prose = _analyse(passages)
    if len(_ANALYSED) >= _MEMO_POSTS:
        _ANALYSED.clear()
    _ANALYSED[id(passages)] = (passages, prose)
    return prose


def _analyse(passages: tuple[Passage, ...]) -> Prose:
    voices = _voices(passages)
    starts = tuple(accumulate(map((1).__add__, map(len, voices)), initial=0))[:-1]
    blocks = tuple(map(tuple.__new__, repeat(Block), zip(passages, voices, starts)))  # Block(...), in C
    joined = SEPARATOR.join(voices)
    lowered = joined.lower()
    block_tokens = None
    memo: dict = {"lowered": lowered}
    if joined.count(SEPARATOR) == len(voices) - 1:
        if len(lowered) == len(joined):
            # Lowering one character to one changes no word's bounds (letters stay letters, white
            # space and apostrophes stay as they are) and `pronoun` lowers its word anyway: the
            # lowered tokens hold the same pronouns, and recur more across posts. Lowering the joined
            # text lowers each block as on its own: SEPARATOR is neither cased nor case-ignorable,
            # so a final sigma sees it as the end of a word, as it sees the end of a text.
            block_tokens = list(map(str.split, lowered.split(SEPARATOR)))
        else:
            memo["counts"] = _block_counts(list(map(str.split, voices)))
    # Counted per block (summed for the totals): the same totals as counting `joined` (no word spans
    # SEPARATOR, which is not white space, so a token across it holds exactly the two blocks' words),
    # and reader-focus gets each paragraph's counts without reading the text again.
    if block_tokens is None and memo.get("counts") is None:
        memo["counts"] = tuple(map(pronoun_counts, voices))
    return Prose(blocks, joined, starts, block_tokens, memo)


# A quotation mark `quoted_spans` reads (any double mark; a single one unless it has a letter or digit
# on both sides, as in I'm): a passage without one, and without anything like a URL, is all the
# author's voice. Found for the whole post in one pass; in ASCII text only ' and " can be marks, each
# found by a pattern starting with it (scanned for in C). SEPARATOR is no letter, as the start or end
# of a passage is not.
_DOUBLE = re.compile('"')
_SINGLE = re.compile(r"'(?:(?<![^\W_].)|(?![^\W_]))")
_ANY_MARK = re.compile("[" + re.escape("".join(sorted(DOUBLE_QUOTES | SINGLE_QUOTES))) + "](?:(?<=["
                       + re.escape("".join(sorted(DOUBLE_QUOTES))) + r"])|(?<![^\W_].)|(?![^\W_]))")


def _voices(passages: tuple[Passage, ...]) -> list[str]:
    """`author_voice` of each passage, worked out only for the passages that may hold a quotation."""
    texts = [p.text for p in passages]
    joined = SEPARATOR.join(texts)
    if "://" in joined or "www." in joined or "@" in joined or "mailto:" in joined:
        return [author_voice(p.text, p.quoted) for p in passages]
    if joined.isascii():
        hits = [m.start() for m in _DOUBLE.finditer(joined)] + [m.start() for m in _SINGLE.finditer(joined)]
    else:
        hits = [m.start() for m in _ANY_MARK.finditer(joined)]
    marked = set()
    if hits:
        starts, at = [], 0
        for text in texts:
            starts.append(at)
            at += len(text) + 1
        marked = {bisect_right(starts, hit) - 1 for hit in hits}
    return [author_voice(p.text, p.quoted) if p.quoted or i in marked else p.text for i, p in enumerate(passages)]


# Sentences ------------------------------------------------------------------------------------------

_ABBREVIATIONS = frozenset("""mr mrs ms dr prof st jr sr vs etc e.g i.e cf al fig no vol ch pp p approx
ca ed eds inc ltd co corp dept est govt jan feb mar apr jun jul aug sep sept oct nov dec""".split())
_INITIALISM = re.compile(r"(\w\.)+\w")  # U.S, e.g, Ph.D
# A sentence ends at [.!?…]+, closing marks, then white space and a capital or digit (its white space
# captured: the next sentence starts after it), or at the end. Written "[.!?…][.!?…]*" rather than
# "[.!?…]+" so the pattern starts with one character class, which the regex engine scans for in C
# (three times faster than trying the whole pattern at every position).
_BOUNDARY = re.compile(r"[.!?…][.!?…]*[\"”’')\]]*(?=(\s+)[\"“‘'(\[]?[A-Z0-9])|[.!?…][.!?…]*[\"”’')\]]*\s*$")


@lru_cache(maxsize=8192)
def sentences(text: str) -> tuple[tuple[int, int], ...]:
    """Sentence spans [start, end) of one passage's text; abbreviations and initials do not end one."""
    return tuple(_spans(text))


def sentences_end(text: str, n: int) -> int | None:
    """`sentences(text)[:n][-1][1]` (None when there is no sentence), reading no further than needed."""
    end = None
    for count, (_, end) in enumerate(_spans(text), 1):
        if count == n:
            break
    return end


def _spans(text: str) -> Iterator[tuple[int, int]]:
    """The spans of `sentences`, one by one."""
    start = 0
    for m in _BOUNDARY.finditer(text):
        at = m.start()
        if text[at] == ".":
            before = text[max(start, at - 24):at].rsplit(None, 1)
            last = before[-1].lower().strip("(\"“‘'") if before else ""
            if last in _ABBREVIATIONS or (len(last) == 1 and last.isalpha()) or _INITIALISM.fullmatch(last):
                continue
        end = m.end()
        yield start, end
        start = m.end(1) if m.start(1) >= 0 else end  # past the white space (the end: none is left)
    if text[start:].strip():
        yield start, len(text.rstrip())


# Syllables ------------------------------------------------------------------------------------------

_PYPHEN_LANG = {"en": "en_US"}


@lru_cache(maxsize=8)
def _hyphenator(language: str):
    """pyphen's hyphenation for `language`; English (the usual case) is found and read without
    importing pyphen, whose loader costs a tenth of a second per build process (see `hyphenation`)."""
    from generator.checks.hyphenation import Hyphenator, dictionary_path

    lang = _PYPHEN_LANG.get(language.lower(), language.replace("-", "_"))
    path = dictionary_path(lang) if lang == "en_US" else None
    if path is None:
        import pyphen

        if lang not in pyphen.LANGUAGES:
            lang = pyphen.language_fallback(lang) or "en_US"
        path = pyphen.LANGUAGES[pyphen.language_fallback(lang)]
    try:
        return Hyphenator(Path(path), left=1, right=1)
    except (ValueError, OSError, UnicodeDecodeError):
        import pyphen

        return pyphen.Pyphen(filename=path, left=1, right=1)


_VOWELS = re.compile(r"[aeiouy]+")


_LETTERS = re.compile(r"[^\W\d_]+")


@lru_cache(maxsize=65536)
def token_syllables(token: str, language: str = "en") -> int:
    """Syllables of a token as split at spaces ("writer’s", "re-use", "1,000"): its letter runs'."""
    parts = _LETTERS.findall(token.lower())
    return sum(syllables(p, language) for p in parts) if parts else 1


@lru_cache(maxsize=65536)
def syllables(word: str, language: str = "en") -> int:
    """Syllables of a word: pyphen's hyphenation points, floored by a vowel-group count for English,
    because hyphenation dictionaries skip short syllables (i-de-a is one piece to them)."""
    word = word.lower()
    count = len(_hyphenator(language).positions(word)) + 1
    if language.lower().startswith("en"):
        groups = len(_VOWELS.findall(word))
        if word.endswith("e") and not word.endswith(("le", "ee", "ye")) and groups > 1:
            groups -= 1
        count = max(count, groups)
    return max(1, count)


# Locations ------------------------------------------------------------------------------------------

_NORMALISE = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'", "–": "-", "—": "-", "…": "."})


def position(passage: Passage, offset: int, needle: str = "") -> tuple[int, int]:
    """(line, column) in the source file of `offset` in `passage.text`, found by looking up `needle`
    (the text matched there) in the passage's Markdown source; the column of its line otherwise."""
    text = passage.text
    offset = max(0, min(offset, len(text)))
    k = text.count("\n", 0, offset)
    line_start = text.rfind("\n", 0, offset) + 1
    raw_lines = passage.raw.split("\n") if passage.raw else []
    if k >= len(raw_lines) or k >= len(passage.cols):
        return passage.line + min(k, max(len(passage.cols) - 1, 0)), (passage.cols[0] if passage.cols else 1)
    raw = raw_lines[k].translate(_NORMALISE)
    col = passage.cols[k]
    if needle:
        needle = needle.translate(_NORMALISE)
        text_line = text[line_start:offset].translate(_NORMALISE)
        nth = text_line.count(needle)
        found = -1
        for _ in range(nth + 1):
            nxt = raw.find(needle, found + 1)
            if nxt < 0:
                break
            found = nxt
        if found < 0:
            found = raw.lower().find(needle.lower())
        if found >= 0:
            col += found
    return passage.line + k, col


def locate(post: Post, line: int, needle: str) -> tuple[int, int]:
    """(line, column) of `needle` on source `line`, using the passage that covers it; column 1 if unknown."""
    for p in post.passages:
        if p.line <= line < p.line + max(1, len(p.cols)):
            k = line - p.line
            raw_lines = p.raw.split("\n")
            if k < len(raw_lines) and k < len(p.cols):
                found = raw_lines[k].find(needle)
                return line, p.cols[k] + max(found, 0)
    return line, 1
