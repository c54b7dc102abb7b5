"""The build pipeline, read top to bottom: read -> parse -> assemble -> check -> images -> render.

`build()` returns a `BuildResult` (output bytes and findings) and writes no output; the CLI and the
server write it only when there are no errors, so a failed build never touches the output folder (the
CLI may have the render workers put their pages in the hidden folder a fresh output is staged in
beforehand, which it deletes if the build fails).
Unless told not to, it reuses the build cache (generator/cache.py): unchanged files are not parsed
again, unchanged posts not checked again, an unchanged site not rendered again, and when no input at
all changed the last result is returned whole. Every reuse is keyed by the inputs that produced it, so
the result is always byte for byte what a clean build gives.
"""

from __future__ import annotations

import hashlib
import pickle
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable

from generator import __version__
from generator.cache import (BuildState, code_key, digest, dump_outputs, dump_quick, dumps, file_key, load_outputs,
                             load_quick, load_state, parse_key, post_key, site_key, state_names, theme_key,
                             write_record, write_state_head, write_state_rest)
from generator.config import CONFIG_FILE, Config, _key_line, parse_config
from generator.errors import Finding, GivingError, error, has_errors, sorted_findings
from generator.fs import CacheWriter, load_cache_file, read_cache_file, read_sources, read_tree, write_cache_file
from generator.model import BuildOptions, BuildResult
from generator.theme import load_chain

# Markdown, Jinja, the checks and Pillow load only when a build needs them: a build that reuses its last
# result (nothing changed) starts and ends before them.

