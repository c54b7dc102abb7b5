"""The voice parser: quotations are not the author's voice, pronouns match in any case and with any
apostrophe, and nothing crashes on real-world (unbalanced, wrong-way) quotation marks."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st

from generator.checks.prose import (PRONOUN, WORD, author_voice, pronoun, pronoun_counts, quoted_spans,
                                    sentences, syllables)

QUOTES = '"“”„«»\'‘’'
prose_text = st.lists(st.sampled_from(list("abcI youwe ,.!?\n") + list(QUOTES) + ["me", "my", "’m", " you "]),
                      max_size=40).map("".join)


def test_paired_quotes_are_blanked_whatever_way_they_curl():
    for text in ('He said "I am great" to you.', "He said “I am great” to you.",
                 "He said ”I am great” to you.", "He said “I am great“ to you.", "He said ‘I am great’ to you."):
        assert pronoun_counts(author_voice(text)) == (0, 1), text


def test_apostrophes_are_not_quotes():
    text = "I’m sure you’re right, and I don't doubt it; the readers’ view is ours."
    assert pronoun_counts(author_voice(text)) == (3, 1)


def test_unbalanced_double_quote_runs_to_the_end_of_the_paragraph():
    # A quotation continued into the next paragraph leaves its closing mark off.
    assert pronoun_counts(author_voice('You said: "I will go, and we will follow')) == (0, 1)


def test_stray_marks_do_not_swallow_the_paragraph():
    text = 'A 12" ruler and ’90s music: I like both, and so do you.'
    assert pronoun_counts(author_voice(text)) == (1, 1)


def test_blockquote_is_all_quoted():
    assert author_voice("I me my\nwe", quoted=True).strip() == ""
    assert "\n" in author_voice("I me my\nwe", quoted=True)


def test_contractions_and_case():
    assert [pronoun(w) for w in ["I", "i", "ME", "I’m", "i've", "WE'RE", "we’ll", "You’d", "YOU'RE", "Y’all"]] == \
        ["self"] * 7 + ["reader"] * 3
    assert [pronoun(w) for w in ["it's", "let's", "I's", "mine's", "youth", "use", "Im"]] == [None] * 7
    assert pronoun_counts("I‘m sure you‘re right; I‘I is not a word") == (1, 1)  # apostrophes curled wrong


@given(prose_text)
@settings(max_examples=300, deadline=None)
def test_voice_never_crashes_and_keeps_offsets(text):
    voice = author_voice(text)
    assert len(voice) == len(text)
    assert [i for i, c in enumerate(voice) if c == "\n"] == [i for i, c in enumerate(text) if c == "\n"]
    for start, end in quoted_spans(text):
        assert 0 <= start < end <= len(text)


@given(st.text(max_size=60), prose_text)
@settings(max_examples=200, deadline=None)
def test_quoted_text_never_counts(outside, inside):
    inside = "".join(c for c in inside if c not in QUOTES and c != "\n")
    outside = "".join(c for c in outside if c not in QUOTES)
    text = f"{outside} “{inside}” {outside}"
    assert pronoun_counts(author_voice(text)) == pronoun_counts(author_voice(f"{outside}  {outside}"))


@given(prose_text)
@settings(max_examples=200, deadline=None)
def test_case_does_not_matter(text):
    assert pronoun_counts(text) == pronoun_counts(text.upper()) == pronoun_counts(text.lower())


@given(st.text(alphabet=st.sampled_from(list("iIyYoOuUmMeEwWrRsSlLdDvVaA'’ʼ‘_-1 .,\n")), max_size=40))
@settings(max_examples=400, deadline=None)
def test_regex_agrees_with_word_by_word(text):
    """The one-pass PRONOUN regex counts exactly what `pronoun` says of each word."""
    words = [pronoun(w) for w in WORD.findall(text)]
    assert pronoun_counts(text) == (words.count("self"), words.count("reader"))
    assert all(m.group() for m in PRONOUN.finditer(text))


def test_sentences_keep_abbreviations_and_initials():
    text = "Dr. Smith met J. R. Tolkien in the U.S. on a Monday. Then he left! Did you?"
    spans = sentences(text)
    assert [text[s:e] for s, e in spans] == ["Dr. Smith met J. R. Tolkien in the U.S. on a Monday.",
                                            "Then he left!", "Did you?"]


def test_syllables_use_pyphen_floored_by_vowel_groups():
    assert syllables("readability") == 5
    assert syllables("the") == 1
    assert syllables("fire") == 1
    assert syllables("conversation") == 4


def test_hyphenation_points_are_pyphens():
    """`hyphenation.Hyphenator` reads pyphen's dictionaries lazily; its points must be pyphen's own."""
    import random

    import pyphen

    from generator.checks.hyphenation import Hyphenator, dictionary_path

    rng = random.Random(7)
    letters = "abcdefghijklmnopqrstuvwxyzéèàüöñçøß’-"
    words = ["", "a", "readability", "conversation", "İstanbul", "ﬁnal", "x" * 40,
             *("".join(rng.choice(letters) for _ in range(rng.randint(1, 16))) for _ in range(1500))]
    assert dictionary_path("en_US") == pyphen.LANGUAGES["en_US"]
    for lang in ("en_US", "en_GB", "de_DE", "ru_RU"):
        path = pyphen.LANGUAGES[pyphen.language_fallback(lang)]
        for left, right in ((1, 1), (2, 3)):
            ours, theirs = Hyphenator(path, left, right), pyphen.Pyphen(filename=path, left=left, right=right)
            assert [ours.positions(w) for w in words] == [list(map(int, theirs.positions(w))) for w in words], lang
