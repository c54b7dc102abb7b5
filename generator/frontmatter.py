"""Front matter: split the YAML block from the Markdown body, parse and validate it.

Returns plain values plus findings that name the file and line; YAML is read with the C loader when
available (it is several times faster, and front matter is a fifth of a build's parse time).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from datetime import date, datetime, time
from typing import Any, Mapping
from zoneinfo import ZoneInfo

from generator.errors import Finding, error

# PyYAML (~15 ms to import, with the patterns it compiles) is imported only for front matter the plain
# reader below cannot settle, and for reader-question files: most builds never need it.


@lru_cache(maxsize=1)
def _loader() -> Any:
    """PyYAML's safe loader: the C one (LibYAML) when PyYAML has it."""
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_FENCE = re.compile(r"\A---[ \t]*\r?\n(.*?)^---[ \t]*(?:\r?\n|\Z)", re.DOTALL | re.MULTILINE)
_TOP_KEY = re.compile(r"^([A-Za-z_][\w-]*)[ \t]*:", re.MULTILINE)
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

FIELDS = {
    "title": "str",
    "date": "date",
    "updated": "date",
    "draft": "bool",
    "description": "str",
    "tags": "list",
    "series": "str",
    "series_order": "int",
    "slug": "slug",
    "aliases": "aliases",
    "image": "str",
    "image_alt": "str",
    "extra": "dict",
    "checks": "dict",  # per-post editorial check settings, e.g. {reader-focus: off}; see generator/checks
}


@dataclass(frozen=True, slots=True)
class FrontMatter:
    """A file's front matter values, its Markdown body, and the lines they start on."""

    values: Mapping[str, Any]
    body: str
    body_line: int  # 1-based line of the first body line
    lines: Mapping[str, int]  # key -> 1-based line


def split(text: str, path: str) -> tuple[FrontMatter, list[Finding]]:
    """Separate and parse the front matter of `text`; findings say what is wrong and where."""
    match = _FENCE.match(text)
    if not match:
        if text.startswith("---"):
            return _empty(text), [error("front matter starts with --- but never ends; close it with a line of ---",
                                        path, 1, "front-matter")]
        return _empty(text), [error("no front matter; start the file with ---, a title: line, and ---",
                                    path, 1, "front-matter")]
    raw = match.group(1)
    body_line = raw.count("\n") + 3
    lines = {m.group(1): raw.count("\n", 0, m.start()) + 2 for m in _TOP_KEY.finditer(raw)}
    data = _simple_yaml(raw)
    if data is _NOT_SIMPLE:
        import yaml

        try:
            data = yaml.load(raw, Loader=_loader())
        except yaml.YAMLError as exc:
            return _empty(text), [_yaml_error(exc, raw, path)]
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return _empty(text), [error("front matter must be key: value lines", path, 2, "front-matter")]
    return FrontMatter(data, text[match.end():], body_line, lines), []


def _yaml_error(exc: Any, raw: str, path: str) -> Finding:
    """The finding for front matter YAML cannot read. It points at where the broken construct began (an
    unclosed quote, say) when YAML knows it, else where it gave up; never past the last line."""
    mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)
    line = min(mark.line + 2, raw.count("\n") + 1) if mark is not None else 1
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    if context:
        problem = f"{problem} {context}"
    return error(f"front matter is not valid YAML: {problem}; check quoting and indentation", path, line,
                 "front-matter")


# -- the commonest front matter without the YAML parser -------------------------------------------------

_NOT_SIMPLE = object()
_SIMPLE_LINE = re.compile(r"([A-Za-z_][A-Za-z0-9_-]*):(?: +(.*))?")
_ASCII_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")
# What YAML reads as a character of a line (its printable set, less its other line breaks and the BOM).
# (Compiled on first use: its wide ranges take ~5 ms to compile, and most front matter is ASCII.)
_NOT_LINE_TEXT = "[^\n -~\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
_DECIMAL = re.compile(r"0|[1-9][0-9]*")
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
# PyYAML's YAML 1.1 resolvers, for a plain scalar that starts with a letter, digit or underscore: these
# spellings are bools, and the null spellings are left to YAML, as is what starts with a digit (a float,
# an octal or sexagesimal int, a timestamp) but for decimal ints, dates and words. Everything else is a
# string. tests/test_parsers_property.py holds this equal to yaml.load.
_BOOLS = {spelling: value for words, value in (("yes true on", True), ("no false off", False))
          for word in words.split() for spelling in (word, word.capitalize(), word.upper())}
_NULLS = frozenset(("null", "Null", "NULL"))
_FLOW_ITEM_BARS = frozenset("[]{}\"'#:?&*!|>%@`")


def _simple_yaml(raw: str) -> Any:
    """What `yaml.load(raw, Loader=_loader())` gives, computed here when every line is blank or a top-level
    `key: value` whose value is a plain word or phrase, a date (YYYY-MM-DD), a whole number, true/false
    (YAML's spellings), a quoted string without quotes or backslashes inside, a flow list of such words
    and strings (without commas inside), or nothing; `_NOT_SIMPLE` for anything else, which YAML then reads. Plain scalars resolve to types
    as YAML's resolvers resolve them (see `_plain`), and only to those above. tests/test_parsers_property.py holds
    the two equal."""
    if "\r" in raw or "\t" in raw:
        return _NOT_SIMPLE
    if raw.isascii():
        if _ASCII_CONTROL.search(raw):
            return _NOT_SIMPLE
    elif re.search(_NOT_LINE_TEXT, raw):
        return _NOT_SIMPLE
    data: dict[str, Any] = {}
    for line in raw.split("\n"):
        if not line:
            continue
        match = _SIMPLE_LINE.fullmatch(line)
        if match is None:
            return _NOT_SIMPLE
        key, text = match.groups()
        if _plain(key) is not key:
            return _NOT_SIMPLE  # a key YAML reads as a bool or null (yes:, on:, null:)
        value = _scalar(text.rstrip(" ") if text else "")
        if value is _NOT_SIMPLE:
            return _NOT_SIMPLE
        data[key] = value
    return data or None  # YAML gives None for a document of blank lines


