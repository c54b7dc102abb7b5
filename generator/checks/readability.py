"""`readability`: very long sentences and paragraphs, and a Flesch reading ease per English post.

Syllables come from pyphen's hyphenation dictionaries (offline, well kept), floored by a vowel-group
count; textstat is avoided because it fetches a dictionary over the network on first use. Blockquotes
and tables are not judged: the author cannot shorten someone else's sentence, and a table is not prose.
"""

from __future__ import annotations

import re
from itertools import chain, filterfalse, islice, repeat
from operator import add, itemgetter, or_
from dataclasses import dataclass
from typing import Iterable, Iterator

from generator.checks.prose import (_ABBREVIATIONS, _BOUNDARY, _LETTERS, WORD, Prose, analyse, lookup, position,
                                    sentences, token_syllables)
from generator.checks.registry import CheckFinding, rule
from generator.checks.settings import Settings
from generator.model import Passage, Post

_PROSE_KINDS = ("paragraph", "list", "footnote")
# Every place a sentence may end, abbreviations included: a fast first pass. Its pieces are never longer
# than real sentences, so a paragraph whose pieces are all short (half the limit, leaving room for an
# "e.g." or "Dr." that joins two) is skipped without the careful split of `sentences`.
_ROUGH_END = re.compile(r"[.!?…][.!?…]*[\"”’')\]]*(?:\s+|$)")  # one class first: scanned in C (see prose)


@dataclass(frozen=True, slots=True)
class Ease:
    """The counts a Flesch reading ease is worked out from."""

    sentences: int
    words: int
    syllables: int

    @property
    def reading_ease(self) -> float:
        """Flesch reading ease: 206.835 - 1.015 words/sentence - 84.6 syllables/word."""
        return 206.835 - 1.015 * self.words / self.sentences - 84.6 * self.syllables / self.words

    @property
    def grade(self) -> float:
        """Flesch-Kincaid grade level (US school years)."""
        return 0.39 * self.words / self.sentences + 11.8 * self.syllables / self.words - 15.59


def ease(prose: Prose, language: str = "en") -> Ease | None:
    """Reading-ease inputs for the post's own prose, or None when there is too little to judge.
    Computed once per post (the rule and the post's stats both ask)."""
    key = (id(prose), language)
    hit = _EASES.get(key)
    if hit is not None and hit[0] is prose:
        return hit[1]
    result = _ease_of_paragraphs(prose, language)
    if len(_EASES) >= 64:
        _EASES.clear()
    _EASES[key] = (prose, result)
    return result


_EASES: dict[tuple[int, str], tuple[Prose, Ease | None]] = {}


def _judged(prose: Prose) -> list[tuple[Passage, list[str]]]:
    """(passage, its lowered words) of each paragraph the rule judges (the author's prose: no
    blockquotes, no tables), worked out once per post for the rule and `ease`. Lowering changes no
    white space, so the words are those of `passage.text.split()`. A paragraph that is all the
    author's voice (the usual case) has them in `prose.block_tokens` already."""
    judged = prose.memo.get("readability")
    if judged is None:
        block_tokens = prose.block_tokens
        if block_tokens is None:
            judged = [(p, p.text.lower().split()) for p in (b.passage for b in prose.blocks)
                      if not p.quoted and p.kind in _PROSE_KINDS]
        else:
            judged = [(p, tokens if voice is p.text else p.text.lower().split())
                      for (p, voice, _), tokens in zip(prose.blocks, block_tokens)
                      if not p.quoted and p.kind in _PROSE_KINDS]
        prose.memo["readability"] = judged
    return judged


def _rough(prose: Prose) -> tuple[list[int], list[bool]]:
    """For each judged paragraph: how many rough sentence ends `_ROUGH_END` finds in it, and whether
    the last one ends the text (`_ROUGH_END.split` then leaves an empty last piece)."""
    rough = prose.memo.get("rough")
    if rough is None:
        rough = prose.memo["rough"] = _rough_ends([p.text for p, _ in _judged(prose)])
    return rough


# The paragraphs in UTF-8, each mark that may end a sentence made ".", each closing mark dropped,
# each white space a space. A rough end is a run of those marks, closing marks, then white space or
# the end: here, a "." followed by a space or the end (the last mark of a run). bytes.translate and
# count run in C over the whole post; UTF-8 cannot match a character's bytes inside another's.
_WHITE = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"  # str.isspace
_ROUGH_BYTES = bytes.maketrans(b".!?" + "".join(c for c in _WHITE if c.isascii()).encode(),
                               b"..." + b" " * sum(c.isascii() for c in _WHITE))
