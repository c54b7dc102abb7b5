"""Settings of the checks: the `[checks]` table of site.toml, front matter `checks:`, and disable comments.

Precedence, lowest first: each rule's default < `[checks]` in site.toml < front matter `checks:` < a
`<!-- giving-disable rule -->` comment for the lines it covers. A misspelt rule id anywhere is an error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Mapping

from generator.config import Option, _key_line
from generator.errors import Finding, error
from generator.model import Post

LEVELS = ("off", "info", "warning", "error")
ALL = "all"

# Thresholds and word lists; rule ids are added as keys by `schema()` (value: one of LEVELS).
THRESHOLDS: dict[str, Option] = {
    "min_words": Option(int, 200, "Posts shorter than this are not judged by post-wide rules "
                                  "(reader-focus, invitation, credit, readability ease)."),
    "reader_focus_ratio": Option(float, 1.0, "reader-focus warns when I/we words exceed you words times this."),
    "shouting_max_exclamations": Option(float, 5.0, "Exclamation marks allowed per 1,000 words."),
    "shouting_acronyms": Option(list, (), "Words in capitals that are acronyms, never shouting (e.g. UNESCO)."),
    "megaphone_phrases": Option(list, (), "Extra self-promotion phrases to flag, matched case-insensitively."),
    "megaphone_allow": Option(list, (), "Built-in megaphone phrases not to flag on this site."),
    "invitation_window": Option(int, 3, "How many final paragraphs may hold the invitation to reply."),
    "credit_quote_words": Option(int, 40, "A quotation this long (in words) needs a named or linked source."),
    "readability_sentence_words": Option(int, 40, "Sentences longer than this many words are flagged."),
    "readability_paragraph_words": Option(int, 180, "Paragraphs longer than this many words are flagged."),
    "readability_min_ease": Option(float, 45.0, "Lowest Flesch reading ease allowed for English posts "
                                                "(0-100, higher is easier; 0 turns the grade off)."),
}


def schema(rule_ids: list[str]) -> dict[str, Option]:
    rules = {rid: Option(str, "", f"Severity of {rid}: off, info, warning or error.") for rid in rule_ids}
    return {**rules, **THRESHOLDS}


@dataclass(frozen=True, slots=True)
class Settings:
    """What one post's checks run with: severities the author set (None = off; a rule not listed keeps
    its findings' own severities) and thresholds."""

    severities: Mapping[str, str | None]
    values: Mapping[str, Any]
    language: str = "en"
    base_url: str = ""

    def __getattr__(self, name: str) -> Any:  # settings.min_words and friends
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(name) from None

    def enabled(self, rule_id: str) -> bool:
        return self.severities.get(rule_id, "default") is not None


def _level(value: Any) -> str | None:
    """A severity as written by an author; YAML reads `off` as False and `on` as True."""
    if value is False:
        return "off"
    if value is True:
        return "on"
    return value.strip().lower() if isinstance(value, str) else None


def _unknown(rule_id: str, known: list[str]) -> str:
    import difflib  # only for a misspelt name

    close = difflib.get_close_matches(rule_id, known, n=1, cutoff=0.6)
    hint = f'did you mean "{close[0]}"?' if close else f"known checks: {', '.join(sorted(known))}"
    return f'unknown check "{rule_id}"; {hint}'


def site_settings(section: Mapping[str, Any], defaults: Mapping[str, str], config_text: str,
                  language: str = "en", base_url: str = "", path: str = "site.toml") -> tuple[Settings, list[Finding]]:
    """Settings from the validated `[checks]` table; findings for bad severities or thresholds."""
    findings: list[Finding] = []
    severities: dict[str, str | None] = {}
    for rid in defaults:
        value = section.get(rid, "")
        if value == "":
            continue
        level = _level(value)
        if level not in LEVELS:
            findings.append(error(f'checks.{rid} must be one of {", ".join(LEVELS)}, got {value!r}', path,
                                  _key_line(config_text, "checks", rid), "config"))
            continue
        severities[rid] = None if level == "off" else level
    values = {key: section.get(key, opt.default) for key, opt in THRESHOLDS.items()}
    for key, value in values.items():
        if isinstance(value, (int, float)) and value < 0:
            findings.append(error(f"checks.{key} must not be negative, got {value}", path,
                                  _key_line(config_text, "checks", key), "config"))
    if values["reader_focus_ratio"] <= 0:
        findings.append(error("checks.reader_focus_ratio must be above 0", path,
                              _key_line(config_text, "checks", "reader_focus_ratio"), "config"))
    return Settings(MappingProxyType(severities), MappingProxyType(values), language, base_url), findings


def post_settings(post: Post, site: Settings, defaults: Mapping[str, str]) -> tuple[Settings, list[Finding]]:
    """Front matter `checks: {rule: off|info|warning|error|on}` applied over the site's settings."""
    if not post.checks:
        return site, []
    findings: list[Finding] = []
    severities = dict(site.severities)
    line = post.line_of("checks")
    for rid, value in post.checks.items():
        rid = str(rid)
        level = _level(value)
        if level not in (*LEVELS, "on"):
            findings.append(error(f'checks: {rid} must be off, on, info, warning or error, got {value!r}',
                                  post.source, line, "checks"))
            continue
        targets = list(defaults) if rid == ALL else [rid]
        if rid != ALL and rid not in defaults:
            findings.append(error(_unknown(rid, list(defaults)), post.source, line, "checks"))
            continue
        for target in targets:
            if level == "off":
                severities[target] = None
            elif level == "on":
                if severities.get(target, "") is None:
                    del severities[target]
            else:
                severities[target] = level
    return Settings(MappingProxyType(severities), site.values, site.language, site.base_url), findings


_DIRECTIVE = re.compile(r"^\s*giving-(disable-next-line|disable|enable)\b(.*)$", re.DOTALL)


@dataclass(frozen=True, slots=True)
class Suppressions:
    """Line ranges where rules are off, from `<!-- giving-disable rule -->` comments."""

    ranges: tuple[tuple[str, int, int], ...]  # (rule id or "all", first line, last line)

    def covers(self, rule_id: str, line: int) -> bool:
        return any((rid == rule_id or rid == ALL) and first <= line <= last for rid, first, last in self.ranges)


NO_SUPPRESSIONS = Suppressions(())


def suppressions(post: Post, known: list[str]) -> tuple[Suppressions, list[Finding]]:
    """Read disable/enable comments. Without ids a comment applies to every rule, as in ESLint."""
    if not post.comments:
        return NO_SUPPRESSIONS, []
    findings: list[Finding] = []
    ranges: list[tuple[str, int, int]] = []
    open_at: dict[str, int] = {}
    end = 1 << 30
    for line, text in post.comments:
        match = _DIRECTIVE.match(text)
        if not match:
            continue
        action, rest = match.groups()
        ids = [r for r in re.split(r"[\s,]+", rest.strip()) if r and r != "--"] or [ALL]
        for rid in ids:
            if rid != ALL and rid not in known:
                findings.append(error(_unknown(rid, known), post.source, line, "checks"))
                continue
            if action == "disable-next-line":
                last_line = line + text.count("\n")
                ranges.append((rid, line, last_line + 1))
            elif action == "disable":
                open_at.setdefault(rid, line)
            elif rid == ALL:
                for other, start in open_at.items():
                    ranges.append((other, start, line))
                open_at.clear()
            elif rid in open_at:
                ranges.append((rid, open_at.pop(rid), line))
    for rid, start in open_at.items():
        ranges.append((rid, start, end))
    return Suppressions(tuple(ranges)), findings