def _scalar(text: str) -> Any:
    """One `key: value` line's value (without its edge spaces) in block context."""
    if not text:
        return None
    first = text[0]
    if first == '"' or first == "'":
        inner = text[1:-1]
        if len(text) < 2 or text[-1] != first or first in inner or "\\" in inner:
            return _NOT_SIMPLE
        return inner
    if first == "[":
        if text[-1] != "]":
            return _NOT_SIMPLE
        inner = text[1:-1]
        if not inner.strip(" "):
            return []
        items = []
        for item in inner.split(","):
            item = item.strip(" ")
            if item[:1] == '"' or item[:1] == "'":  # a quoted item: as a quoted value, and without commas
                value = _scalar(item)
            elif not item or not item[0].isalnum() or any(c in _FLOW_ITEM_BARS for c in item):
                return _NOT_SIMPLE
            else:
                value = _plain(item)
            if value is _NOT_SIMPLE:
                return _NOT_SIMPLE
            items.append(value)
        return items
    if not first.isalnum() or ": " in text or " #" in text or text[-1] == ":":
        return _NOT_SIMPLE
    return _plain(text)


def _plain(text: str) -> Any:
    """A plain scalar that starts with a letter, digit or underscore, as YAML resolves and constructs it:
    `text` itself if it is a string, a bool, a decimal int or a date; else `_NOT_SIMPLE`."""
    value = _BOOLS.get(text)
    if value is not None:
        return value
    if text[0] in "0123456789":
        if _DECIMAL.fullmatch(text):
            return int(text)
        if day := _DATE.fullmatch(text):
            try:
                return date(int(day[1]), int(day[2]), int(day[3]))
            except ValueError:
                return _NOT_SIMPLE
        # No float, int or timestamp holds a space without a colon ("10 habits of readers").
        return text if " " in text and ":" not in text else _NOT_SIMPLE
    return _NOT_SIMPLE if text in _NULLS else text


def _empty(text: str) -> FrontMatter:
    return FrontMatter({}, text, 1, {})


def to_datetime(value: Any, tz: ZoneInfo) -> datetime | None:
    """A YAML date, datetime or ISO string as an aware datetime; None if it is not one."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=tz)
    if isinstance(value, date):
        return datetime.combine(value, time(0, 0), tzinfo=tz)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)
    return None


def validate(fm: FrontMatter, path: str, kind: str, tz: ZoneInfo) -> tuple[dict[str, Any], list[Finding]]:
    """Check types and required keys; returns normalised values (dates as aware datetimes)."""
    findings: list[Finding] = []
    out: dict[str, Any] = {}
    line = lambda key: fm.lines.get(key, 1)  # noqa: E731
    for key, value in fm.values.items():
        key = str(key)
        kind_of = FIELDS.get(key)
        if kind_of is None:
            import difflib  # only for a misspelt key

            close = difflib.get_close_matches(key, FIELDS, n=1, cutoff=0.6)
            hint = f'did you mean "{close[0]}"?' if close else "put custom data under extra:"
            findings.append(error(f'unknown front matter key "{key}"; {hint}', path, line(key), "front-matter"))
            continue
        problem = None
        if kind_of == "str":
            if value is None:
                continue
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                value = str(value)
            if not isinstance(value, str):
                problem = "must be text"
            else:
                value = value.strip()
        elif kind_of == "date":
            parsed = to_datetime(value, tz)
            if parsed is None:
                problem = f'"{value}" is not a date; use YYYY-MM-DD or YYYY-MM-DDTHH:MM'
            value = parsed
        elif kind_of == "bool":
            if not isinstance(value, bool):
                problem = f"must be true or false, got {value!r}"
        elif kind_of == "int":
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                problem = f"must be a whole number from 1, got {value!r}"
        elif kind_of == "list":
            if isinstance(value, str):
                value = [v.strip() for v in value.split(",") if v.strip()]
            if not isinstance(value, list) or not all(isinstance(v, (str, int)) and str(v).strip() for v in value):
                problem = "must be a list of names, e.g. [writing, readers]"
            else:
                value = tuple(dict.fromkeys(str(v).strip() for v in value))
        elif kind_of == "slug":
            if not isinstance(value, str) or not SLUG_RE.match(value):
                problem = f"{value!r} is not a slug; use lowercase letters, digits and hyphens, e.g. my-essay"
        elif kind_of == "aliases":
            if isinstance(value, str):
                value = [value]
            if not isinstance(value, list) or not all(isinstance(v, str) and v.startswith("/") for v in value):
                problem = 'must be a list of site paths starting with "/", e.g. ["/old-slug/"]'
            else:
                value = tuple(value)
        elif kind_of == "dict":
            if not isinstance(value, dict):
                problem = "must be a mapping of key: value"
        if problem:
            findings.append(error(f"{key} {problem}", path, line(key), "front-matter"))
        else:
            out[key] = value
    if not out.get("title") and "title" not in {f.message.split(" ")[0] for f in findings}:
        findings.append(error('missing "title"; add a line such as title: "My essay"', path, 1, "front-matter"))
    if kind == "post" and "date" not in fm.values:
        findings.append(error("missing \"date\"; add a line such as date: 2026-03-01", path, 1, "front-matter"))
    return out, findings
