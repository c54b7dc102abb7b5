"""`repeated-word`: the same word twice in a row ("the the"), across line breaks, in any case."""

from __future__ import annotations

import re
from itertools import islice
from operator import eq
from typing import Iterator

from generator.checks.prose import analyse
from generator.checks.registry import CheckFinding, rule
from generator.checks.settings import Settings
from generator.model import Post

_REPEAT = re.compile(r"\b([^\W\d_]+)\s+(\1)\b")
_REPEAT_ANY_CASE = re.compile(_REPEAT.pattern, re.IGNORECASE)
# Doubles that English grammar allows: "she had had enough", "that that", "what it is is".
ALLOWED = frozenset({"had", "that", "is", "do", "bye", "ha", "no", "so", "very", "really", "far", "knock",
                     "tut", "bora", "yada", "blah", "chop", "go", "well", "now", "there"})

# `prose.words` splits the lowered voice at white space and at each SEPARATOR; `lowered_words` only
# at white space, so a word beside a SEPARATOR is glued to the next block's ("end\x00start"). Two
# equal neighbours in `lowered_words` without a SEPARATOR are neighbours in `prose.words` too; two
# glued ones have one block between their SEPARATORs, with one run of white space inside it.
_SHORT_BLOCK = re.compile(r"\x00(?=([^\s\x00]*\s+[^\s\x00]*)\x00)")
_WHITE = re.compile(r"\s+")


def _glued_twins(voice: str) -> bool:
    """Whether two neighbours of `voice.lower().split()` holding a SEPARATOR each are equal."""
    for m in _SHORT_BLOCK.finditer(voice):
        a, b = m.start(), m.end(1)
        white = _WHITE.search(voice, a + 1, b)
        i = a
        while i > 0 and not voice[i - 1].isspace():
            i -= 1
        j = b
        while j < len(voice) and not voice[j].isspace():
            j += 1
        if voice[i:white.start()].lower() == voice[white.end():j].lower():
            return True
    return False


@rule("repeated-word", "The same word twice in a row, usually a slip (\"the the\").")
def repeated_word(post: Post, settings: Settings) -> Iterator[CheckFinding]:
    prose = analyse(post.passages)
    tokens = prose.words
    if tokens is not None:
        # (In C. A block's last token and the next block's first count as neighbours here, which only
        # sends a few more posts on to the exact test below.)
        if not any(map(eq, tokens, islice(tokens, 1, None))) and not _glued_twins(prose.voice):
            return  # the fast path below would return too (see _SHORT_BLOCK)
    words = prose.lowered_words()
    if not any(map(eq, words, islice(words, 1, None))):
        return  # fast path: no word follows itself (a slip with punctuation on the second copy is missed)
    lowered = prose.lowered()
    # Matching the lowered text is much faster than IGNORECASE; offsets agree unless lowering changed
    # the length (a few letters such as İ do), and then the slow way is used.
    matches = (_REPEAT.finditer(lowered) if len(lowered) == len(prose.voice)
               else _REPEAT_ANY_CASE.finditer(prose.voice))
    for m in matches:
        word = prose.voice[m.start(1):m.end(1)]
        if word.lower() in ALLOWED:
            continue
        _, line, col = prose.position(m.start(2), prose.voice[m.start(2):m.end(2)])
        yield repeated_word.rule.at(post.source, line, col, f'"{word}" is repeated; delete one',
                                    word=word.lower())