_ROUGH_DROP = b"\"')]"
_MARKS, _CLOSERS = tuple(".!?…"), "\"”’')]"
_ROUGH_WIDE = tuple((c.encode(), b"." if c == "…" else b"" if c in "”’" else b" ")
                    for c in ("…", "”", "’", *(c for c in _WHITE if not c.isascii())))


def _rough_ends(texts: list[str]) -> tuple[list[int], list[bool]]:
    joined = "\x00".join(texts)
    try:
        data = joined.encode()
    except UnicodeEncodeError:  # a lone surrogate: the regex reads it
        data = None
    if data is None or joined.count("\x00") != len(texts) - 1:
        pieces = list(map(_ROUGH_END.split, texts))
        return [len(p) - 1 for p in pieces], [len(p) > 1 and not p[-1] for p in pieces]
    if not data.isascii():
        data = _narrow(data, *_ROUGH_NARROW)
    marks = data.translate(_ROUGH_BYTES, _ROUGH_DROP).split(b"\x00")
    ends = list(map(add, map(bytes.count, marks, repeat(b". ")), map(bytes.endswith, marks, repeat(b"."))))
    # The last rough end ends the text when, white space and then closing marks stripped, it ends with
    # a mark (closing marks after white space are a piece of their own).
    return ends, list(map(str.endswith, map(str.rstrip, map(str.rstrip, texts), repeat(_CLOSERS)), repeat(_MARKS)))


def _ease(prose: Prose, language: str) -> Ease | None:
    """The definition: the judged paragraphs' text joined by NUL, read as one text."""
    texts = [b.passage.text for b in prose.blocks if not b.passage.quoted and b.passage.kind in _PROSE_KINDS]
    joined = "\x00".join(texts)
    tokens = joined.lower().split()  # words as the reader sees them: between spaces
    n_words = len(tokens)
    if not n_words:
        return None
    n_sentences = max(len(_ROUGH_END.findall(joined)), len(texts))
    n_syllables = _syllables_of(_syllable_table(language), language, tokens)
    return Ease(n_sentences, n_words, n_syllables)


def _ease_of_paragraphs(prose: Prose, language: str) -> Ease | None:
    """`_ease`, from each paragraph's words and rough ends (which the rule needs anyway) instead of
    reading the joined text again. When every paragraph's text is stripped, non-empty and free of NUL,
    the joined text's words are the paragraphs' words, but for the last and first word beside each
    joint, which NUL glues into one; and its rough sentence ends are the paragraphs', but for a
    paragraph's own last one at its very end (followed by NUL, not the end or white space). Otherwise:
    `_ease`."""
    judged = _judged(prose)
    texts = [p.text for p, _ in judged]
    words = [tokens for _, tokens in judged]
    # (In C: a text is stripped when strip returns it as it is.)
    if not judged or not all(words) or texts != list(map(str.strip, texts)) or \
            any(map(str.__contains__, texts, repeat("\x00"))):
        return _ease(prose, language)
    per_paragraph = _syllables_per_paragraph(prose, language)
    n_words = sum(map(len, words)) - (len(judged) - 1)
    # A token's syllables are its letter runs' (one when it has none); NUL is no letter, so a glued
    # token's are the two words' together, less one when either of them has no letter.
    bare = _BARE.get(language, frozenset()).__contains__
    n_syllables = sum(per_paragraph) - sum(map(or_, map(bare, map(itemgetter(-1), words[:-1])),
                                               map(bare, map(itemgetter(0), words[1:]))))
    ends, last_empty = _rough(prose)
    ends = sum(ends) - sum(last_empty[:-1])
    return Ease(max(ends, len(judged)), n_words, n_syllables)


def _syllables_per_paragraph(prose: Prose, language: str) -> list[int]:
    """The syllables of each judged paragraph's words (see `_tallies`)."""
    return _tallies(prose, language)[0]


