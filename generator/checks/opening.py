"""`opening`: the first paragraph clears its throat instead of giving the reader something.

"In this post I will...", "Without further ado", "Sorry I haven't posted in a while": the reader came
for the idea; the opening is the most read sentence of a post, so it should start with it.
"""

from __future__ import annotations

import re
from typing import Iterator

from generator.checks.prose import analyse, position, sentences_end
from generator.checks.registry import CheckFinding, rule
from generator.checks.settings import Settings
from generator.model import Post

_APOS = "['’ʼ]"
THROAT_CLEARING = re.compile(
    r"\b(?:in (?:this|today" + _APOS + r"s) (?:blog )?(?:post|article|essay|piece|entry|newsletter),? (?:i|we)\b"
    r"|without further ado|today,? (?:i|we)(?:" + _APOS + r"(?:m|ll|re)| am| will| want| are)\b"
    r"|(?:i|we)(?:" + _APOS + r"m| am|" + _APOS + r"re| are) (?:going|gonna) to (?:talk|write|tell|share|discuss)"
    r"|(?:i|we) (?:want|would like|wanted) to (?:talk|write|share|discuss)|welcome (?:back )?to (?:my|our)"
    r"|(?:it" + _APOS + r"s|it has) been (?:a while|ages|too long)|sorry (?:i|we|for)\b[^.?!]*(?:post|writ|quiet)"
    r"|(?:i|we) (?:haven" + _APOS + r"t|have not) (?:posted|written|blogged)|(?:hello|hi|hey) (?:everyone|all|guys|folks)"
    r"|as (?:some|many|most) of you (?:may )?know|before (?:i|we) (?:begin|start|get started)"
    r"|let me (?:start|begin) by)",
    re.IGNORECASE,
)


@rule("opening", "The first paragraph clears its throat (\"In this post I will\", \"Without further ado\").")
def opening(post: Post, settings: Settings) -> Iterator[CheckFinding]:
    blocks = [b for b in analyse(post.passages).blocks if b.passage.kind == "paragraph" and not b.passage.quoted]
    if not blocks:
        return
    first = blocks[0]
    end = sentences_end(first.voice, 2)  # the first two sentences
    if end is None:
        end = len(first.voice)
    m = THROAT_CLEARING.search(first.voice, 0, end)
    if m:
        line, col = position(first.passage, m.start(), m.group())
        yield opening.rule.at(post.source, line, col,
                              f'the opening clears its throat ("{" ".join(m.group().split())}"); start with what '
                              "the reader came for", phrase=m.group().lower())
