"""`headings`: a heading outline a reader (and a screen reader) can navigate.

The theme prints the title as the page's only level-1 heading, so sections start at `##`; levels go
down one step at a time (## then ###, not ## then ####); and a heading has words in it.
"""

from __future__ import annotations

from typing import Iterator

from generator.checks.registry import CheckFinding, rule
from generator.checks.settings import Settings
from generator.model import Post


@rule("headings", "A second level-1 heading, a skipped heading level, or an empty heading.")
def headings(post: Post, settings: Settings) -> Iterator[CheckFinding]:
    previous = 1  # the title
    for h in post.toc:
        line, col = h.line, 1
        if h.level == 1:
            yield headings.rule.at(post.source, line, col,
                                   f'"{h.text}" is a level-1 heading, but the title already is one; use ## '
                                   "for sections", text=h.text)
        elif h.level > previous + 1:
            yield headings.rule.at(post.source, line, col,
                                   f'"{h.text}" jumps from level {previous} to level {h.level}; use '
                                   f'{"#" * (previous + 1)} so the outline has no holes', text=h.text)
        if not h.text.strip():
            yield headings.rule.at(post.source, line, col, "empty heading; give it words or remove it")
        previous = h.level
