"""`invitation`: a post should end by inviting its reader to answer.

It passes when one of its last paragraphs (`invitation_window`, default 3) asks the reader a question
(a question with "you" in it, or a short one such as "Thoughts?"), or invites a reply in words (reply,
write back, tell me, let me know, get in touch, leave a comment...), or links to a way to reach the
author (a mailto: link, or the ask or contact page). The site's ask form, shown on every page by the
theme, counts only when the post itself mentions it.
"""

from __future__ import annotations

import re
from typing import Iterator

from generator.checks.prose import WORD, analyse, pronoun, sentences
from generator.checks.registry import CheckFinding, rule
from generator.checks.settings import Settings
from generator.model import Post

_INVITE = re.compile(
    r"\b(?:repl(?:y|ies|ying)|respond|write (?:back|to (?:me|us))|tell (?:me|us)|let (?:me|us) know|"
    r"get in touch|drop (?:me|us) a (?:line|note)|e-?mail (?:me|us)|send (?:me|us|it|them|yours|your|a note)|"
    r"ask (?:me|us)|comments?|hear (?:from you|what you|your)|share (?:yours|your)|contact|"
    r"ask (?:page|form)|(?:ask|contact) (?:it )?on the)\b",
    re.IGNORECASE,
)
# Words each way of inviting a reply holds: _INVITE can only match a text whose lowered form holds
# one of them, unless it has İ, ı or ſ, the only letters that match an ASCII letter in any case
# without lowering to it (a test checks this over all of Unicode).
_INVITE_WORDS = ("repl", "respond", "write ", "tell ", "let ", "get in touch", "drop ", "mail ", "send ",
                 "ask ", "comment", "hear ", "share ", "contact")
_SHORT_QUESTION = 3  # words: "Thoughts?", "Agree or not?"


def _asks_reader(text: str) -> bool:
    if "?" not in text:
        return False  # no sentence can end with one: skip splitting the paragraph into sentences
    for start, end in sentences(text):
        sentence = text[start:end].rstrip(" \"”’')]")
        if not sentence.endswith("?"):
            continue
        words = WORD.findall(sentence)
        if len(words) <= _SHORT_QUESTION or any(pronoun(w) == "reader" for w in words):
            return True
    return False


def _invites(text: str) -> bool:
    """`_INVITE.search(text)`, skipped (in C) when no word it looks for is there."""
    if text.isascii() or not ("İ" in text or "ı" in text or "ſ" in text):
        lowered = text.lower()
        if not any(word in lowered for word in _INVITE_WORDS):
            return False
    return _INVITE.search(text) is not None


def _reaches_author(href: str) -> bool:
    href = href.lower()
    if href.startswith("mailto:"):
        return True
    path = re.split(r"[?#]", href)[0].rstrip("/")
    name = path.rsplit("/", 1)[-1].removesuffix(".md")
    return name in ("ask", "contact", "questions")


@rule("invitation", "The post never invites the reader to answer.", kinds=("post",))
def invitation(post: Post, settings: Settings) -> Iterator[CheckFinding]:
    if post.words < settings.min_words:
        return
    prose = analyse(post.passages)
    tail = [b for b in prose.blocks if b.passage.kind in ("paragraph", "list") and not b.passage.quoted]
    tail = tail[-settings.invitation_window:] if settings.invitation_window else []
    if not tail:
        return
    for block in tail:
        if _asks_reader(block.voice) or _invites(block.voice):
            return
    first_tail_line = tail[0].passage.line
    if any(_reaches_author(link.href) for link in post.links if link.line >= first_tail_line):
        return
    last = tail[-1].passage
    yield invitation.rule.at(post.source, last.line, last.cols[0] if last.cols else 1,
                             "the post never invites the reader to answer; end with a question for them "
                             "or an invitation to reply")
