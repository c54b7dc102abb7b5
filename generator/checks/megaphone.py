"""`megaphone`: self-promotion and broadcast phrases, in the author's own voice.

Phrases match case-insensitively on word boundaries, with straight or curly apostrophes and any run of
spaces or line breaks between words. Sites add phrases with `megaphone_phrases` and drop built-in ones
with `megaphone_allow`.
"""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import compress
from typing import Iterator

from generator.checks.prose import analyse, lookup
from generator.checks.registry import CheckFinding, rule
from generator.checks.settings import Settings
from generator.model import Post

PHRASES = (
    "follow me", "follow us", "buy now", "order now", "subscribe now", "subscribe to my", "subscribe to our",
    "check out my", "check out our", "#1", "number one bestseller", "like and share", "like and subscribe",
    "smash that", "hit that like button", "hit the like button", "link in bio", "don't miss out",
    "act now", "limited time offer", "sign up today", "tag a friend", "share this with everyone",
    "please share", "retweet this", "go viral", "big announcement", "huge announcement",
    "exciting news", "thought leader", "best-selling author", "award-winning", "as seen on",
    "world-class", "game-changer", "game changer", "in case you missed it", "icymi", "dm me",
    "my latest course", "use my code", "use my link", "affiliate link",
)


def _pattern(phrase: str) -> str:
    words = phrase.strip().split()
    parts = []
    for word in words:
        escaped = re.escape(word).replace("'", "['’ʼ]")
        parts.append(escaped)
    body = r"\s+".join(parts)
    start = r"(?<![\w#])" if phrase[:1].isalnum() or phrase[:1] == "#" else ""
    end = r"(?![\w])" if phrase[-1:].isalnum() else r"(?!\d)"
    return start + body + end


@lru_cache(maxsize=16)
def _phrases(extra: tuple[str, ...], allow: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """(normalised phrase, phrase) pairs: the regex runs only for phrases the text contains."""
    dropped = {" ".join(a.lower().split()) for a in allow}
    phrases = [" ".join(p.split()) for p in dict.fromkeys((*PHRASES, *extra))]
    return tuple((_APOSTROPHES.sub("'", p.lower()), p) for p in phrases if p and p.lower() not in dropped)


@lru_cache(maxsize=512)
def _matcher(phrases: tuple[str, ...]) -> re.Pattern:
    return re.compile("|".join(_pattern(p) for p in sorted(phrases, key=len, reverse=True)), re.IGNORECASE)


_APOSTROPHES = re.compile("[’ʼ]")


class _Anchors:
    """For each phrase, its longest word without an apostrophe (its anchor): a phrase is in the
    flattened voice only if some token of `prose.words` holds its anchor (the anchor is a whole word
    of the phrase, and folding apostrophes changes no other character). Which anchors each distinct
    token holds is worked out once and kept: the test for a post is set work in C."""

    _made: dict[tuple, _Anchors] = {}

    def __init__(self, phrases: tuple[tuple[str, str], ...]):
        self.anchors = []
        self.free = set()  # phrases with no anchor: always possible
        for i, (normalised, _) in enumerate(phrases):
            words = [w for w in normalised.split(" ") if w and "'" not in w]
            if words:
                self.anchors.append((i, max(words, key=len)))
            else:
                self.free.add(i)
        self.known: dict[str, bool] = {}  # every token read so far: whether it holds an anchor
        self.holding: dict[str, frozenset[int]] = {}  # tokens holding some anchor, and whose

    @classmethod
    def of(cls, phrases: tuple[tuple[str, str], ...]) -> _Anchors:
        made = cls._made.get(phrases)
        if made is None:
            if len(cls._made) > 16:
                cls._made.clear()
            made = cls._made[phrases] = cls(phrases)
        return made

    def possible(self, tokens: list[str]) -> set[int]:
        """The phrases that may be in the text of `tokens`: one lookup per token in C (see
        `prose.lookup`), then only the few holding anchors are looked at."""
        flags = lookup(self.known, tokens, self._holds)  # (`holding` depends on the token alone: kept)
        possible = set(self.free)
        holding = self.holding
        for token in set(compress(tokens, flags)):
            possible |= holding[token]
        return possible

    def _holds(self, token: str) -> bool:
        held = frozenset(i for i, anchor in self.anchors if anchor in token)
        if held:
            self.holding[token] = held
        return bool(held)


@rule("megaphone", "Self-promotion and broadcast phrases (\"follow me\", \"buy now\", \"link in bio\").")
def megaphone(post: Post, settings: Settings) -> Iterator[CheckFinding]:
    prose = analyse(post.passages)
    voice = prose.voice
    phrases = _phrases(tuple(settings.megaphone_phrases), tuple(settings.megaphone_allow))
    # One space between words, so a phrase is one substring; apostrophes folded as _APOSTROPHES.sub
    # (neither is white space, so folding after the join is the same). A few characters change
    # length when lowered: then the text is matched as it is, the slow way.
    # Each block's tokens joined by spaces, and the blocks by SEPARATOR with spaces around it: a
    # phrase (no SEPARATOR, no space at either end) is in that text exactly when it is in the
    # flattened voice.
    words = prose.words
    if words is not None:
        possible = _Anchors.of(phrases).possible(words)
        flat = (" \x00 ".join(map(" ".join, prose.block_tokens)).replace("’", "'").replace("ʼ", "'")
                if possible else "")
    else:
        possible = range(len(phrases))
        if len(prose.lowered()) == len(voice):
            flat = " ".join(prose.lowered_words()).replace("’", "'").replace("ʼ", "'")
        else:
            flat = " ".join(voice.split())
    found = []
    for i, (normalised, phrase) in enumerate(phrases):
        if i not in possible or normalised not in flat:
            continue
        found.extend(_matcher((phrase,)).finditer(voice))
    taken = -1
    for m in sorted(found, key=lambda m: (m.start(), -m.end())):
        if m.start() < taken:
            continue  # inside a longer phrase already reported
        taken = m.end()
        _, line, col = prose.position(m.start(), m.group())
        phrase = " ".join(m.group().split())
        yield megaphone.rule.at(post.source, line, col,
                                f'"{phrase}" is a megaphone; say what the reader gains instead, or cut it',
                                phrase=phrase.lower())