def _tallies(prose: Prose, language: str) -> tuple[list[int], list[int]]:
    """For each judged paragraph, the syllables of its words and how many of them are `_risky`, from the
    table (one lookup per word in C, see `prose.lookup`; a new word is hyphenated into it)."""
    key = ("syllables", language)
    tallies = prose.memo.get(key)
    if tallies is None:
        table = _syllable_table(language)
        words = [tokens for _, tokens in _judged(prose)]
        found = iter(lookup(table, chain.from_iterable(words), lambda token: _syllables_of_new(token, language),
                            limit=1 << 62))  # (_syllable_table empties the table, and _BARE with it)
        sums = [sum(islice(found, n)) for n in map(len, words)]
        # (A paragraph's syllables are fewer than 2**32: fewer than its characters.)
        tallies = prose.memo[key] = ([s & _SYLLABLES for s in sums], [s >> _RISKY for s in sums])
    return tallies


def _syllables_of(table: dict[str, int], language: str, tokens: list[str]) -> int:
    """The syllables of `tokens`, looked up in one pass in C; a paragraph with a new word (KeyError)
    has its new words hyphenated into the table, and is summed again."""
    try:
        return sum(map(table.__getitem__, tokens)) & _SYLLABLES
    except KeyError:
        _learn(table, language, filterfalse(table.__contains__, tokens))
        return sum(map(table.__getitem__, tokens)) & _SYLLABLES


def _learn(table: dict[str, int], language: str, tokens: Iterable[str]) -> None:
    """Add `tokens` (some new to `table`) with their syllables."""
    for token in set(tokens):
        table[token] = _syllables_of_new(token, language)


# A table's value for a token: its syllables, plus 2**32 when it is `_risky` (so a paragraph's sum
# tells both, and the long paragraphs need no lookup of their own for the sentence proof).
_RISKY = 32
_SYLLABLES = (1 << _RISKY) - 1


def _syllables_of_new(token: str, language: str) -> int:
    """The table's value for a token new to it (noted in _BARE when it has no letter)."""
    if not _LETTERS.search(token.lower()):
        _BARE.setdefault(language, set()).add(token)
    return token_syllables(token, language) | (_risk_of(token) << _RISKY)


_BARE: dict[str, set[str]] = {}  # tokens of each table that hold no letter ("1,000", "—"): one syllable each
_PUNCT = "\"“”‘’'()[]{}.,;:!?…—–-*_/"
_TABLES: dict[str, dict[str, int]] = {}


def _syllable_table(language: str) -> dict[str, int]:
    """Syllables per token (punctuation and all), kept across posts: most words recur."""
    table = _TABLES.setdefault(language, {})
    if len(table) > 200_000:
        table.clear()
        _BARE.pop(language, None)  # refilled with the table (tokens are added to both at once)
    return table


