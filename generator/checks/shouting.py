"""`shouting`: words in capitals that are not acronyms, runs of exclamation marks, and too many of them.

Only the author's own prose counts; a quoted shout is reported speech. A word in capitals is taken for
an acronym when it is short (at most four letters) and not a common word shouted (NOW, FREE), when it
holds a digit, when it is a Roman numeral, when it is a well-known long acronym (UNESCO, ASCII), when
the post defines it in parentheses ("... Organization (UNESCO)"), or when the site lists it in
`shouting_acronyms`. Capitalised words in a row (BUY IT NOW) are reported once, as one shout; a row
of three or more short words is a shout even when each could be an acronym (YET MORE LOUD), unless
each is a known one. "?!" is one exclamation mark; "!!", "!?!" and "?!!" are runs. The density
(exclamation marks per 1,000 words) is judged only on posts of at least `min_words`.
"""

from __future__ import annotations

import re
from typing import Iterator

from generator.checks.prose import WORD, analyse
from generator.checks.registry import CheckFinding, rule
from generator.checks.settings import Settings
from generator.model import Post

_UPPER = "A-ZÀ-ÖØ-Þ"
_CAPS = re.compile(rf"[{_UPPER}][{_UPPER}'’]*[{_UPPER}]")
_JOIN = re.compile(r"[ \t\-]+(?:[AI][ \t]+)?")
_EXCLAMATIONS = re.compile(r"[!‼][!?‼¡]*")
_BANGS = re.compile(r"[!‼][!?‼¡]*[!‼]|\?!!+|‼")
_ROMAN = re.compile(r"^M{0,3}(CM|CD|D?C{0,3})(XC|XL|L?X{0,3})(IX|IV|V?I{0,3})$")
SHOUTED = frozenset("""NOW FREE NEW NOT ALL BIG WOW OMG YES NO STOP MUST HUGE BEST EVER BUY SALE HOT
WIN LOVE HATE NEVER ONLY JUST VERY REAL TRUE LAST WHY HOW WHAT YOU ME MY WE OUR THIS THAT IS ARE WAS
AND THE FOR DO DONT DON'T CAN'T WON'T LOOK READ HERE SEE GET GO OUT ONE TOP HIT AMAZING""".split())
# Acronyms longer than four letters that essays use often enough to know without a site list.
KNOWN_ACRONYMS = frozenset("""UNESCO UNICEF NAACP ASCII HTTPS NASDAQ SCOTUS COVID LGBTQ LGBTQIA CAPTCHA
OSHA FEMA NORAD NAFTA ASEAN OECD OPEC NATO FIFA UEFA SNAFU LASER RADAR SCUBA WYSIWYG GNU UNIX POSIX LINUX
MSDOS SQLITE MYSQL DARPA SPARQL YAML TOML JSON HTML XHTML XML CSS RSS ATOM SMTP IMAP OAUTH WCAG ARIA
GDPR HIPAA FERPA CCPA""".split())
_DEFINED = re.compile(rf"\(([{_UPPER}][{_UPPER}'’]*[{_UPPER}])s?\)")  # "... Organization (UNESCO)"
_LONE = re.compile(r"(?:^|(?<=[\s(\[\"“‘'—–\x00]))[AI][ \t]+$")  # a lone A or I just before a run


# ASCII text with each capital made "A", each apostrophe kept and every other character made "x": a
# word in capitals (_CAPS) there holds "AA" or "A'". bytes.translate and the searches run in C; the
# _CAPS scan has no literal to search for.
_CAPITALS = bytes(65 if 65 <= i <= 90 else 39 if i == 39 else 120 for i in range(256))


