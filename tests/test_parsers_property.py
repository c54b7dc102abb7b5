"""Property tests: the front matter and Markdown parsers never crash, and keep their promises."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings, strategies as st

from generator.config import parse_config
from generator.errors import GivingError
from generator.frontmatter import split, validate
from generator.markdown import MARKER_RE, render_markdown

UTC = ZoneInfo("UTC")
fast = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@fast
@given(st.text(max_size=400))
def test_front_matter_never_crashes_on_any_text(text):
    fm, findings = split("---\n" + text + "\n---\nbody\n", "p.md")
    if not findings:
        values, problems = validate(fm, "p.md", "post", UTC)
        for finding in problems:
            assert finding.location.path == "p.md" and finding.location.line >= 1


@fast
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=60)
       .filter(lambda t: t.strip() and t == t.strip()))
def test_any_title_round_trips_through_quoted_yaml(title):
    escaped = title.replace("\\", "\\\\").replace('"', '\\"')
    fm, findings = split(f'---\ntitle: "{escaped}"\ndate: 2026-01-01\n---\n', "p.md")
    assert not findings
    values, problems = validate(fm, "p.md", "post", UTC)
    assert not problems and values["title"] == title


@fast
@given(st.text(max_size=600))
def test_markdown_never_crashes_and_lines_stay_in_the_file(body):
    rendered = render_markdown(body, "content/posts/p.md", first_line=5)
    last = 5 + body.count("\n") + len(body.splitlines()) + 1
    for item in (*rendered.passages, *rendered.links, *rendered.toc):
        assert 5 <= item.line <= last
    assert len({h.id for h in rendered.toc}) == len(rendered.toc), "heading ids must be unique"


@fast
@given(st.text(alphabet="abc <>&\"'`", max_size=40))
def test_code_spans_are_never_prose(code):
    code = code.replace("`", "")
    rendered = render_markdown(f"Before ``{code} `` after.\n", "content/posts/p.md")
    assert rendered.passages[0].text.startswith("Before ") and rendered.passages[0].text.endswith(" after.")
    if code.strip():
        assert code.strip() not in rendered.passages[0].text.replace("Before", "").replace("after.", "")


@fast
@given(st.text(max_size=200))
def test_authors_cannot_forge_internal_link_markers(text):
    rendered = render_markdown(f"Text \ue000{text}\ue001 and more.\n", "content/posts/p.md")
    assert MARKER_RE.findall(rendered.html) == []


@fast
@given(st.text(max_size=300))
def test_config_parser_raises_only_giving_errors(text):
    try:
        parse_config(text)
    except GivingError as exc:
        assert exc.findings and all(f.location.path == "site.toml" for f in exc.findings)
