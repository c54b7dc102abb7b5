"""Findings as text for a terminal, JSON, GitHub workflow annotations, or SARIF 2.1.0.

Every formatter takes a `Report` and returns a string; the CLI only prints it.
"""

from __future__ import annotations

import json
from collections import Counter
from itertools import groupby
from typing import Any, Callable

from generator import __version__
from generator.checks.registry import RULES
from generator.checks.run import Report, finding_data
from generator.errors import Finding

FORMATS = ("text", "json", "github", "sarif")
_COLOURS = {"error": "red", "warning": "yellow", "info": "blue"}


def summary(findings: tuple[Finding, ...] | list[Finding], checked: int | None = None) -> dict[str, int]:
    """Counts by severity; "files" is how many files were checked when `checked` is given (the JSON
    summary), else how many have findings (the closing line)."""
    counts = Counter(f.severity for f in findings)
    files = checked if checked is not None else len({f.location.path for f in findings})
    return {"files": files, "errors": counts["error"], "warnings": counts["warning"], "info": counts["info"]}


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def closing_line(report: Report) -> str:
    s = summary(report.findings)
    if not report.findings:
        return f"No problems in {_plural(len(report.files), 'file')}."
    parts = [_plural(s["errors"], "error"), _plural(s["warnings"], "warning"), f"{s['info']} info"]
    return f"{', '.join(parts)} in {_plural(s['files'], 'file')} ({len(report.files)} checked)."


def text(report: Report, style: Callable[..., str] | None = None) -> str:
    """Grouped by file: `path:line:col  severity  message  rule-id`, columns aligned, then a count.
    `style` is click.style (colour) or None (plain)."""
    paint = style or (lambda s, **_: s)
    lines: list[str] = []
    for path, group in groupby(report.findings, key=lambda f: f.location.path):
        group = list(group)
        lines.append(paint(path, bold=True, underline=True))
        where = [_where(f) for f in group]
        width_where = max(len(w) for w in where)
        width_sev = max(len(f.severity) for f in group)
        for f, w in zip(group, where):
            sev = paint(f.severity.ljust(width_sev), fg=_COLOURS[f.severity])
            lines.append(f"  {w.ljust(width_where)}  {sev}  {f.message}  {paint(f.rule, dim=True)}")
        lines.append("")
    s = summary(report.findings)
    colour = "red" if s["errors"] else "yellow" if s["warnings"] else "green"
    lines.append(paint(closing_line(report), fg=colour, bold=True))
    return "\n".join(lines)


def _where(f: Finding) -> str:
    loc = f.location
    return f"{loc.path}:{loc.line or 1}:{loc.col or 1}"


def as_json(report: Report) -> str:
    doc = {
        "version": 1,
        "findings": [finding_data(f) for f in report.findings],
        "stats": {path: dict(stats) for path, stats in report.stats.items()},
        "summary": summary(report.findings, len(report.files)),
    }
    return json.dumps(doc, indent=2, ensure_ascii=False)


def _escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


def github(report: Report) -> str:
    """GitHub Actions workflow commands: `::warning file=...,line=...,col=...,title=rule::message`."""
    command = {"error": "error", "warning": "warning", "info": "notice"}
    out = []
    for f in report.findings:
        loc = f.location
        props = [f"file={_escape_property(loc.path)}"]
        if loc.line:
            props.append(f"line={loc.line}")
            if loc.col:
                props.append(f"col={loc.col}")
        props.append(f"title={_escape_property(f.rule)}")
        out.append(f"::{command[f.severity]} {','.join(props)}::{_escape_data(f.message)}")
    return "\n".join(out)


def sarif(report: Report) -> str:
    """SARIF 2.1.0, one run, paths relative to the site root (`%SRCROOT%`)."""
    level = {"error": "error", "warning": "warning", "info": "note"}
    rule_ids = list(RULES)
    extra = sorted({f.rule for f in report.findings} - set(rule_ids))  # build rules such as front-matter
    rules: list[dict[str, Any]] = [
        {"id": r.id, "name": r.id.replace("-", " ").title().replace(" ", ""),
         "shortDescription": {"text": r.summary},
         "defaultConfiguration": {"level": level[r.severity]}}
        for r in RULES.values()
    ] + [{"id": rid, "shortDescription": {"text": f"giving build check: {rid}"},
          "defaultConfiguration": {"level": "error"}} for rid in extra]
    index = {rule["id"]: i for i, rule in enumerate(rules)}
    results = []
    for f in report.findings:
        loc = f.location
        physical: dict[str, Any] = {"artifactLocation": {"uri": loc.path, "uriBaseId": "%SRCROOT%"}}
        if loc.line:
            physical["region"] = {"startLine": loc.line, **({"startColumn": loc.col} if loc.col else {})}
        result: dict[str, Any] = {
            "ruleId": f.rule,
            "ruleIndex": index[f.rule],
            "level": level[f.severity],
            "message": {"text": f.message},
            "locations": [{"physicalLocation": physical}],
        }
        data = finding_data(f)["data"]
        if data:
            result["properties"] = data
        results.append(result)
    doc = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "giving", "version": __version__, "rules": rules}},
            "originalUriBaseIds": {"%SRCROOT%": {"description": {"text": "The site root (folder of site.toml)."}}},
            "columnKind": "unicodeCodePoints",  # columns count characters, not SARIF's default UTF-16 units
            "results": results,
        }],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False)


def render(report: Report, fmt: str, style: Callable[..., str] | None = None) -> str:
    if fmt == "json":
        return as_json(report)
    if fmt == "github":
        return github(report)
    if fmt == "sarif":
        return sarif(report)
    return text(report, style)


def exit_code(report: Report, strict: bool) -> int:
    s = summary(report.findings)
    return 1 if s["errors"] or (strict and s["warnings"]) else 0
