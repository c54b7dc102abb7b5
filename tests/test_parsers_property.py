"""Property tests: the front matter and Markdown parsers never crash, and keep their promises."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import yaml
from hypothesis import HealthCheck, given, settings, strategies as st

from slugify import slugify

from generator.config import parse_config
from generator.content import _PLAIN_SLUG, _slug
from generator.errors import GivingError
from generator.frontmatter import _NOT_SIMPLE, _loader, _simple_yaml, split, validate
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


def _typed(value):
    """A value with the type of every part spelt out (True == 1 and 1 == 1.0 to Python, not to YAML)."""
    if isinstance(value, dict):
        return ("dict", [(_typed(k), _typed(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("list", [_typed(v) for v in value])
    return (type(value).__name__, value)


_keys = st.sampled_from(["title", "date", "tags", "draft", "series_order", "x_y", "a-b", "_k", "yes", "On", "null",
                         "NULL", "y", "n", "true", "12", "a b", "-k", "k"])
_seps = st.sampled_from([":", ": ", ":  ", ":\t", ":x", " :", ": \t"])
_values = st.sampled_from([
    "", " ", "word", "Two words", "it's mine", "C#", "a #c", "a: b", "x:", "a:b", "http://x.org/a?b=c", "yes", "No",
    "off", "TRUE", "tRue", "12", "0", "007", "-3", "+4", "1_000", "1:20", "0x1F", "0o17", "0b11", "1e3", "1.5", ".5",
    "~", "null", "Null", "10 habits of readers", "1 2", "1 :2", "2010-01-01 10:00", "2010-01-01", "2010-1-1", "2010-02-30", "2010-01-01 10:00:00", "2010-01-01T10:00:00Z",
    '"quoted"', '" spaced "', "'single'", "'it''s'", '"a\\nb"', '"a"b', "'a", '"', "''", '""', "[a, b]", "[]", "[ ]",
    "[a, b,]", "[1, two, yes]", "[a b, c-d]", "[a: b]", "[ 'q' ]", '["/old/", "b"]', '["a,b"]', '["a"b]',
    "['it''s']", '["#x", \'y: z\']', '[ "a" , b ]', '["a\\"]', "{a: b}", "- x", "&a x", "*a", "!t x", "|", ">",
    "%x", "@x", "`x`", "é", "café au lait", "x\u00a0y", "\u2028", "\ufeff", "\x85", "a\x7fb", "émoji 😀",
    "[2010-01-01]", "a,b", "a, b", "a [b]", "a {b}", "=", "<<", "y", "n", "yes please", "12 apples"])
_line = st.one_of(st.tuples(_keys, _seps, _values).map("".join), st.sampled_from(["", "# comment", "---", "  x: 1",
                                                                                  "- a", "..."]))


@settings(max_examples=800, deadline=None)
@given(st.lists(_line, max_size=6).map(lambda ls: "\n".join(ls) + "\n") | st.text(max_size=80))
def test_simple_front_matter_reads_as_yaml_does(raw):
    try:
        expected = yaml.load(raw, Loader=_loader())
    except (yaml.YAMLError, ValueError):
        assert _simple_yaml(raw) is _NOT_SIMPLE
        return
    got = _simple_yaml(raw)
    assert got is _NOT_SIMPLE or _typed(got) == _typed(expected)


def test_the_commonest_front_matter_takes_the_simple_path():
    raw = ("title: The sharp summary and the fear\ndate: 2010-01-01\ntags: [craft, python, community]\n"
           "description: Still, every habit remembers an evening.\ndraft: false\nseries_order: 2\n"
           'image_alt: "A photo: the view"\n')
    assert _typed(_simple_yaml(raw)) == _typed(yaml.load(raw, Loader=_loader()))


@fast
@given(st.text(alphabet=st.sampled_from(list("az09-_ .Aé")), max_size=30) | st.from_regex(_PLAIN_SLUG, fullmatch=True))
def test_a_file_name_slug_is_python_slugify_s(name):
    assert _slug(name) == (slugify(name) or "untitled")