PACKAGE = Path(__file__).parent


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
          parse: Callable[..., tuple] | None = None, check: Callable[..., list] | None = None,
          cache: bool = True, site_needed: bool = True, info: dict | None = None,
          stage: Callable[[], str | None] | None = None,
          finished: Callable[[BuildResult], None] | None = None) -> BuildResult:
    """`parse` and `check` default to `content.parse_post` and `checks.run_checks`, which then run in
    parallel and through the build cache; the preview server passes its own per-file parse memo, and
    runs the checks itself after the page is up. `cache=False` is a clean build that neither reads nor
    writes the cache. With `site_needed=False` (the CLI) an unchanged site returns its last outputs
    without `site`. `info`, if given, is filled for the CLI's up-to-date manifest (generator/uptodate.py):
    "due" (when the first scheduled post comes due, or None), "questions" (the site has reader
    questions, whose findings change by the day), "fonts" (the card fonts, site-relative) and "chain"
    (the theme chain, for generator/patch.py). `stage`, from the CLI, gives the folder a fresh output is
    being staged in, if the render workers may write their pages there (see `parallel.render_all`);
    "staged" in `info` then names the outputs already written there. `finished`, from the CLI, is
    called with the result of a build that rendered without errors as soon as it is known (`info`
    filled), before the cache files are written: the CLI starts saving the patch base then."""
    progress = progress or Progress()
    info = info if info is not None else {}
    try:
        config, config_text = load_config(site_root)
        chain = load_chain(config.theme, site_root, _key_line(config_text, None, "theme"))
    except GivingError as exc:
        return BuildResult({}, tuple(exc.findings))

    # read
    sources = read_sources(site_root)

    # the cache: what this build may reuse, and the key of the whole build
    cached = parse is None and check is None
    code = code_key(__version__, (data for _, data in read_tree([PACKAGE], (".py",))))
    state_file, outputs_file, quick_file = state_names(site_root)
    keys = parse_key(code, config_text)
    theme_files = read_tree([chain.site_templates, *(t.root for t in chain.themes)])
    theme = theme_key(theme_files)
    # Templates that can reach a post's passages need them kept through rendering (see `_lighter`). Only
    # templates are searched (the site's templates/, the themes' templates/), not the themes' fonts and
    # static files (6 MB for the default theme: ~5 ms a build), which no template can run.
    stats_in_templates = any(b"post_stats" in data or b"passages" in data for name, data in theme_files
                             if name.startswith("0:") or name.partition(":")[2].startswith("templates/"))
    del theme_files
    info["chain"] = chain
    fonts = config.section("images").get("card_fonts", ())
    info["fonts"] = [str(f) for f in fonts] if isinstance(fonts, (list, tuple)) else []
    # Each file's bytes are hashed once: the whole-build key and the parse keys (`file_key`) use this.
    hashed = {s.path: hashlib.sha256(s.data).digest() for s in sources}
    whole = digest(keys, theme, f"{options.drafts}{options.future}", *_font_parts(site_root, config),
                   *(part for path, sha in hashed.items() for part in (path, sha)))
    if cache and cached and not site_needed:
        quick, outputs_key = load_quick(read_cache_file(site_root, quick_file), code)
        if quick[0] == whole and (quick[2] is None or options.now < quick[2]):  # no scheduled post came due
            reused = load_cache_file(site_root, outputs_file, lambda fh: load_outputs(fh, outputs_key))
            if reused is not None:
                findings = pickle.loads(quick[1])
                if quick[3]:  # the site has reader questions: how long they have waited changes daily
                    findings += _question_findings(sources, config, options)[1]
                info.update(due=quick[2], questions=quick[3])
                return BuildResult(reused[0], tuple(sorted_findings(findings)))
    state = (load_cache_file(site_root, state_file, lambda fh: load_state(fh, code)) or BuildState(code)) \
        if cache and cached else BuildState(code)
    if cache and cached:
        # The quick file is written last, so its outputs key is the latest (the state is saved earlier).
        state.outputs_key = load_quick(read_cache_file(site_root, quick_file), code)[1]

    from generator.content import kind_of, parse_post
    from generator.parallel import check_site, early_checks, parse_all, render_all, unchanged_but_url
    from generator.questions import attach as attach_questions, is_question_file
    from generator.site import assemble

    markdown = [s for s in sources if kind_of(s.path)]
    question_files = [s for s in sources if is_question_file(s.path)]  # private: never copied through
    assets = {s.path: s.data for s in sources if not kind_of(s.path) and not s.path.endswith(".md")
              and not is_question_file(s.path)}
    progress.start(len(markdown) * 2)
    file_keys = [file_key(keys, s.path, hashed[s.path]) for s in markdown]
    del hashed
    questions, question_findings = _question_findings(sources, config, options)

    # The state file is written as the build goes: the parsed files (pickled by the workers) as soon as
    # parsing ends, the check findings once the checks ran; what is written is let go, so neither the
    # pickled posts nor a second copy of anything stays in memory beside the posts and the outputs.
    writer = CacheWriter(site_root, state_file) if cache and cached else None

    def save_state() -> None:
        nonlocal writer
        if writer is not None:
            writer.write(lambda fh: write_state_rest(state, fh, ("checked", "site_checked")))
            writer.commit()
            state.checked = {}
            writer = None

    def finish(result: BuildResult) -> BuildResult:
        if cache and cached:
            save_state()  # when the build stopped before the checks
            write_cache_file(site_root, quick_file, dump_quick(state))
        return result

    # parse
    findings: list[Finding] = []
    if cached:
        store = None
        if writer is not None:
            writer.write(lambda fh: write_state_head(state, fh))
            store = lambda key, blob: writer.write(lambda fh: write_record(fh, "parsed", key, blob))  # noqa: E731
        # Each parse worker also runs the per-post checks on the posts it parsed (see `early_checks`).
        # Posts it judged come back without their passages when nothing after the checks reads them.
        results, early = parse_all(markdown, file_keys, config, parse_post, state, progress.advance, store,
                                   early_checks(config, config_text, options),
                                   light=not site_needed and not stats_in_templates, meanwhile=_later_modules)
    else:
        parse = parse or parse_post
        results = [parse(source, config) for source in markdown]
        for _ in markdown:
            progress.advance()
    posts = []
    for post, problems in results:
        findings += problems
        if post:
            posts.append(post)
    findings += question_findings
    due = [p.date for p in posts if p.kind == "post" and p.date and p.date > options.now and not options.future]
    has_questions = bool(question_files)
    key_of = dict(zip((s.path for s in markdown), file_keys))
    parsed_as = {p.source: p for p in posts} if cached else {}
    # The sources' bytes are not needed after parsing (keys and assets have what they need).
    del results, sources, markdown, question_files

    # assemble
    site, problems = assemble(posts, assets, config, options)
    findings += problems
    site, problems = attach_questions(site, questions, posts)
    findings += problems

    # check (editorial checks on what is published; warnings never stop a build)
    if cached:
        post_keys = {p.source: post_key(key_of[p.source], p) for p in (*site.posts, *site.pages)}
        # The workers' findings count for the posts that came out of assembly as the workers assumed.
        early = {p.source: early[p.source][1] for p in (*site.posts, *site.pages)
                 if p.source in early and early[p.source][0] == p.url and unchanged_but_url(p, parsed_as[p.source])}
        findings += check_site(site, config_text, state, post_keys, site_key(keys, site, post_keys), early)
        del early, parsed_as
    else:
        if check is None:
            from generator.checks import run_checks as check
        findings += check(site, config_text)
    save_state()
    if has_errors(findings):
        return finish(BuildResult({}, tuple(sorted_findings(findings)), site))

    # images: metadata stripped, variants and social cards (Pillow, cached in .giving-cache/)
    from generator.images import process_site as process_images  # Pillow loads only when a build gets here

    checked = (*site.posts, *site.pages)
    site, problems = process_images(site, chain, site_root, config_text, cache=cache)
    findings += problems
    if has_errors(findings):
        return finish(BuildResult({}, tuple(sorted_findings(findings)), site))

    # render (or reuse the last outputs, when nothing that reaches a template changed)
    from generator.render import theme_assets

    # Only the posts that images replaced (a new og_image) need their keys again.
    keyed = {p.source: p for p in checked} if cached else {}
    post_keys = {p.source: post_keys[p.source] if keyed.get(p.source) is p else post_key(key_of[p.source], p)
                 for p in (*site.posts, *site.pages)}
    render_key = site_key(keys, site, post_keys, ("theme", theme))
    posts = None  # the parsed posts: the site holds what rendering needs
    if not site_needed and not stats_in_templates:
        site = _lighter(site)
    reused = load_cache_file(site_root, outputs_file, lambda fh: load_outputs(fh, render_key)) \
        if cache and cached and state.outputs_key == render_key else None
    if reused is not None:
        outputs, rendered_findings = reused
        state.hits += 1
    else:
        staged: set[str] = set()
        outputs, rendered_findings = render_all(site, chain, site_root, theme_assets(chain), progress.advance,
                                                cache=cache, stage=stage, staged=staged)
        info["staged"] = staged
        outputs = dict(sorted(outputs.items()))
    findings += rendered_findings
    if has_errors(findings):  # only the render's findings can be errors here: nothing else is saved
        return finish(BuildResult({}, tuple(sorted_findings(findings)), site))
    final = sorted_findings(findings)
    info.update(due=min(due, default=None), questions=has_questions)
    result = BuildResult(outputs, tuple(final), site)
    if finished is not None:
        finished(result)  # the CLI forks the patch base's saver here, beside the cache writes below
    if reused is None and cache and cached:
        write_cache_file(site_root, outputs_file, dump_outputs(render_key, outputs, rendered_findings))
        state.outputs_key = render_key
    if state.outputs_key == render_key:
        # The next build may return this result whole if no file changed and no scheduled post came due.
        quiet = set(question_findings)
        state.quick = (whole, dumps([f for f in final if f not in quiet]), min(due, default=None), has_questions)
    return finish(result)


