"""Property tests: the checks never crash on arbitrary Markdown, and every finding points inside the file.

Run over `run_checks` on an in-memory site (no files), so hypothesis can try many bodies quickly; one
test goes through `check_folder` to cover reading and front matter too.
"""

from __future__ import annotations

import re

from hypothesis import HealthCheck, example, given, settings, strategies as st

from conftest import NOW, SITE_TOML, post
from generator.checks import RULES, CheckFinding, check_folder, post_stats, run_checks
from generator.config import parse_config
from generator.content import parse_post
from generator.model import SourceFile
from generator.site import BuildOptions, assemble

CONFIG_TEXT = SITE_TOML + "[checks]\nmin_words = 1\ncredit_quote_words = 3\nreadability_sentence_words = 5\n" \
                          "readability_paragraph_words = 8\n"
CONFIG = parse_config(CONFIG_TEXT)

# Pieces an essay is made of, and the Markdown and typography that trip parsers up.
PIECES = [
    "I", "i", "me", "my", "we", "We’re", "I'm", "you", "You’ll", "your", "SHOUT", "NASA", "U.S.", "NOW", "!!",
    "!", "?!", "?", "“", "”", "„", '"', "'", "‘", "’", "«", "»", "> ", ">> ", "# ", "## ", "#### ", "- ", "1. ",
    "\n", "\n\n", "  \n", "\\\n", "`code I me`", "```\nI me\n```\n", "~~~\nx\n~~~", "    indented I\n",
    "[here](#x)", "[you](https://i.me/my)", "<https://i.me/we>", "<me@my.we>", "![](a.png)", "![alt](b.png)",
    "[ref][1]", "\n[1]: /x\n", "<!-- giving-disable -->", "<!-- giving-enable shouting -->",
    "<!-- giving-disable-next-line reader-focus -->", "<!-- I me my -->", "<div>I</div>\n", "follow me",
    "buy now", "the the", "*", "_", "**", "|a|b|\n|-|-|\n|I|me|\n", "[^1]", "\n[^1]: note\n", " ", "\t", "word",
    ".", "Mr.", "e.g.", "é", "İ", "ß", "ﬁ", "\u200b", "\u00a0", "—", "…", "(UNESCO)", "Thoughts?", "reply",
    "\ufeff", "\ue000", "&amp;", "&#x27;", "<br>", "\r\n", "\r", "\x0b", "\u2028",
]
markdown = st.one_of(st.lists(st.sampled_from(PIECES), max_size=80).map("".join),
                     st.text(max_size=300),
                     st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=8)), max_size=40).map("".join))


def findings_for(body: str, title: str = "Arbitrary") -> tuple[str, list]:
    text = post(title, body=body)
    parsed, problems = parse_post(SourceFile("content/posts/x.md", text.encode("utf-8")), CONFIG)
    if parsed is None:
        return text, []
    site, _ = assemble([parsed], {}, CONFIG, BuildOptions(now=NOW))
    if site is None:
        return text, []
    findings = run_checks(site, CONFIG_TEXT)
    for p in (*site.posts, *site.pages):
        post_stats(p)  # what templates and the preview read must not crash either
    return text, findings


def assert_inside(text: str, findings: list) -> None:
    lines = re.split(r"\r\n|\r|\n", text)  # line breaks as Markdown (and editors) count them
    for f in findings:
        assert not (f.rule == "checks" and "crashed" in f.message), f.message
        if isinstance(f, CheckFinding):
            assert f.rule in RULES
            assert 1 <= f.location.line <= len(lines), (f, len(lines))
            assert 1 <= f.location.col <= len(lines[f.location.line - 1]) + 1, (f, lines[f.location.line - 1])


@given(markdown)
@example("\xa0\nfollow me")  # a line of no-break space: markdown-it-py strips it from the paragraph
@settings(max_examples=400, deadline=None)
def test_checks_never_crash_and_positions_point_inside_the_file(body):
    text, findings = findings_for(body)
    assert_inside(text, findings)


@given(st.text(max_size=40), markdown)
@settings(max_examples=150, deadline=None)
def test_any_title_and_body(title, body):
    title = title.replace("\\", "").replace('"', "").replace("\n", " ").replace("\r", " ")
    text, findings = findings_for(body, title)
    assert_inside(text, findings)


@given(markdown)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_check_folder_on_arbitrary_files(make_site, body):
    text = post("Arbitrary", body=body)
    root = make_site({"content/posts/x.md": text, "site.toml": CONFIG_TEXT})
    report = check_folder(root, BuildOptions(now=NOW))
    assert_inside(text, list(report.findings))
