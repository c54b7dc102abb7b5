"""The checks' shortcuts give exactly what the plain definitions give: each fast helper is compared
with the slower code it stands for, on random text full of the characters that make it hard."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st

from generator.checks import readability
from generator.checks.prose import _ABBREVIATIONS, sentences

ATOMS = ["word", "Word", "a", "A", "I", "e.g.", "i.e.", "U.S.", "Mr.", "mr", "Dr", "etc", "no", "No", "p", "İ", "ſt",
         ".", "..", "!", "?", "?!", "…", '"', "“", "”", "‘", "’", "'", "(", ")", "[", "]", " ", "  ", "\n", "\t",
         "\u00a0", "\u2009", "\u3000", "\x85", "\x1c", "1", "2020", "B.", "Ph.D", "a.b.c.d.e.f.g.h.i.j.k.l",
         '"' * 18, " " * 24, "\x00", "\x01", "_", "é", "\ud800", *sorted(_ABBREVIATIONS)]
text = st.lists(st.sampled_from(ATOMS), max_size=50).map("".join)


def test_white_space_is_every_character_python_splits_at():
    assert readability._WHITE == "".join(c for c in map(chr, range(0x110000)) if c.isspace())


@settings(max_examples=400, deadline=None)
@given(st.lists(text, min_size=1, max_size=4))
def test_rough_ends_are_the_rough_pattern_splits(texts):
    ends, last_empty = readability._rough_ends(texts)
    for t, n, empty in zip(texts, ends, last_empty, strict=True):
        pieces = readability._ROUGH_END.split(t)
        assert (n, empty) == (len(pieces) - 1, len(pieces) > 1 and not pieces[-1]), t


@settings(max_examples=400, deadline=None)
@given(text, st.sampled_from([1, 2, 3, 5, 8]))
def test_sentences_fit_only_when_every_sentence_fits(t, limit):
    if readability._sentences_fit(t, limit):
        assert all(len(t[start:end].split()) <= limit for start, end in sentences(t))


def test_only_three_letters_match_an_ascii_letter_in_any_case_without_lowering_to_it():
    """What the lowered-text shortcuts (invitation) rely on."""
    import re

    everything = "".join(map(chr, range(0x110000))).encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    odd = {c for x in "abcdefghijklmnopqrstuvwxyz" for c in re.findall(x, everything, re.IGNORECASE)
           if c.lower() != x}
    assert odd == {"İ", "ı", "ſ"}


INVITING = ["reply", "Repl", "RESPOND", "write back", "tell us", "let me know", "get in touch", "drop us a line",
            "e-mail me", "send it", "ask me", "comments", "hear from you", "share yours", "contact", "ask page",
            "ask on the", "İ", "ı", "ſ", "K", "ſend", "aſk me", "wrıte back", "Tell\nme", " ", "?", "word", "x"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(INVITING), max_size=12).map("".join))
def test_invitation_shortcut_is_the_regex(t):
    from generator.checks import invitation

    assert invitation._invites(t) == bool(invitation._INVITE.search(t))


PHRASE_WORDS = ["follow", "me", "(follow", "me.", "buy", "now", "#1", "#", "1", "game", "changer", "game-changer",
                "dm", "admit", "don't", "don’t", "miss", "out", "every", "network", "the", "word", "link", "bio", "x"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(PHRASE_WORDS), max_size=12))
def test_megaphone_anchors_never_rule_out_a_phrase_in_the_text(tokens):
    from generator.checks import megaphone

    phrases = megaphone._phrases(("every network", "don’t stop", "the word"), ("link in bio",))
    flat = " ".join(tokens).replace("’", "'").replace("ʼ", "'")
    possible = megaphone._Anchors(phrases).possible(tokens)
    assert all(i in possible for i, (normalised, _) in enumerate(phrases) if normalised in flat)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(["https://", "HTTP://", "bench.example", "BENCH.EXAMPLE", "bench.exam", "\tple", "/x",
                                 "#a", "#", "?q", "mailto:", "//", " ", "\n", "x.org", "\u212a", ":80"]),
                max_size=5).map("".join))
def test_links_skip_only_what_urlsplit_would_skip(href):
    from urllib.parse import urlsplit

    parts, own = urlsplit(href), "bench.example"
    skipped = "#" not in href and href.strip() and \
        own not in href.replace("\t", "").replace("\r", "").replace("\n", "").lower()
    if skipped:
        assert not (parts.scheme in ("http", "https") and parts.netloc.lower() == own) and not parts.fragment