def _later_modules() -> None:
    """Import what the stages after parsing use (Jinja, the images stage: ~40 ms), while the parse
    workers are busy rather than after them."""
    import generator.images  # noqa: F401
    import generator.render  # noqa: F401


def _font_parts(site_root: Path, config: Config) -> list[bytes | str]:
    """The `[images] card_fonts` files (site-relative, possibly outside content/ and static/), so that
    replacing one without touching site.toml is a change the whole-build key sees."""
    parts: list[bytes | str] = []
    fonts = config.section("images").get("card_fonts", ())
    for rel in fonts if isinstance(fonts, (list, tuple)) else ():
        try:
            data = hashlib.sha256((site_root / str(rel)).read_bytes()).digest()
        except OSError:
            data = b"missing"
        parts += ["font", str(rel), data]
    return parts


def _lighter(site):
    """The site without the posts' passages (prose for the checks, about half of a parsed post), for a
    render whose templates cannot reach them and whose caller does not keep the site."""
    from dataclasses import replace
    from types import MappingProxyType

    light: dict[int, object] = {}

    def strip(post):
        if not post.passages:  # the parse workers sent it without them
            return post
        if id(post) not in light:
            light[id(post)] = replace(post, passages=())
        return light[id(post)]

    return replace(site, posts=tuple(map(strip, site.posts)), pages=tuple(map(strip, site.pages)),
                   by_source=MappingProxyType({k: strip(p) for k, p in site.by_source.items()}))


def _question_findings(sources, config: Config, options: BuildOptions) -> tuple[list, list[Finding]]:
    from generator.questions import is_question_file, parse_questions, unanswered

    questions, problems = parse_questions([s for s in sources if is_question_file(s.path)], config)
    return questions, problems + unanswered(questions, config, options.now)  # depends on the day: not cached

