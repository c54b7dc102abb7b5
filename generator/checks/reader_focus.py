"""`reader-focus`: a post that says I/me/we more often than you/your is about its author."""

from __future__ import annotations

from typing import Iterator

from generator.checks.prose import analyse, first_self_pronoun, position
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
    # Counted per block by `analyse`; the regex runs only on that block, to point at it, and stops
    # at its first I/we word.
    candidates = []
    for i, (block_me, block_you) in enumerate(prose.counts):
        if block_me:
            candidates.append((block_me - block_you, block_me, -i, block_you))
    first = -1
    if candidates:
        _, worst_me, i, worst_you = max(candidates)
        i = -i
        block = prose.blocks[i]
        offset, word = first_self_pronoun(block.voice)
        first = block.start + offset if offset >= 0 else -1
    if first < 0:  # the counts and the locating regex disagree (a property test guards this)
        yield reader_focus.rule.at(post.source, post.line_of("body"), 1, _message(me, you), self=me, reader=you)
        return
    worst = prose.blocks[i]
    line, col = position(worst.passage, first - worst.start, word)
    yield reader_focus.rule.at(
        post.source, line, col,
        _message(me, you) + f"; this paragraph has {worst_me} I/we to {worst_you} you, so start there",
        self=me, reader=you, paragraph_line=worst.passage.line)
