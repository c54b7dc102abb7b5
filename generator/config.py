"""`site.toml` -> a frozen, validated `Config`.

Every key the generator understands is declared once in `SCHEMA` (top level) or `SECTIONS` (tables such
as `[checks]`), with its type and default. Anything else is an error naming the key and its line, with a
"did you mean" when a known key is close: misspelt settings are never silently ignored.
"""

from __future__ import annotations

import importlib
import re
import tomllib
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping
from urllib.parse import urlsplit

from generator.errors import Finding, GivingError, error

CONFIG_FILE = "site.toml"


@dataclass(frozen=True, slots=True)
class Option:
    """One site.toml setting: its type, its default and a line saying what it does."""

    type: type | tuple[type, ...]
    default: Any
    doc: str


def _list_of_str(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


SCHEMA: dict[str, Option] = {
    "title": Option(str, "", "The site's name, shown in the header, feeds and cards."),
    "base_url": Option(str, "", "Absolute URL the site is served from, e.g. https://example.org/."),
    "author": Option(str, "", "The author's name, used in feeds and JSON-LD."),
    "language": Option(str, "en", "BCP 47 language tag for <html lang>."),
    "description": Option(str, "", "One sentence about the site, for the home page and feeds."),
    "theme": Option(str, "default", "Theme name: themes/<name>/ in the site, or the bundled default."),
    "permalink": Option(str, "/{slug}/", "URL pattern of posts; {slug} {year} {month} {day}."),
    "posts_per_page": Option(int, 10, "Posts per page on the home page."),
    "feed_items": Option(int, 20, "How many recent posts the feeds carry."),
    "timezone": Option(str, "UTC", "IANA time zone for dates without one, e.g. Europe/Zagreb."),
    "words_per_minute": Option(int, 220, "Reading speed behind the reading time."),
    "copyright": Option(str, "", "Footer line; defaults to the author's name."),
}

# Tables: name -> their keys. Feature modules add their own tables here (e.g. [checks]).
SECTIONS: dict[str, dict[str, Option]] = {}
# Tables whose module registers them on import; imported when a site.toml has the table, so a lazily
# loaded feature (the build imports the checks only when it runs them) still has its keys validated.
SECTION_OWNERS: dict[str, str] = {"checks": "generator.checks"}

# [questions]: reader questions (generator/questions.py).
SECTIONS["questions"] = {
    "form_on_posts": Option(bool, True, "Show the ask form under every post (the /ask/ page always has it)."),
    "form_name": Option(str, "ask", "Name of the Netlify form; pull imports only this form's submissions."),
    "honeypot": Option(str, "bot-field", "Name of the hidden honeypot field; a filled one marks spam."),
    "unanswered_days": Option(int, 7, "Warn when a pending question has waited longer than this; 0: never."),
    "per_page": Option(int, 20, "Questions per page on /questions/."),
    "site_id": Option(str, "", "Netlify site id (or NETLIFY_SITE_ID) for `giving questions pull`."),
}

# [images]: responsive variants, metadata stripping and social cards (generator/images.py).
SECTIONS["images"] = {
    "widths": Option(tuple, [480, 960, 1600], "Widths in pixels of the variants made of each image; never upscaled."),
    "quality": Option(int, 80, "JPEG and WebP quality, 1-100."),
    "webp": Option(bool, True, "Also make WebP variants, offered first in <picture>."),
    "sizes": Option(str, "(min-width: 38rem) 35.5rem, calc(100vw - 2.5rem)",
                    "The sizes attribute: how wide images are shown, so browsers pick a variant."),
    "max_pixels": Option(int, 89_478_485, "Refuse images with more pixels than this (decompression bombs)."),
    "cards": Option(bool, True, "Make a 1200x630 social card for each post and page without its own image."),
    "card_fonts": Option(list, [], "Extra font files (site-relative) tried before the theme's, e.g. a CJK font."),
    "workers": Option(int, 0, "Processes for image work; 0: one per CPU core."),
}

_PERMALINK_FIELDS = {"slug", "year", "month", "day"}


@dataclass(frozen=True, slots=True)
class Config:
    """site.toml, validated: the settings every stage reads, and its other sections as written."""

    title: str
    base_url: str
    author: str
    language: str
    description: str
    theme: str
    permalink: str
    posts_per_page: int
    feed_items: int
    timezone: str
    words_per_minute: int
    copyright: str
    sections: Mapping[str, Mapping[str, Any]] = field(default_factory=lambda: MappingProxyType({}))

    def section(self, name: str) -> Mapping[str, Any]:
        return self.sections.get(name, MappingProxyType({}))

    def absolute(self, path: str) -> str:
        """Absolute URL of a site path such as `/essay/`."""
        return self.base_url.rstrip("/") + "/" + path.lstrip("/")


def _key_line(text: str, table: str | None, key: str) -> int:
    """Line (1-based) where `key` is set inside `table` (None: top level); 0 when not found."""
    current: str | None = None
    key_re = re.compile(r'^\s*["\']?' + re.escape(key) + r'["\']?\s*=')
    for number, line in enumerate(text.splitlines(), 1):
        header = re.match(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?", line)
        if header:
            current = header.group(1).strip("\"'")
            if table is not None and current == table and key == "":
                return number
            continue
        if current == table and key_re.match(line):
            return number
    return 0


def _type_name(kind: type | tuple[type, ...]) -> str:
    names = {str: "a string", int: "an integer", bool: "true or false", float: "a number", list: "a list of strings",
             tuple: "a list of whole numbers"}
    if isinstance(kind, tuple):
        return " or ".join(names.get(k, k.__name__) for k in kind)
    return names.get(kind, kind.__name__)


def _valid_type(value: Any, kind: type | tuple[type, ...]) -> bool:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    for k in kinds:
        if k is list and _list_of_str(value):
            return True
        if k is tuple and isinstance(value, list) and all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            return True  # `tuple` in a schema means a list of integers
        if k is int and isinstance(value, int) and not isinstance(value, bool):
            return True
        if k is float and isinstance(value, (int, float)) and not isinstance(value, bool):
            return True
        if k in (str, bool) and isinstance(value, k):
            return True
    return False


def _check_table(
    data: Mapping[str, Any], schema: Mapping[str, Option], table: str | None, text: str, path: str
) -> tuple[dict[str, Any], list[Finding]]:
    findings: list[Finding] = []
    values = {name: opt.default for name, opt in schema.items()}
    known = list(schema) + ([] if table else list(SECTIONS))
    for key, value in data.items():
        line = _key_line(text, table, key)
        qualified = f"{table}.{key}" if table else key
        if table is None and key in SECTIONS:
            if not isinstance(value, dict):
                findings.append(error(f"[{key}] must be a table", path, line, "config"))
            continue
        if key not in schema:
            import difflib  # only for a misspelt name

            close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
            hint = f'; did you mean "{close[0]}"?' if close else f"; known keys: {', '.join(sorted(known))}"
            findings.append(error(f'unknown key "{qualified}"{hint}', path, line, "config"))
            continue
        if not _valid_type(value, schema[key].type):
            findings.append(
                error(
                    f"{qualified} must be {_type_name(schema[key].type)}, got {value!r}",
                    path, line, "config",
                )
            )
            continue
        values[key] = tuple(value) if isinstance(value, list) else value
    return values, findings


def parse_config(text: str, path: str = CONFIG_FILE) -> Config:
    """Parse and validate the text of `site.toml`; raises `GivingError` listing every problem."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+)", str(exc))
        line = int(match.group(1)) if match else 0
        raise GivingError([error(f"not valid TOML: {exc}", path, line, "config")]) from None

    for name, owner in SECTION_OWNERS.items():
        if name in data and name not in SECTIONS:
            importlib.import_module(owner)
    values, findings = _check_table(data, SCHEMA, None, text, path)
    sections: dict[str, Mapping[str, Any]] = {}
    for name, schema in SECTIONS.items():
        table = data.get(name, {})
        if isinstance(table, dict):
            section_values, section_findings = _check_table(table, schema, name, text, path)
            findings += section_findings
            sections[name] = MappingProxyType(section_values)

    findings += _check_values(values, text, path)
    if findings:
        raise GivingError(findings)
    return Config(**values, sections=MappingProxyType(sections))


def _check_values(values: dict[str, Any], text: str, path: str) -> list[Finding]:
    findings = []
    line = lambda key: _key_line(text, None, key)  # noqa: E731
    if not values["title"]:
        findings.append(error('"title" is required, e.g. title = "My essays"', path, line("title"), "config"))
    url = urlsplit(values["base_url"])
    if url.scheme not in ("http", "https") or not url.netloc:
        findings.append(
            error(
                f'base_url must be an absolute http(s) URL such as "https://example.org/", got {values["base_url"]!r}',
                path, line("base_url"), "config",
            )
        )
    fields = set(re.findall(r"{([^}]*)}", values["permalink"]))
    if not values["permalink"].startswith("/") or "slug" not in fields or fields - _PERMALINK_FIELDS:
        findings.append(
            error(
                f'permalink must start with "/" and contain {{slug}} (allowed: {{slug}} {{year}} {{month}} {{day}}), '
                f"got {values['permalink']!r}",
                path, line("permalink"), "config",
            )
        )
    for key in ("posts_per_page", "feed_items", "words_per_minute"):
        if values[key] < 1:
            findings.append(error(f"{key} must be at least 1, got {values[key]}", path, line(key), "config"))
    try:
        import zoneinfo

        zoneinfo.ZoneInfo(values["timezone"])
    except Exception:
        findings.append(
            error(f'timezone {values["timezone"]!r} is not an IANA time zone such as "Europe/Zagreb"',
                  path, line("timezone"), "config")
        )
    return findings
