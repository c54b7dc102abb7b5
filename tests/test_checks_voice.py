"""What counts as the author speaking, end to end through a real post: quotations, blockquotes, code,
link URLs, autolinks, e-mail addresses and HTML comments are not the author's voice; case and apostrophes
do not matter; acronyms are not shouting. Each case has its positive and its negative."""

from __future__ import annotations

import pytest

from conftest import NOW, SITE_TOML, post
from generator.checks import check_folder
from generator.site import BuildOptions

CHECKS = "[checks]\nmin_words = 5\n"


def check(make_site, body: str, title: str = "A post", toml: str = CHECKS):
    root = make_site({"content/posts/a.md": post(title, body=body), "site.toml": SITE_TOML + toml})
    report = check_folder(root, BuildOptions(now=NOW))
    return report.findings, report.stats["content/posts/a.md"]


def counts(make_site, body: str) -> tuple[int, int]:
    stats = check(make_site, body)[1]
    return stats["self"], stats["reader"]


def rules(findings, rule: str) -> list[str]:
    return [f"{f.location.line}:{f.location.col} {f.message}" for f in findings if f.rule == rule]


@pytest.mark.parametrize("body, expected", [
    ('She told me: "I am great! We are the best!" and left. Do you see?', (1, 1)),
    ("She said, 'I'm going; we're done,' and you nodded.", (0, 1)),
    ("Then I said ”you are wrong“ and she said “I am not“ to you.", (1, 1)),  # curled the wrong way
    ('He wrote "I will go, and we will follow\n\nYou can guess the rest.', (0, 1)),  # left open
    ("> I am quoting someone. I ME MY WE OUR!\n\nYou read it.", (0, 1)),
    ("Code `I me my we` and you.\n\n```\nI I I me me\n```\n", (0, 1)),
    ("A link [for you](https://example.com/I/me/my/we) here.", (0, 1)),
    ("See <https://i.me/my/we> or write to <me@my.we>; you can.", (0, 1)),
    ("Bare https://i.me/my/we and www.me.com/my too; you see.", (0, 1)),
    ("Text <!-- I me my\nwe --> and you.", (0, 1)),
    ("<!--\nI me my we\n-->\n\nYou.", (0, 1)),
])
def test_only_the_authors_own_words_count(make_site, body, expected):
    assert counts(make_site, body) == expected


def test_the_same_words_outside_quotes_do_count(make_site):
    assert counts(make_site, "I am great, we are the best, and my work is ours. You?") == (4, 1)
    assert counts(make_site, "Mail me at hello@example.org; I read it. You?") == (2, 1)


def test_case_and_apostrophes(make_site):
    body = "i think i’m right; I'm sure, i've seen it, we’re here and WE'LL stay. You’ll, YOU'RE, you'd. Y’all."
    assert counts(make_site, body) == (6, 4)
    assert counts(make_site, "It's the writers’ view and let's see; the readers' letters. Youth.") == (0, 0)


def test_quoted_shouting_is_reported_speech(make_site):
    findings, _ = check(make_site, 'The fan yelled "FOLLOW ME NOW!!!" and you could see why.')
    assert rules(findings, "shouting") == [] and rules(findings, "megaphone") == []
    findings, _ = check(make_site, "FOLLOW ME NOW!!! You could see why.")
    assert len(rules(findings, "shouting")) == 2 and len(rules(findings, "megaphone")) == 1


def test_acronyms_are_not_shouting(make_site):
    body = ("You can read NASA, HTML, CSS, the FBI and CIA files, the U.S. and U.K. reports, chapter IV, "
            "RFC 2616, the UNESCO and NAACP archives, and the Open Editorial Standards (OPENES) list.")
    findings, _ = check(make_site, body)
    assert rules(findings, "shouting") == []


def test_words_in_capitals_are_shouting(make_site):
    findings, _ = check(make_site, "I WANT YOU TO KNOW. YET MORE LOUD. This is IMPORTANT. You?")
    assert [m.split(" is in")[0] for m in rules(findings, "shouting")] == [
        '5:1 "I WANT YOU TO KNOW"', '5:21 "YET MORE LOUD"', '5:44 "IMPORTANT"']


def test_one_interrobang_is_not_a_run(make_site):
    findings, _ = check(make_site, "Really?! You did?")
    assert rules(findings, "shouting") == []
    findings, _ = check(make_site, "Really?!! You did!!")
    assert [r.split(" ")[1] for r in rules(findings, "shouting")] == ['"?!!":', '"!!":']


def test_exclamation_density_waits_for_min_words(make_site):
    body = "Yes! You! Go! Now!\n"
    findings, _ = check(make_site, body, toml="[checks]\nmin_words = 50\n")
    assert rules(findings, "shouting") == []
    findings, _ = check(make_site, body, toml="[checks]\nmin_words = 2\n")
    (density,) = rules(findings, "shouting")
    assert "4 exclamations in 4 words" in density and "at most 5" in density
