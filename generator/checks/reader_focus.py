"""`reader-focus`: a post that says I/me/we more often than you/your is about its author."""

from __future__ import annotations

from bisect import bisect_right
from typing import Iterator

from generator.checks.prose import PRONOUN, analyse, position, pronouns
from generator.checks.registry import CheckFinding, rule
from generator.checks.settings import Settings
from generator.model import Post


def _message(me: int, you: int) -> str:
    return (f"the post is about its author more than its reader: {me} I/me/we to {you} you/your; turn "
            "some sentences towards what the reader will do, know or feel")


@rule("reader-focus", "The post talks about its author (I, me, we) more than to its reader (you).")
def reader_focus(post: Post, settings: Settings) -> Iterator[CheckFinding]:
    if post.words < settings.min_words:
        return
    prose = analyse(post.passages)
    me, you = prose.self_count, prose.reader_count
    if me <= you * settings.reader_focus_ratio:
        return
    # The paragraph most about the author: most I/we words beyond its you words, then the most I/we.
    per_block: dict[int, list[int]] = {}
    for offset, is_self in pronouns(prose.voice):
        i = bisect_right(prose.starts, offset) - 1
        counts = per_block.setdefault(i, [0, 0, -1])
        if is_self:
            counts[0] += 1
            if counts[2] < 0:
                counts[2] = offset
        else:
            counts[1] += 1
    candidates = [(i, c) for i, c in per_block.items() if c[0]]
    if not candidates:  # the counts and the locating regex disagree (a property test guards this)
        yield reader_focus.rule.at(post.source, post.line_of("body"), 1, _message(me, you), self=me, reader=you)
        return
    i, (worst_me, worst_you, first) = max(candidates, key=lambda ic: (ic[1][0] - ic[1][1], ic[1][0], -ic[0]))
    worst = prose.blocks[i]
    word = PRONOUN.match(prose.voice, first)
    line, col = position(worst.passage, first - worst.start, word.group() if word else "")
    yield reader_focus.rule.at(
        post.source, line, col,
        _message(me, you) + f"; this paragraph has {worst_me} I/we to {worst_you} you, so start there",
        self=me, reader=you, paragraph_line=worst.passage.line)