@rule("readability", "Very long sentences and paragraphs; a reading ease below the site's minimum.")
def readability(post: Post, settings: Settings) -> Iterator[CheckFinding]:
    prose = analyse(post.passages)
    max_sentence = settings.readability_sentence_words
    max_paragraph = settings.readability_paragraph_words
    judged = _judged(prose)
    fit: set[int] = set()  # paragraphs shown to hold no sentence over the limit, all at once
    long = [i for i, (_, tokens) in enumerate(judged) if len(tokens) > max_sentence] if max_sentence else []
    if long:
        risky = None
        if _grades(post, settings):  # the syllables are needed anyway, and tell which words are risky
            try:
                risky = _tallies(prose, settings.language)[1]
            except Exception:  # noqa: BLE001 - then it fails below, where it did
                pass
        safe = ([i for i in long if not risky[i]] if risky is not None
                else [i for i in long if not _risky(judged[i][1])])
        if safe and _all_fit([judged[i][0].text for i in safe], max_sentence):
            fit.update(safe)
    for i, (p, tokens) in enumerate(judged):
        # Lengths count words as readers see them, separated by spaces (fast: no regex per sentence).
        words = len(tokens)
        if max_paragraph and words > max_paragraph:
            yield readability.rule.at(post.source, p.line, p.cols[0] if p.cols else 1,
                                      f"paragraph of {words} words (at most {max_paragraph}); split it "
                                      "where the thought turns", kind="paragraph", words=words)
        if not max_sentence:
            continue
        if words <= max_sentence or i in fit:
            continue
        if _sentences_fit(p.text, max_sentence):
            continue  # usually shown in C: then the rough pieces need not be split
        if max(map(len, map(str.split, _ROUGH_END.split(p.text)))) <= max_sentence // 2:
            continue  # no sentence here can be longer than the limit
        text = p.text
        # When every gap between words is one space or line break, a sentence's words (it starts and
        # ends at a word) are its gaps plus one: counted in C, without splitting it.
        # (The words are lowered: lowering lengthens a few letters, such as İ, and then this is not tried.)
        single = (text.count(" ") + text.count("\n") == words - 1
                  and len(text) == sum(map(len, tokens)) + words - 1 and len(text.lower()) == len(text))
        for start, end in sentences(text):
            count = (text.count(" ", start, end) + text.count("\n", start, end) + 1 if single
                     else len(text[start:end].split()))
            if count > max_sentence:
                first = WORD.search(p.text, start)
                line, col = position(p, first.start() if first else start, first.group() if first else "")
                yield readability.rule.at(post.source, line, col,
                                          f"sentence of {count} words (at most {max_sentence}); "
                                          "break it in two", kind="sentence", words=count)
    if not _grades(post, settings):
        return
    minimum = settings.readability_min_ease
    score = ease(prose, settings.language)
    if score and score.words >= settings.min_words and score.reading_ease < minimum:
        line, col, where = post.line_of("body"), 1, ""
        hardest = _hardest_paragraph(prose, settings.language)
        if hardest:
            p, paragraph_ease = hardest
            line, col = p.line, p.cols[0] if p.cols else 1
            where = f"; the hardest paragraph starts here (ease {paragraph_ease:.0f})"
        yield readability.rule.at(post.source, line, col,
                                  f"reading ease {score.reading_ease:.0f} for the post (at least {minimum:g}; grade "
                                  f"{score.grade:.1f}){where}: shorter sentences and plainer words will help",
                                  kind="ease", ease=round(score.reading_ease, 1), grade=round(score.grade, 1))


def _grades(post: Post, settings: Settings) -> bool:
    """Whether the rule grades the post's reading ease."""
    return bool(settings.readability_min_ease and settings.language.lower().startswith("en")
                and post.words >= settings.min_words)


_MIN_PARAGRAPH = 20  # words: shorter paragraphs give too noisy a score to single out


def _hardest_paragraph(prose: Prose, language: str):
    """(passage, ease) of the author's paragraph with the lowest reading ease, from the syllable table
    `ease` just filled (so no word is hyphenated twice); None when no paragraph is long enough."""
    judged = _judged(prose)
    # The two words beside a paragraph joint in `ease`'s text (joined there into one token) are
    # counted as every other word, so the score never depends on which posts came before.
    per_paragraph = _syllables_per_paragraph(prose, language)
    worst = None
    for (p, tokens), ends, syllables in zip(judged, _rough(prose)[0], per_paragraph):
        words = len(tokens)
        if words < _MIN_PARAGRAPH:
            continue
        # Ease(max(ends, 1), words, syllables).reading_ease, the same operations in the same order.
        score = 206.835 - 1.015 * words / max(ends, 1) - 84.6 * syllables / words
        if worst is None or score < worst[1]:
            worst = (p, score)
    return worst


# A "." ending a sentence that `sentences` might take for an abbreviation or initial: the word before
# it (within its 24-character window, quote marks and brackets stripped, in any case) is a known
# abbreviation, one letter, or like "U.S". Matched on the reversed text, so the pattern starts with
# the literal "." (scanned for in C). It finds more than `sentences` rejects, never less: the word
# right before the mark, after a space, quote mark or the start; any initialism's last "x.y"; any "."
# after white space (the word before it is then further back); a window cut short by 17 or more
# quote marks before the mark.
_STRIPPED = "(\"“‘'"
_MAYBE_ABBREVIATION = re.compile(
    r"\.(?:[" + _STRIPPED + r"]*(?:" + "|".join(sorted((re.escape(a[::-1]) for a in _ABBREVIATIONS if "." not in a),
                                                      key=len, reverse=True))
    + r"|[^\W\d_])(?![^\s" + _STRIPPED + r"])|[" + _STRIPPED + r"]*\w\.\w|\s|[" + _STRIPPED + r"]{17})",
    re.IGNORECASE)