def _caps_runs(voice: str) -> list[tuple[int, int]]:
    """Spans of words in capitals, neighbours joined by spaces, hyphens or a lone A or I; a lone A or
    I just before a run starts it ("I WANT YOU TO KNOW")."""
    if voice.isascii():
        capitals = voice.encode().translate(_CAPITALS)
        if b"AA" not in capitals and b"A'" not in capitals:
            return []
    runs: list[tuple[int, int]] = []
    for m in _CAPS.finditer(voice):
        start, end = m.span()
        if (start and (voice[start - 1].isalnum() or voice[start - 1] == "_")) or \
                (end < len(voice) and (voice[end].isalnum() or voice[end] == "_")):
            continue
        if runs and _JOIN.fullmatch(voice, runs[-1][1], start):
            runs[-1] = (runs[-1][0], end)
        else:
            lone = _LONE.search(voice, max(0, start - 3), start)
            runs.append((lone.start() if lone else start, end))
    return runs


def _is_acronym(word: str, allowed: set[str] | frozenset[str]) -> bool:
    if word in allowed or word in KNOWN_ACRONYMS or any(ch.isdigit() for ch in word):
        return True
    if _ROMAN.match(word):
        return True
    letters = word.replace("'", "").replace("’", "")
    return len(letters) <= 4 and letters not in SHOUTED


@rule("shouting", "Words in capitals that are not acronyms, runs of exclamation marks, too many of them.")
def shouting(post: Post, settings: Settings) -> Iterator[CheckFinding]:
    allowed = {w.upper() for w in settings.shouting_acronyms}
    title = post.title
    if "!!" in title or any(len(w) > 1 and w.isupper() and not _is_acronym(w, allowed)
                            for w in WORD.findall(title)):
        yield shouting.rule.at(post.source, post.line_of("title"), 1,
                               f'the title "{title}" shouts; a calm title earns more trust', kind="title")
    prose = analyse(post.passages)
    voice = prose.voice
    runs = _caps_runs(voice)
    if runs and "(" in voice:
        allowed |= set(_DEFINED.findall(voice))
    for start, end in runs:
        text = voice[start:end]
        words = [w for w in WORD.findall(text) if len(w) > 1]
        if not words:
            continue
        if len(words) >= 3:  # three short capital words in a row are a shout, not three acronyms
            if all(w in allowed or w in KNOWN_ACRONYMS or any(c.isdigit() for c in w) for w in words):
                continue
        elif all(_is_acronym(w, allowed) for w in words):
            continue
        _, line, col = prose.position(start, text)
        what = f'"{text}"' if len(text) <= 40 else f'"{text[:37]}..."'
        yield shouting.rule.at(post.source, line, col,
                               f"{what} is in capitals; use emphasis (*word*) or let the sentence carry "
                               "the weight (add real acronyms to shouting_acronyms)", kind="capitals")
    ascii = voice.isascii()  # (known without reading the text): then "‼" and "¡" cannot be in it
    if "!" not in voice and (ascii or "‼" not in voice):
        return
    # Every run _BANGS matches holds "‼" or a "!" followed by one of "!?¡" (a "!‼" holds "‼"). Without
    # those, nothing matches and each "!" is an exclamation of its own: substring tests and a count
    # in C give the same answer as the two regex scans, which are slow (no literal to search for).
    runs = "!!" in voice or "!?" in voice or (not ascii and ("‼" in voice or "!¡" in voice))
    for m in _BANGS.finditer(voice) if runs else ():
        _, line, col = prose.position(m.start(), m.group())
        yield shouting.rule.at(post.source, line, col,
                               f'"{m.group()}": one exclamation mark is plenty; most sentences need none',
                               kind="exclamations")
    # A run ("!!!") counts once here: it is already reported above, and density is about how often.
    bangs = len(_EXCLAMATIONS.findall(voice)) if runs else voice.count("!")
    words = max(post.words, 1)
    if post.words >= settings.min_words and bangs >= 3 and bangs * 1000 / words > settings.shouting_max_exclamations:
        per_1000 = bangs * 1000 / words
        first = min(i for i in (voice.find("!"), -1 if ascii else voice.find("‼")) if i >= 0)
        _, line, col = prose.position(first, voice[first])
        yield shouting.rule.at(post.source, line, col,
                               f"{bangs} exclamations in {post.words} words ({per_1000:.3g} per 1,000; at most "
                               f"{settings.shouting_max_exclamations:g}, set by shouting_max_exclamations); keep "
                               "the one that matters most and let the ideas do the exciting",
                               kind="density", exclamations=bangs)
