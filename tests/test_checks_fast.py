"""The checks' per-post shortcuts (one token table per post, sentences checked for many paragraphs at
once) give exactly what the plain definitions give, on random text full of the characters that make
it hard: capitals and lowercase that lower oddly (Σ, İ, ſ), quotation marks, white space of every kind,
abbreviations, and the separators the shortcuts use."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st

from generator.checks import readability
from generator.checks.prose import SEPARATOR, _ABBREVIATIONS, _analyse, pronoun_counts, sentences
from generator.model import Passage

ATOMS = ["word", "Word", "WORD", "a", "A", "I", "me", "my", "We", "you", "You're", "y'all", "I’m", "e.g.", "U.S.",
         "Mr.", "Dr", "etc", "no", "p", "İ", "ſt", "Σ", "ΑΣ", "σς", "ς", "K", ".", "..", "!", "?", "?!", "…", '"', "“",
         "”", "‘", "’", "'", "(", ")", "[", "]", " ", "  ", "\n", "\t", "\u00a0", "\u2009", "\u3000", "\x85", "\x1c",
         "1", "2020", "B.", "Ph.D", "_", "é", "\x00", "\x01", "\x02", "https://i.me/we", "x@y.org",
         *sorted(_ABBREVIATIONS)]
text = st.lists(st.sampled_from(ATOMS), max_size=40).map("".join)
passage = st.builds(Passage, text, st.just(1), st.sampled_from(["paragraph", "list", "heading", "table"]),
                    st.booleans())


@settings(max_examples=500, deadline=None)
@given(st.lists(passage, max_size=6))
def test_token_table_is_each_voice_lowered_and_split(passages):
    prose = _analyse(tuple(passages))
    voices = [b.voice for b in prose.blocks]
    assert prose.voice == SEPARATOR.join(voices)
    assert prose.counts == tuple(map(pronoun_counts, voices))
    if prose.tokens is not None:
        assert prose.block_tokens == [v.lower().split() for v in voices]
        assert prose.tokens == prose.voice.lower().replace(SEPARATOR, f" {SEPARATOR} ").split()


def _fits(t: str, limit: int) -> bool:
    return all(len(t[start:end].split()) <= limit for start, end in sentences(t))


@settings(max_examples=500, deadline=None)
@given(st.lists(text, min_size=1, max_size=4), st.sampled_from([1, 2, 3, 5, 8]))
def test_all_fit_is_exact_for_paragraphs_without_a_risky_word(texts, limit):
    safe = [t for t in texts if not readability._risky(t.lower().split())]
    if safe and all(t.isascii() or "\ud800" not in t for t in safe):
        assert readability._all_fit(safe, limit) == all(_fits(t, limit) for t in safe), safe


def test_all_fit_shows_ordinary_prose_fits():
    texts = ["One sentence here. Another (short) one follows! “Quoted” starts… Then 2020 came.",
             "A list item ends here. \"Next\" one. Done? Yes."]
    assert not any(readability._risky(t.lower().split()) for t in texts)
    assert readability._all_fit(texts, 5) and not readability._all_fit(texts, 4)


PRONOUN_ATOMS = ["I", "i", "I'm", "I’M", "we", "We're", "we'm", "i're", "us", "uſ", "ſ", "ı", "İ", "K", "you", "y'all",
                 "Ours", "x", "_", "'", "’", "ʼ", "‘", " ", "\n", "1", "é", "Σ", "my", "myſelf", "\x00", "-"]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(PRONOUN_ATOMS), max_size=12).map("".join),
       st.lists(st.sampled_from(PRONOUN_ATOMS), max_size=4).map("".join))
def test_first_self_pronoun_is_where_the_pattern_points(block, before):
    from generator.checks.prose import first_self_pronoun, pronoun_regex, pronouns

    offset, word = first_self_pronoun(block)
    expected = next((o for o, is_self in pronouns(block) if is_self), -1)
    assert offset == expected
    if offset >= 0:  # reader-focus matched the any-case pattern there, in the post's joined voice
        voice = before.replace(SEPARATOR, "") + SEPARATOR + block
        m = pronoun_regex().match(voice, len(voice) - len(block) + offset)
        assert word == (m.group() if m else "")


@settings(max_examples=500, deadline=None)
@given(text, st.sampled_from([1, 2, 3]))
def test_sentences_end_is_the_nth_sentence_end(t, n):
    from generator.checks.prose import sentences_end

    spans = sentences(t)[:n]
    assert sentences_end(t, n) == (spans[-1][1] if spans else None)
