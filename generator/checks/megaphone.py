"""`megaphone`: self-promotion and broadcast phrases, in the author's own voice.

Phrases match case-insensitively on word boundaries, with straight or curly apostrophes and any run of
spaces or line breaks between words. Sites add phrases with `megaphone_phrases` and drop built-in ones
with `megaphone_allow`.
"""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import filterfalse
from typing import Iterator

from generator.checks.prose import analyse
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


def _fold(word: str) -> str:
    return word.replace("’", "'").replace("ʼ", "'")


class _Index:
    """Which of a site's phrases a post's text contains, read from its words instead of searching the
    text once per phrase (44 substring searches cost ~0.2 ms a post).

    The text is its lowered words joined by single spaces, apostrophes folded, so a phrase of words
    w1 ... wk can occur in it only where some word ends with w1 (when k > 1), equals one of
    w2 ... w(k-1), or starts with wk (a phrase of one word: some word contains it). Each phrase is
    watched for through one such anchor, its longest word (rare words make few candidates); what each
    distinct word anchors is worked out once and kept for every later post. A post then costs a pass
    in C over its words, and a substring search only for the phrases whose anchor it holds."""

    def __init__(self, phrases: tuple[tuple[str, str], ...]):
        self.phrases = phrases
        self.words = [normalised.split(" ") for normalised, _ in phrases]
        self.anchors = [max(range(len(w)), key=lambda a: (len(w[a]), -a)) for w in self.words]
        kinds: dict[str, list[tuple[int, str]]] = {"single": [], "suffix": [], "prefix": [], "exact": []}
        for i, (words, a) in enumerate(zip(self.words, self.anchors)):
            kind = ("single" if len(words) == 1 else "suffix" if a == 0 else
                    "prefix" if a == len(words) - 1 else "exact")
            kinds[kind].append((i, words[a]))
        self.kinds = kinds
        self.suffixes = tuple(w for _, w in kinds["suffix"])
        self.prefixes = tuple(w for _, w in kinds["prefix"])
        self.exact = {w for _, w in kinds["exact"]}
        self.learned: set[str] = set()  # every word seen so far
        self.bits: dict[str, int] = {}  # word -> bits of the phrases it may anchor, for those that anchor any

    def _learn(self, word: str) -> None:
        folded = _fold(word)
        bits = 0
        kinds = self.kinds
        if folded.endswith(self.suffixes):
            bits |= sum(1 << i for i, w in kinds["suffix"] if folded.endswith(w))
        if folded.startswith(self.prefixes):
            bits |= sum(1 << i for i, w in kinds["prefix"] if folded.startswith(w))
        if folded in self.exact:
            bits |= sum(1 << i for i, w in kinds["exact"] if folded == w)
        for i, w in kinds["single"]:
            if w in folded:
                bits |= 1 << i
        if bits:
            self.bits[word] = bits
        self.learned.add(word)

    def present(self, words: list[str]) -> list[tuple[str, str]]:
        """The (normalised, phrase) pairs the words hold, in the order of `phrases`."""
        learned, table = self.learned, self.bits
        if len(learned) > 200_000:
            learned.clear()
            table.clear()
        if not learned.issuperset(words):  # in C; usually every word is known
            for word in set(filterfalse(learned.__contains__, words)):
                self._learn(word)
        if table.keys().isdisjoint(words):  # in C: the usual case, no word anchors a phrase
            return []
        bits = 0
        for word in table.keys() & words:
            bits |= table[word]
        # The few phrases anchored here: looked up in the text itself, as substrings.
        flat = _fold(" ".join(words))
        return [pair for i, pair in enumerate(self.phrases) if bits >> i & 1 and pair[0] in flat]


@lru_cache(maxsize=16)
def _index(phrases: tuple[tuple[str, str], ...]) -> _Index:
    return _Index(phrases)


@rule("megaphone", "Self-promotion and broadcast phrases (\"follow me\", \"buy now\", \"link in bio\").")
def megaphone(post: Post, settings: Settings) -> Iterator[CheckFinding]:
    prose = analyse(post.passages)
    voice = prose.voice
    # One space between words, so a phrase is one substring; apostrophes folded as _APOSTROPHES.sub
    # (neither is white space, so folding after the join is the same). A few characters change length
    # when lowered: then the text is matched unlowered, the slow way.
    words = prose.lowered_words() if len(prose.lowered()) == len(voice) else voice.split()
    found = []
    for normalised, phrase in _index(_phrases(tuple(settings.megaphone_phrases),
                                              tuple(settings.megaphone_allow))).present(words):
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
