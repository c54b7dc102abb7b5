"""Hyphenation points from pyphen's dictionaries, without paying for pyphen's loader on every build.

`pyphen.Pyphen` parses all ~11,000 patterns of a dictionary when it is made (about 0.1 s with the
import, in every build process that checks readability), although a build only ever looks up a few
thousand of them. `Hyphenator` reads the same file and keeps each pattern as written, keyed by its
letters, and works a pattern's numbers out the first time a word needs it, with pyphen's own parsing;
its `positions` are exactly pyphen's (a test compares them on many words). A dictionary this reader
is not sure to read the way pyphen does (hex escapes, nonstandard hyphenation, digits beyond 0-9)
is left to pyphen itself.
"""

from __future__ import annotations

import re
from importlib.util import find_spec
from itertools import compress, filterfalse
from operator import methodcaller, ne
from pathlib import Path

_IGNORED = ("%", "#", "LEFTHYPHENMIN", "RIGHTHYPHENMIN", "COMPOUNDLEFTHYPHENMIN", "COMPOUNDRIGHTHYPHENMIN")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_PARSE = re.compile(r"(\d?)(\D?)").findall  # as pyphen's


def dictionary_path(lang: str) -> Path | None:
    """pyphen's dictionary file for the exact name `lang` (such as "en_US"), found without importing
    pyphen; None when it is not there."""
    spec = find_spec("pyphen")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        path = Path(folder) / "dictionaries" / f"hyph_{lang}.dic"
        if path.is_file():
            return path
    return None


class Hyphenator:
    """`pyphen.Pyphen(filename=path, left=left, right=right).positions`, with patterns parsed lazily.
    Raises ValueError for a dictionary it does not read exactly as pyphen does."""

    def __init__(self, path: Path, left: int, right: int):
        with path.open("rb") as fd:
            encoding = fd.readline().decode()
        if encoding.lower() == "microsoft-cp1251":
            encoding = "cp1251"
        text = path.read_text(encoding)
        if "^^" in text or ("/" in text and "=" in text):
            raise ValueError(f"{path.name}: left to pyphen")
        # (In C: the lines that are not empty and do not start with an ignored word.)
        lines = list(filterfalse(methodcaller("startswith", _IGNORED),
                                 filter(None, map(str.strip, text.split("\n")[1:]))))
        joined = "\n".join(lines)
        if not joined.isascii() and any(c.isdecimal() for c in set(_NON_ASCII.findall(joined))):
            raise ValueError(f"{path.name}: left to pyphen")  # pyphen reads any decimal digit as a number
        # Digits are single bytes in UTF-8, never part of another character's bytes: removed in C.
        data = joined.encode("utf-8")
        letters = data.translate(None, b"0123456789")
        keys = letters.decode("utf-8").split("\n")
        if len(keys) != len(lines):
            raise ValueError(f"{path.name}: left to pyphen")
        pairs = zip(keys, lines)  # a pattern's letters are its key
        # pyphen skips patterns whose numbers are all 0: lines that lose no more without 0 than without
        # every digit (compared in C).
        numbered = list(map(ne, data.translate(None, b"0").split(b"\n"), letters.split(b"\n")))
        if not all(numbered):
            pairs = compress(pairs, numbered)
        self.raw: dict[str, str] = dict(pairs)  # the last of equal keys wins, as in pyphen
        self.patterns: dict[str, tuple[int, tuple[int, ...]]] = {}
        self.maxlen = max(map(len, self.raw))
        self.left, self.right = left, right

    def _pattern(self, key: str) -> tuple[int, tuple[int, ...]]:
        """pyphen's (start offset, values) of one pattern, from its text."""
        tags, values = zip(*[(string, int(i or "0")) for i, string in _PARSE(self.raw[key])])
        start, end = 0, len(values)
        while not values[start]:
            start += 1
        while not values[end - 1]:
            end -= 1
        self.patterns[key] = parsed = (start, values[start:end])
        return parsed

    def positions(self, word: str) -> list[int]:
        """Where `word` may be hyphenated, as `pyphen.Pyphen.positions` (without its data)."""
        right = len(word) - self.right
        word = word.lower()
        pointed_word = f".{word}."
        references = [0] * (len(pointed_word) + 1)
        raw, patterns, maxlen = self.raw, self.patterns, self.maxlen
        for i in range(len(pointed_word) - 1):
            stop = min(i + maxlen, len(pointed_word)) + 1
            for j in range(i + 1, stop):
                key = pointed_word[i:j]
                if key not in raw:
                    continue
                offset, values = patterns.get(key) or self._pattern(key)
                slice_ = slice(i + offset, i + offset + len(values))
                references[slice_] = map(max, values, references[slice_])
        return [i - 1 for i, reference in enumerate(references) if reference % 2 and self.left <= i - 1 <= right]
