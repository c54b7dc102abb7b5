"""Running the checks: over an assembled `Site` (for `build` and the preview) or over a site folder
(for `giving check`, which reads, parses and assembles but renders nothing).

Each published post gets its settings (site.toml, then front matter), every rule that is on runs,
findings inside `giving-disable` comments are dropped and the author's severities applied. A rule that
crashes becomes an error finding naming it, never a lost build.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Iterable, Mapping

from generator.checks.prose import analyse
from generator.checks.readability import ease
from generator.checks.registry import RULES, CheckFinding
from generator.checks.settings import (Settings, Suppressions, post_settings, site_settings,
                                       suppressions)
from generator.config import Config
from generator.errors import Finding, error, sorted_findings
from generator.model import Post, Site


@dataclass(frozen=True, slots=True)
class Report:
    """What `giving check` prints: findings, per-post stats, and which files were checked."""

    findings: tuple[Finding, ...]
    stats: Mapping[str, Mapping[str, Any]]
    files: tuple[str, ...]


def _defaults() -> dict[str, str]:
    return {rid: r.severity for rid, r in RULES.items()}


def settings_for(config: Config, config_text: str = "") -> tuple[Settings, list[Finding]]:
    """The site's settings and the problems found in them. A parse worker asks once per post, with the
    same (frozen) config: the last answer is kept, and a fresh list of its findings returned."""
    global _LAST
    defaults = _defaults()
    last = _LAST
    if last is not None and last[0] is config and last[1] == config_text and last[2] == defaults:
        return last[3], list(last[4])
    settings, findings = site_settings(config.section("checks"), defaults, config_text, config.language,
                                       config.base_url)
    _LAST = (config, config_text, defaults, settings, tuple(findings))
    return settings, findings


_LAST: tuple[Config, str, dict[str, str], Settings, tuple[Finding, ...]] | None = None


def _apply(finding: Finding, settings: Settings, quiet: Suppressions) -> Finding | None:
    if quiet.covers(finding.rule, finding.location.line):
        return None
    level = settings.severities.get(finding.rule)
    if level is None and finding.rule in settings.severities:
        return None
    return replace(finding, severity=level) if level and level != finding.severity else finding


def _crash(rule_id: str, path: str, exc: Exception) -> Finding:
    where = traceback.extract_tb(exc.__traceback__)[-1]
    return error(f"check {rule_id} crashed ({type(exc).__name__}: {exc} at {Path(where.filename).name}:"
                 f"{where.lineno}); please report it, and turn the check off for this post meanwhile",
                 path, 0, "checks")


@dataclass(frozen=True, slots=True)
class Prepared:
    """What every rule run needs, worked out once per site: each post's settings and its suppressed
    passages (by post source), and the problems found in them (misspelt rule ids and the like)."""

    per_post: Mapping[str, Settings]
    quiet: Mapping[str, Suppressions]
    problems: tuple[Finding, ...]

    def runs_any(self, post: Post) -> bool:
        """Whether any per-post rule is on for `post` (when none is, `check_post` finds nothing)."""
        settings = self.per_post[post.source]
        return any(rule.scope == "post" and post.kind in rule.kinds and settings.enabled(rule.id)
                   for rule in RULES.values())


def prepare(site: Site, config_text: str = "") -> Prepared:
    site_wide, findings = settings_for(site.config, config_text)
    known, defaults = list(RULES), _defaults()
    per_post: dict[str, Settings] = {}
    quiet: dict[str, Suppressions] = {}
    for post in (*site.posts, *site.pages):
        per_post[post.source], problems = post_settings(post, site_wide, defaults)
        findings += problems
        quiet[post.source], problems = suppressions(post, known)
        findings += problems
    return Prepared(per_post, quiet, tuple(findings))


def check_post(post: Post, prepared: Prepared) -> list[Finding]:
    """The per-post rules that are on for `post`, with its severities and suppressions applied."""
    settings, quiet, found = prepared.per_post[post.source], prepared.quiet[post.source], []
    for rule in RULES.values():
        if rule.scope != "post" or post.kind not in rule.kinds or not settings.enabled(rule.id):
            continue
        try:
            found += filter(None, (_apply(f, settings, quiet) for f in rule.func(post, settings)))
        except Exception as exc:  # noqa: BLE001 - one broken rule must not hide the rest
            found.append(_crash(rule.id, post.source, exc))
    return found


def check_whole_site(site: Site, prepared: Prepared) -> list[Finding]:
    """The site-wide rules (series...), each finding under the settings of the post it names."""
    found = []
    for rule in (r for r in RULES.values() if r.scope == "site"):
        try:
            for finding in rule.func(site, prepared.per_post):
                path = finding.location.path
                kept = (_apply(finding, prepared.per_post[path], prepared.quiet[path])
                        if path in prepared.per_post else finding)
                if kept:
                    found.append(kept)
        except Exception as exc:  # noqa: BLE001
            found.append(_crash(rule.id, "site.toml", exc))
    return found


def run_checks(site: Site, config_text: str = "") -> list[Finding]:
    """Every finding of every rule that is on, for the site's published posts and pages. The build runs
    the same three steps, with the per-post step in parallel and cached (generator/parallel.py)."""
    prepared = prepare(site, config_text)
    findings = list(prepared.problems)
    for post in (*site.posts, *site.pages):
        findings += check_post(post, prepared)
    return findings + check_whole_site(site, prepared)


def post_stats(post: Post, language: str = "en") -> dict[str, Any]:
    """Plain numbers about one post, for reports, the preview and templates."""
    prose = analyse(post.passages)
    stats: dict[str, Any] = {
        "words": post.words,
        "self": prose.self_count,
        "reader": prose.reader_count,
        "reading_minutes": post.reading_minutes,
        "links": len(post.links),
        "images": len(post.images),
    }
    score = ease(prose, language)
    if score:
        stats["sentences"] = score.sentences
        if language.lower().startswith("en"):
            stats["reading_ease"] = round(score.reading_ease, 1)
            stats["grade"] = round(score.grade, 1)
    return stats


def finding_data(finding: Finding) -> dict[str, Any]:
    """A finding as plain data, the shape of `--format json`: lines and columns 1-based, so a finding
    about a whole file (no line known) points at its start, as the text output does."""
    loc = finding.location
    return {"path": loc.path, "line": loc.line or 1, "column": loc.col or 1, "rule": finding.rule,
            "severity": finding.severity, "message": finding.message,
            "data": finding.data_dict() if isinstance(finding, CheckFinding) else {}}


def post_reports(site: Site, config_text: str = "") -> dict[str, dict[str, Any]]:
    """For the preview: per post source, its findings (plain dicts) and stats ("self" I/we words,
    "reader" you words, words, reading ease...). Findings about no post are under their own path."""
    reports: dict[str, dict[str, Any]] = {
        p.source: {"findings": [], "stats": post_stats(p, site.config.language)} for p in (*site.posts, *site.pages)
    }
    for finding in sorted_findings(run_checks(site, config_text)):
        entry = reports.setdefault(finding.location.path, {"findings": [], "stats": {}})
        entry["findings"].append(finding_data(finding))
    return reports


def check_folder(site_root: Path, options, paths: Iterable[str] = ()) -> Report:
    """`giving check`: read, parse and assemble the site, run the checks, render nothing.
    `paths` (site-relative, posix) limit which files' findings are reported; the whole site is still
    read, since links and series need it."""
    from generator.build import load_config
    from generator.content import kind_of, parse_post
    from generator.errors import GivingError
    from generator.fs import read_sources
    from generator.site import assemble

    try:
        config, config_text = load_config(site_root)
    except GivingError as exc:
        return Report(tuple(exc.findings), {}, ())
    sources = read_sources(site_root)
    findings: list[Finding] = []
    posts = []
    for source in (s for s in sources if kind_of(s.path)):
        post, problems = parse_post(source, config)
        findings += problems
        if post:
            posts.append(post)
    assets = {s.path: s.data for s in sources if not kind_of(s.path) and not s.path.endswith(".md")}
    site, problems = assemble(posts, assets, config, options)
    findings += problems
    findings += run_checks(site, config_text)
    # Questions waiting too long are a finding of the site like any other: the same as build and serve.
    from generator.questions import is_question_file, parse_questions, unanswered

    questions, problems = parse_questions([s for s in sources if is_question_file(s.path)], config)
    findings += problems + unanswered(questions, config, options.now)

    wanted = [p.rstrip("/") for p in paths]

    def selected(path: str) -> bool:
        return not wanted or any(w in ("", ".") or path == w or path.startswith(w + "/") for w in wanted)

    checked = sorted(p.source for p in (*site.posts, *site.pages) if selected(p.source))
    stats = {p.source: post_stats(p, config.language) for p in (*site.posts, *site.pages) if selected(p.source)}
    # Findings about site.toml and other non-content files are always shown: they concern every file.
    kept = [f for f in sorted_findings(findings)
            if selected(f.location.path) or not f.location.path.startswith("content/")]
    return Report(tuple(kept), dict(sorted(stats.items())), tuple(checked))


def site_paths(site_root: Path, paths: Iterable[Path]) -> list[str]:
    """Command-line paths (relative to the working folder) as site-relative posix paths; ValueError
    for a path outside the site or one that does not exist."""
    root = site_root.resolve()
    out = []
    for path in paths:
        full = path.resolve()
        if not full.exists():
            raise ValueError(f"{path} does not exist")
        try:
            out.append(full.relative_to(root).as_posix())
        except ValueError:
            raise ValueError(f"{path} is not inside the site {site_root}") from None
    return out