def _sentences_fit(text: str, limit: int) -> bool:
    """True when no sentence of `text`, as `sentences` splits it, has more than `limit` words (as
    `str.split` counts them), shown without splitting it sentence by sentence; False when it may.

    Without a possible abbreviation, every `_BOUNDARY` match ends a sentence, and the next starts after
    the white space that follows: so replacing each match with ".\x01" (one character where the marks
    were, so no word is lost) and splitting at "\x01" gives pieces with each sentence's words, the
    trailing white space of the text aside."""
    if "\x01" in text or _MAYBE_ABBREVIATION.search(text[::-1]):
        return False
    return max(map(len, map(str.split, _BOUNDARY.sub(".\x01", text).split("\x01")))) <= limit


# Every sentence of many paragraphs at once, when no word of theirs may be taken for an abbreviation.
# A word may be (`_risky`) when `_MAYBE_ABBREVIATION` finds a "." in it read backwards, or it starts
# with "." (the pattern's "." after white space). That pattern reads no further back than the word's
# own start (white space stops every branch of it, and its look-ahead sees a word's start as it sees
# white space), and a word lowered one character to one (as `prose` lowers) matches it as the word
# does: it ignores case. Without such a word, every `_BOUNDARY` match ends a sentence: right after a
# word whose run of marks and closing marks at its end holds a mark, when the next word starts with
# at most one opening mark and then a capital or digit. In UTF-8 with each such character made one
# byte (marks ".", closing marks ")", opening marks "(", the two that are both "q", capitals and
# digits "A", white space " ", any other byte "x") and white space runs made one space, a boundary is
# `_FIT_SPLIT`.
_FIT_WIDE = tuple((c.encode(), b"." if c == "…" else b")" if c in "”’" else b"(" if c in "“‘" else b" ")
                  for c in ("…", "”", "’", "“", "‘", *(c for c in _WHITE if not c.isascii())))
_FIT_BYTES = bytes(46 if c in b".!?" else 41 if c in b")]" else 40 if c in b"([" else 113 if c in b"\"'"
                   else 65 if chr(c).isascii() and (chr(c).isdigit() or chr(c).isupper()) and c < 128
                   else 32 if c < 128 and chr(c).isspace() else 120 for c in range(256))
_RISK: dict[str, bool] = {}


def _risky(tokens: list[str]) -> bool:
    """Whether any of `tokens` (lowered words) may be taken for an abbreviation (see above)."""
    return any(lookup(_RISK, tokens, _risk_of, limit=200_000))


def _risk_of(token: str) -> bool:
    return token.startswith(".") or _MAYBE_ABBREVIATION.search(token[::-1]) is not None


def _narrow(data: bytes, wide: re.Pattern, narrow: dict[bytes, bytes]) -> bytes:
    """`data` with each UTF-8 character of `narrow` replaced by its byte(s): only those it holds, found in
    one pass (`wide` matches any of them), so mostly-ASCII text pays for one scan, not one per character."""
    for char in set(wide.findall(data)):
        data = data.replace(char, narrow[char])
    return data


def _wide(table: tuple[tuple[bytes, bytes], ...]) -> tuple[re.Pattern, dict[bytes, bytes]]:
    return re.compile(b"|".join(re.escape(w) for w, _ in table)), dict(table)


_FIT_NARROW = _wide(_FIT_WIDE)
_ROUGH_NARROW = _wide(_ROUGH_WIDE)
# A boundary: its marks and space (a literal first: scanned for in C).
_FIT_SPLIT = re.compile(rb"\.[.)q]* (?=[(q]?A)")


def _all_fit(texts: list[str], limit: int) -> bool:
    """True when no sentence of any of `texts` (paragraphs none of whose words is `_risky`), as
    `sentences` splits it, has more than `limit` words as `str.split` counts them; False when one may.
    Each sentence's words are the spaces in it plus one, counted in C for every paragraph at once: the
    paragraphs are stripped (white space at either end is in no sentence's words) and joined by ". A",
    a boundary, whose "A" glues to the next paragraph's first word."""
    try:
        data = ". A".join(map(str.strip, texts)).encode()
    except UnicodeEncodeError:  # a lone surrogate
        return False
    if not data.isascii():
        data = _narrow(data, *_FIT_NARROW)
    data = data.translate(_FIT_BYTES)
    while b"  " in data:
        data = data.replace(b"  ", b" ")
    return max(map(bytes.count, _FIT_SPLIT.split(data), repeat(b" "))) < limit
