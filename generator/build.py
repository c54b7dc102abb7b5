"""The build pipeline, read top to bottom: read -> parse -> assemble -> render -> write.

`build()` returns a `BuildResult` (output bytes and findings) and writes nothing; the CLI and the
server write it only when there are no errors, so a failed build never touches the output folder.
"""

from __future__ import annotations


from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from generator.checks import run_checks
from generator.config import CONFIG_FILE, Config, _key_line, parse_config
from generator.content import kind_of, parse_post
from generator.errors import Finding, GivingError, error, has_errors, sorted_findings
from generator.fs import read_sources, write_output
from generator.images import process_site as process_images
from generator.model import BuildResult
from generator.questions import attach as attach_questions, is_question_file, parse_questions, unanswered
from generator.render import render, theme_assets
from generator.site import BuildOptions, assemble
from generator.theme import load_chain


@dataclass
class Progress:
    """Callbacks the CLI uses for a progress bar; the pipeline only counts."""

    start: Callable[[int], None] = lambda total: None
    advance: Callable[[], None] = lambda: None


def load_config(site_root: Path) -> tuple[Config, str]:
    path = site_root / CONFIG_FILE
    if not path.is_file():
        raise GivingError([error(f"no {CONFIG_FILE} in {site_root}; run `giving init` to start a site, or "
                                 "pass --site", CONFIG_FILE, 0, "config")])
    text = path.read_bytes().decode("utf-8", errors="replace")
    return parse_config(text), text


def build(site_root: Path, options: BuildOptions, progress: Progress | None = None,
          parse: Callable[..., tuple] = parse_post, check: Callable[..., list] = run_checks) -> BuildResult:
    """`parse` and `check` default to `parse_post` and `run_checks`; the preview server passes a per-file
    parse cache, and runs the checks itself after the page is up."""
    progress = progress or Progress()
    try:
        config, config_text = load_config(site_root)
        chain = load_chain(config.theme, site_root, _key_line(config_text, None, "theme"))
    except GivingError as exc:
        return BuildResult({}, tuple(exc.findings))

    # read
    sources = read_sources(site_root)
    markdown = [s for s in sources if kind_of(s.path)]
    question_files = [s for s in sources if is_question_file(s.path)]  # private: never copied through
    assets = {s.path: s.data for s in sources if not kind_of(s.path) and not s.path.endswith(".md")
              and not is_question_file(s.path)}
    progress.start(len(markdown) * 2)

    # parse
    findings: list[Finding] = []
    posts = []
    for source in markdown:
        post, problems = parse(source, config)
        findings += problems
        if post:
            posts.append(post)
        progress.advance()
    questions, problems = parse_questions(question_files, config)
    findings += problems + unanswered(questions, config, options.now)

    # assemble
    site, problems = assemble(posts, assets, config, options)
    findings += problems
    site, problems = attach_questions(site, questions, posts)
    findings += problems

    # check (editorial checks on what is published; warnings never stop a build)
    findings += check(site, config_text)
    if has_errors(findings):
        return BuildResult({}, tuple(sorted_findings(findings)), site)

    # images: metadata stripped, variants and social cards (Pillow, cached in .giving-cache/)
    site, problems = process_images(site, chain, site_root, config_text)
    findings += problems
    if has_errors(findings):
        return BuildResult({}, tuple(sorted_findings(findings)), site)

    # render
    outputs, problems = render(site, chain, site_root, theme_assets(chain), progress.advance)
    findings += problems
    if has_errors(findings):
        return BuildResult({}, tuple(sorted_findings(findings)), site)
    return BuildResult(dict(sorted(outputs.items())), tuple(sorted_findings(findings)), site)


