"""`readability`: very long sentences and paragraphs, and a Flesch reading ease per English post.

Syllables come from pyphen's hyphenation dictionaries (offline, well kept), floored by a vowel-group
count; textstat is avoided because it fetches a dictionary over the network on first use. Blockquotes
and tables are not judged: the author cannot shorten someone else's sentence, and a table is not prose.
"""

from __future__ import annotations

import re
from itertools import chain, filterfalse
from dataclasses import dataclass
from typing import Iterator

from generator.checks.prose import WORD, Prose, analyse, position, sentences, token_syllables
from generator.checks.registry import CheckFinding, rule
from generator.checks.settings import Settings
from generator.model import Post

_PROSE_KINDS = ("paragraph", "list", "footnote")
# Every place a sentence may end, abbreviations included: a fast first pass. Its pieces are never longer
# than real sentences, so a paragraph whose pieces are all short (half the limit, leaving room for an
# "e.g." or "Dr." that joins two) is skipped without the careful split of `sentences`.
_ROUGH_END = re.compile(r"[.!?…][.!?…]*[\"”’')\]]*(?:\s+|$)")  # one class first: scanned in C (see prose)


@dataclass(frozen=True, slots=True)
class Ease:
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
    result = _ease(prose, language)
    if len(_EASES) >= 64:
        _EASES.clear()
    _EASES[key] = (prose, result)
    return result


_EASES: dict[tuple[int, str], tuple[Prose, Ease | None]] = {}


def _ease(prose: Prose, language: str) -> Ease | None:
    texts = [b.passage.text for b in prose.blocks if not b.passage.quoted and b.passage.kind in _PROSE_KINDS]
    joined = "\x00".join(texts)
    tokens = joined.lower().split()  # words as the reader sees them: between spaces
    n_words = len(tokens)
    if not n_words:
        return None
    n_sentences = max(len(_ROUGH_END.findall(joined)), len(texts))
    table = _syllable_table(language)
    for token in set(filterfalse(table.__contains__, tokens)):  # one pass in C; only new tokens are hyphenated
        table[token] = token_syllables(token, language)
    n_syllables = sum(map(table.__getitem__, tokens))
    return Ease(n_sentences, n_words, n_syllables)


_PUNCT = "\"“”‘’'()[]{}.,;:!?…—–-*_/"
_TABLES: dict[str, dict[str, int]] = {}


def _syllable_table(language: str) -> dict[str, int]:
    """Syllables per token (punctuation and all), kept across posts: most words recur."""
    table = _TABLES.setdefault(language, {})
    if len(table) > 200_000:
        table.clear()
    return table


@rule("readability", "Very long sentences and paragraphs; a reading ease below the site's minimum.")
def readability(post: Post, settings: Settings) -> Iterator[CheckFinding]:
    prose = analyse(post.passages)
    max_sentence = settings.readability_sentence_words
    max_paragraph = settings.readability_paragraph_words
    judged = []  # (passage, its lowered words, its rough sentence ends if counted): read once, used twice
    for block in prose.blocks:
        p = block.passage
        if p.quoted or p.kind not in _PROSE_KINDS:
            continue
        # Lengths count words as readers see them, separated by spaces (fast: no regex per sentence).
        # Lowering changes no white space, so these are the words of `p.text.split()`.
        tokens = p.text.lower().split()
        words = len(tokens)
        entry = [p, tokens, None]
        judged.append(entry)
        if max_paragraph and words > max_paragraph:
            yield readability.rule.at(post.source, p.line, p.cols[0] if p.cols else 1,
                                      f"paragraph of {words} words (at most {max_paragraph}); split it "
                                      "where the thought turns", kind="paragraph", words=words)
        if not max_sentence:
            continue
        if words <= max_sentence:
            continue
        pieces = _ROUGH_END.split(p.text)
        entry[2] = len(pieces) - 1  # the pattern has no groups: one piece more than it has matches
        if max(map(len, map(str.split, pieces))) <= max_sentence // 2:
            continue  # no sentence here can be longer than the limit
        for start, end in sentences(p.text):
            count = len(p.text[start:end].split())
            if count > max_sentence:
                first = WORD.search(p.text, start)
                line, col = position(p, first.start() if first else start, first.group() if first else "")
                yield readability.rule.at(post.source, line, col,
                                          f"sentence of {count} words (at most {max_sentence}); "
                                          "break it in two", kind="sentence", words=count)
    minimum = settings.readability_min_ease
    if not minimum or not settings.language.lower().startswith("en") or post.words < settings.min_words:
        return
    score = ease(prose, settings.language)
    if score and score.words >= settings.min_words and score.reading_ease < minimum:
        line, col, where = post.line_of("body"), 1, ""
        hardest = _hardest_paragraph(judged, settings.language)
        if hardest:
            p, paragraph_ease = hardest
            line, col = p.line, p.cols[0] if p.cols else 1
            where = f"; the hardest paragraph starts here (ease {paragraph_ease:.0f})"
        yield readability.rule.at(post.source, line, col,
                                  f"reading ease {score.reading_ease:.0f} for the post (at least {minimum:g}; grade "
                                  f"{score.grade:.1f}){where}: shorter sentences and plainer words will help",
                                  kind="ease", ease=round(score.reading_ease, 1), grade=round(score.grade, 1))


_MIN_PARAGRAPH = 20  # words: shorter paragraphs give too noisy a score to single out


def _hardest_paragraph(judged: list, language: str):
    """(passage, ease) of the author's paragraph with the lowest reading ease, from the syllable table
    `ease` just filled (so no word is hyphenated twice); None when no paragraph is long enough.
    `judged` holds the rule's (passage, lowered words, rough sentence ends or None) per paragraph."""
    table = _syllable_table(language)
    # Every token is in the table but the two beside a paragraph joint in `ease`'s text (joined there
    # into one token); those are counted here, so the score never depends on which posts came before.
    for token in set(filterfalse(table.__contains__,
                                 chain.from_iterable(t for _, t, _ in judged if len(t) >= _MIN_PARAGRAPH))):
        table[token] = token_syllables(token, language)
    worst = None
    for p, tokens, ends in judged:
        if len(tokens) < _MIN_PARAGRAPH:
            continue
        syllables = sum(map(table.__getitem__, tokens))
        n_sentences = max(len(_ROUGH_END.findall(p.text)) if ends is None else ends, 1)
        score = Ease(n_sentences, len(tokens), syllables).reading_ease
        if worst is None or score < worst[1]:
            worst = (p, score)
    return worst
