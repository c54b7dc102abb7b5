"""`giving build` after posts were edited in place: re-render only the pages that show them.

A successful normal build leaves, beside its manifest (generator/manifest.py), the assembled site as
the templates see it (`save_base`: the posts without the passages only the checks read) and its
findings, stamped with a token the manifest carries too. The next build (`rebuild`) compares a fresh
stat of the inputs with the manifest. If the only files that differ are posts under content/posts/
(same set of files, no config, theme, static or code change), each is parsed again and the site is
patched instead of rebuilt, provided nothing about the post that shapes the rest of the site changed:
its slug, dates, draft state, tags, series, aliases, front matter lines, per-post check settings and
comments, images, heading ids (other posts' anchors point at them), and (with social cards) its title.
Otherwise, and at any doubt, the normal build runs, which is always correct.

Dependencies, rather than guesses: every page of the site is walked as `render.Renderer.render_site`
would render it, and a page is rendered again only if the edited post is reachable from that page's
template context (the post itself, its neighbours, the index page and tag pages that list it, the
archive, the feeds...). The templates themselves are checked before each patch (`templates_reach`): they
may reach posts only through their context, not through the `site` global or `post_of` (apart from
`post_of(question.post_source)` on a site without questions), so a page whose context does not hold
the post cannot show anything of it. The findings are patched the same way: the post's own rules and
the `links` rule for it run again; everything else about it (series, cards, settings) depends only on
what was required to be unchanged. Only files whose bytes changed are written, each renamed in whole.
"""

from __future__ import annotations

import gc
import os
import pickle
import tempfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType

from generator import manifest as stamps
from generator.uptodate import manifest_path

FORMAT = 2  # the site, then its findings and signatures: two pickles in one file
SITE_RULES = {"links", "series"}  # site-wide rules whose dependencies this module knows
KEPT_FIELDS = ("kind", "source", "slug", "date", "updated", "draft", "tags", "series", "series_order",
               "aliases", "image", "image_alt")
# Fields the pages never show and only the checks read: saved as a signature (`_signature`), left out
# of the saved posts (`_slim`), which makes the saved site a good deal quicker to load.
_EMPTY = MappingProxyType({})
SLIM = {"links": (), "lines": _EMPTY, "checks": _EMPTY, "comments": (), "images": ()}  # each as saved
SLIM_FIELDS = tuple(SLIM)
SITE_NAMES = {"config", "pages", "questions"}  # what templates may read of the `site` global


def _paths(site_root: Path) -> tuple[str, str]:
    base = manifest_path(str(site_root))
    return base.replace("uptodate-", "patch-base-").replace(".marshal", ".pickle"), \
        base.replace("uptodate-", "patch-delta-").replace(".marshal", ".pickle")


def templates_reach(chain) -> bool:
    """True if no template can reach a post except through its context (see the module docstring)."""
    import jinja2
    from jinja2 import nodes

    env = jinja2.Environment()
    for folder in chain.template_dirs:
        for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
            try:
                tree = env.parse(path.read_text("utf-8"))
            except (UnicodeDecodeError, jinja2.TemplateSyntaxError):
                return False
            allowed: set[int] = set()
            for node in tree.find_all(nodes.Getattr):
                if isinstance(node.node, nodes.Name) and node.node.name == "site" and node.attr in SITE_NAMES:
                    allowed.add(id(node.node))
                if node.attr in ("passages", "line_of", *SLIM_FIELDS):
                    return False
            for node in tree.find_all(nodes.Getitem):  # post["links"] and the like
                if isinstance(node.arg, nodes.Const) and node.arg.value in ("passages", "line_of", *SLIM_FIELDS):
                    return False
            for node in tree.find_all(nodes.Call):
                if (isinstance(node.node, nodes.Name) and node.node.name == "post_of" and len(node.args) == 1
                        and not node.kwargs and node.dyn_args is None and node.dyn_kwargs is None
                        and isinstance(node.args[0], nodes.Getattr) and node.args[0].attr == "post_source"):
                    allowed.add(id(node.node))
            for node in tree.find_all(nodes.Name):
                if node.name in ("site", "post_of", "post_stats") and id(node) not in allowed:
                    return False
    return True


def save_base(site_root: Path, site, findings, chain, stamp: str) -> bool:
    """After a successful normal build whose manifest carries `stamp`: the light site and the findings,
    for the next `rebuild`. False if the site cannot be patched (then the stamp finds no saved site)."""
    prepared = _prepare(site_root, site)
    return prepared is not None and _write_site(prepared[1], site, stamp) \
        and _commit(*prepared, _rest(site, findings))


def _prepare(site_root: Path, site) -> tuple[str, str] | None:
    """(path, temporary file beside it) for saving `site`, or None (nothing saved) if it cannot be patched.
    The file holds two pickles: the site (`_write_site`), then its findings and signatures (`_rest`),
    and is renamed into place once both are in (`_commit`)."""
    path, delta = _paths(site_root)
    _remove(delta)
    # The templates are judged (`templates_reach`) when a build wants to patch, not here: parsing every
    # template costs ~0.1 s, which every cold build paid, for the next edit's sake.
    if site is None or site.questions or site.questions_by_post or any(p.passages for p in site.posts):
        _remove(path)
        return None
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".patch-", dir=os.path.dirname(path))
        os.close(fd)
    except OSError:
        _remove(path)
        return None
    return path, tmp


def _write_site(tmp: str, site, stamp: str) -> bool:
    # by_source is rebuilt on loading (it holds the same posts), so nothing is shared and the pickler
    # needs no memo; streamed to the file, the ~40 MB at 4,000 posts are never held as bytes as well.
    # The posts are pickled slim (`_slim`) by the pickler itself, without a slim copy of each first.
    data = {"format": FORMAT, "stamp": stamp, "site": replace(site, by_source=MappingProxyType({}))}
    enabled = gc.isenabled()
    gc.disable()
    try:
        with open(tmp, "wb") as fh:
            pickler = pickle.Pickler(fh, protocol=pickle.HIGHEST_PROTOCOL)
            pickler.fast = True
            pickler.dispatch_table = _slim_table(site.posts)
            pickler.dump(data)
        return True
    except (OSError, pickle.PicklingError, TypeError, AttributeError, ValueError, RecursionError):
        return False
    finally:
        if enabled:
            gc.enable()


def _rest(site, findings) -> bytes:
    return pickle.dumps({"findings": sorted(set(map(row, findings))),
                         "signatures": {p.source: _signature(p) for p in site.posts}}, protocol=pickle.HIGHEST_PROTOCOL)


def _commit(path: str, tmp: str, rest: bytes | None) -> bool:
    """Append `rest` to the site in `tmp` and put it in place; with `rest` None (or on failure) remove it."""
    try:
        if rest is not None:
            with open(tmp, "ab") as fh:
                fh.write(rest)
            os.replace(tmp, path)
            return True
    except OSError:
        pass
    _remove(tmp)
    _remove(path)
    return False


def save_base_beside(site_root: Path, site, findings, chain, stamp: str) -> Callable[[bool], bool]:
    """`save_base` started now in a forked child, so that the ~0.1 s (1,000 posts) to ~0.4 s (4,000) of
    pickling the site runs on another core while this process writes the output folder (kernel time,
    mostly). Returns `finish(keep)`, which says whether the site was saved: it makes the findings' and
    signatures' part (`_rest`) here while the child may still be pickling the site, waits for the child
    and puts the file in place; `keep=False` (no manifest was recorded) removes it. Where forking is
    unsafe (other threads running) or impossible, `finish` saves the site there and then instead, only
    if `keep`. Calls after the first change nothing."""
    import threading

    def inline(keep: bool) -> bool:
        return keep and save_base(site_root, site, findings, chain, stamp)

    if threading.active_count() > 1 or not hasattr(os, "fork"):
        return inline
    prepared = _prepare(site_root, site)
    if prepared is None:
        return lambda keep: False
    try:
        pid = os.fork()
    except OSError:
        _remove(prepared[1])
        return inline
    if pid == 0:  # the child: save, and leave without running anything of the parent's (no atexit, no flush)
        code = 1
        try:
            import signal

            signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's; the save is atomic anyway
            code = 0 if _write_site(prepared[1], site, stamp) else 1
        finally:
            os._exit(code)

    done: list[bool] = []

    def finish(keep: bool) -> bool:
        if done:  # once only (the CLI calls it again, with False, on its way out)
            return done[0]
        rest = None
        if keep:
            try:
                rest = _rest(site, findings)
            except (pickle.PicklingError, TypeError, AttributeError, ValueError, RecursionError):
                pass
        while True:
            try:
                _, status = os.waitpid(pid, 0)
                break
            except InterruptedError:  # pragma: no cover - retried by Python itself since 3.5
                continue
        saved = os.waitstatus_to_exitcode(status) == 0
        done.append(_commit(*prepared, rest if saved else None))
        return done[0]

    return finish


def _signature(post) -> str:
    """What of `SLIM_FIELDS` must stay the same for a patch: all but the links (the links rule runs again
    for an edited post; no other post's findings or pages depend on its links)."""
    return repr(tuple(dict(v) if k in ("lines", "checks") else v for k, v in
                      ((f, getattr(post, f)) for f in SLIM_FIELDS if f != "links")))


def _slim(site):
    """The site with the posts' `SLIM_FIELDS` emptied (the templates never read them: `templates_reach`)."""
    from generator.model import with_fields  # dataclasses.replace, in a fifth of the time

    return _swap(site, {p.source: with_fields(p, **SLIM) for p in site.posts})


def _slim_table(posts) -> dict:
    """A pickler's dispatch table that pickles `posts` as `_slim` makes them (any other post whole)."""
    import copyreg
    import dataclasses
    import operator

    from generator.model import Post

    names = [f.name for f in dataclasses.fields(Post)]
    values = operator.attrgetter(*names)
    blank = [(names.index(name), value) for name, value in SLIM.items()]
    slim = {id(p) for p in posts}

    def reduce(post):
        fields = values(post)
        if id(post) in slim:
            fields = list(fields)
            for n, value in blank:
                fields[n] = value
            fields = tuple(fields)
        return Post, fields

    return {**copyreg.dispatch_table, Post: reduce}


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _write(path: str, blob: bytes) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".patch-", dir=os.path.dirname(path))
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(blob)
        os.replace(tmp, path)
    except BaseException:
        _remove(tmp)
        raise


def _load(site_root: Path, stamp: str):
    """(site, findings, signatures, delta) saved by the build that wrote the manifest with `stamp`
    (and the patched builds since), or None."""
    import mmap

    path, delta_path = _paths(site_root)
    try:
        with open(delta_path, "rb") as fh:
            delta = pickle.loads(fh.read())
    except OSError:
        delta = None
    except Exception:  # noqa: BLE001 - damaged: no patching
        return None
    try:
        with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
            base = pickle.load(data)  # from the page cache, without a copy of the file in memory
            if not isinstance(base, dict) or base.get("format") != FORMAT:
                return None
            base.update(pickle.load(data))  # the findings and signatures, written after the site
    except Exception:  # noqa: BLE001
        return None
    site = base["site"]
    site = replace(site, by_source=MappingProxyType({p.source: p for p in (*site.posts, *site.pages)}))
    if delta is None:
        if base["stamp"] != stamp:
            return None
        return site, base["findings"], base["signatures"], \
            {"base": base["stamp"], "stamp": stamp, "posts": {}, "signatures": {}}
    if not isinstance(delta, dict) or delta.get("base") != base["stamp"] or delta.get("stamp") != stamp:
        return None
    if delta["posts"]:
        site = _swap(site, delta["posts"])
    return site, delta["findings"], {**base["signatures"], **delta["signatures"]}, delta


def _swap(site, posts: dict):
    """The site with the posts in `posts` (source -> post) in place of the ones of the same source."""
    new_posts = tuple(posts.get(p.source, p) for p in site.posts)
    by_source = {k: posts.get(k, p) for k, p in site.by_source.items()}
    return replace(site, posts=new_posts, by_source=MappingProxyType(by_source))


def row(finding) -> tuple:
    """A finding as plain data: its sort key, then severity and text (what the CLI prints)."""
    from generator.errors import SEVERITY_RANK

    loc = finding.location
    return (loc.path, loc.line, loc.col, SEVERITY_RANK[finding.severity], finding.rule, finding.message,
            finding.severity, finding.format())


why = ""  # why the last `rebuild` declined (tests and debugging read it)


def _no(reason: str) -> None:
    global why
    why = reason
    return None


class Result:
    """What the patched build prints: `findings` as (severity, text), in order; pages and files."""

    def __init__(self, findings: list[tuple[str, str]], pages: int, files: int, written: int):
        self.findings, self.pages, self.files, self.written = findings, pages, files, written


def run(argv: list[str], version: str) -> bool:
    """`giving build` straight from the command line (generator/cli.py, before click is imported):
    True if the posts edited since the last build were patched in and what the build says is printed."""
    import sys
    import time
    from datetime import datetime, timezone

    from generator.model import BuildOptions
    from generator.uptodate import COLOURS, display, parse_argv

    started = time.perf_counter()
    parsed = parse_argv(argv)
    if parsed is None:
        return False
    site, out, (drafts, future, strict) = parsed
    out = out if out is not None else site + "/public"
    options = BuildOptions(now=datetime.now(timezone.utc), drafts=drafts, future=future)
    try:
        result = rebuild(Path(site), Path(out), options, strict, version)
    except Exception:  # noqa: BLE001 - whatever went wrong, the normal build puts it right
        stamps.forget(site)
        return False
    if result is None:
        return False
    if result.findings:
        colour = sys.stderr.isatty()
        sys.stderr.write("".join(f"\x1b[{COLOURS[s]}m{text}\x1b[0m\n" if colour else text + "\n"
                                 for s, text in result.findings))
        sys.stderr.flush()
    severities = [s for s, _ in result.findings]
    errors, warnings = severities.count("error"), severities.count("warning")
    sys.stdout.write(f"Built {result.pages} pages ({result.files} files) into {display(out)} in "
                     f"{time.perf_counter() - started:.2f} s; {errors} error{'s' * (errors != 1)}, "
                     f"{warnings} warning{'s' * (warnings != 1)}.\n")
    sys.stdout.flush()
    return True


def rebuild(site_root: Path, out: Path, options, strict: bool, version: str) -> Result | None:
    """Patch the last build for posts edited in place, or None: the normal build must run."""
    import marshal

    global why
    why = ""

    site_str, out_str = str(site_root), str(out)
    try:
        with open(manifest_path(site_str), "rb") as fh:
            last = marshal.loads(fh.read())
        flags = [options.drafts, options.future, strict]
        if (last.get("format") != stamps.FORMAT or last["code"] != stamps.code_id(version) or last["options"] != flags
                or last["site"] != os.path.realpath(site_str) or last["out"] != os.path.realpath(out_str)
                or not last.get("stamp")):
            return _no("another manifest format, code, options, site or output folder")
        if last["due"] is not None and options.now.timestamp() >= last["due"]:
            return _no("a scheduled post has come due")
    except Exception:  # noqa: BLE001 - no manifest or a damaged one
        return _no("no manifest")
    from generator.uptodate import hashes_hold, same

    if not same(last["outputs"]) or not hashes_hold(last["hashes"]):
        return _no("the output folder is not what the last build wrote")
    folder = os.path.dirname(manifest_path(site_str))
    try:
        found, racy = stamps.settled(lambda: stamps.inputs(site_str, tuple(last["fonts"])), folder)
    except (stamps.Doubt, OSError):
        return _no("cannot stat the inputs")
    if racy:
        return _no("inputs changing now")
    before, now = dict(last["inputs"]), dict(found)
    if before.keys() != now.keys():
        return _no("files added or removed")
    root = os.path.realpath(site_str)
    posts_dir = os.path.join(root, "content", "posts") + os.sep
    content_dir = os.path.join(root, "content")
    edited = []
    for path, sig in now.items():
        if before[path] == sig:
            continue
        if path.startswith(posts_dir) and path.endswith(".md") and sig is not None and os.path.isfile(path):
            edited.append(path)
        elif not (path == content_dir or path.startswith(content_dir + os.sep)) or sig is None \
                or not os.path.isdir(path):
            return _no("anything but a post or a folder of content/ changed: a real build")
    gc.disable()  # a short run that makes many objects and no cycles worth collecting
    loaded = _load(site_root, last["stamp"])
    if loaded is None:
        return _no("no saved site for this manifest")
    site, old_findings, signatures, delta = loaded
    result = _patch(site_root, out, site, old_findings, signatures, edited, root, options, strict)
    if result is None:
        return None
    site, findings, outputs_written, new_signatures = result
    pages, files = last["pages"], last["files"]
    new_stamp = os.urandom(8).hex()  # as secrets.token_hex(8), without importing secrets (~3 ms)
    try:
        edited_slim = _slim(replace(site, posts=tuple(site.by_source[_rel(p, root)] for p in edited)))
        delta = {"base": delta["base"], "stamp": new_stamp, "findings": findings,
                 "posts": {**delta["posts"], **{p.source: p for p in edited_slim.posts}},
                 "signatures": {**delta["signatures"], **new_signatures}}
        _write(_paths(site_root)[1], pickle.dumps(delta, protocol=pickle.HIGHEST_PROTOCOL))
        listing = dict(last["outputs"])
        touched = set(outputs_written)
        touched |= {os.path.dirname(p) for p in outputs_written}
        update, racy = stamps.settled(lambda: [(p, stamps.sig_of(p)) for p in sorted(touched)], folder)
        listing.update(update)
        hashes = [h for h in last["hashes"] if h[0] not in touched]
        if racy:
            import hashlib

            for path in racy:
                if path not in outputs_written:
                    raise stamps.Doubt("a folder changing now")
                hashes.append((path, hashlib.sha256(outputs_written[path]).hexdigest()))
        last.update(inputs=found, outputs=list(listing.items()), hashes=hashes, stamp=new_stamp,
                    findings=[[r[6], r[7]] for r in findings])
        stamps.write_manifest(site_str, last)
    except Exception:  # noqa: BLE001 - the output is right; only the next build's head start is lost
        stamps.forget(site_str)
    return Result([(r[6], r[7]) for r in findings], pages, files, len(outputs_written))


def _rel(path: str, root: str) -> str:
    return os.path.relpath(path, root).replace(os.sep, "/")


def _patch(site_root: Path, out: Path, site, old_findings, signatures: dict, edited: list[str], root: str, options,
           strict: bool):
    from generator.checks.registry import RULES
    from generator.config import CONFIG_FILE, parse_config
    from generator.content import kind_of, parse_post
    from generator.errors import GivingError
    from generator.markdown import MARK_OPEN
    from generator.model import Post, SourceFile
    from generator.site import _published, post_url
    from generator.theme import load_chain

    if {r.id for r in RULES.values() if r.scope == "site"} - SITE_RULES:
        return _no("a site-wide rule this module does not know the dependencies of")
    try:  # as build.load_config (not imported: this path stays clear of what only full builds need)
        config_text = (site_root / CONFIG_FILE).read_bytes().decode("utf-8", errors="replace")
        config = parse_config(config_text)
        chain = load_chain(config.theme, site_root)
    except (GivingError, OSError):
        return _no("site.toml or the theme cannot be read")
    if not templates_reach(chain):
        return _no("a template can reach posts other than through its context")
    # site.toml and giving are unchanged (stat), so `config` is what the last build parsed; the saved
    # site's own config is what its templates saw (the checks fill in their section), and stays.
    try:
        from generator.checks.links import _ids
    except ImportError:
        return _no("the links rule has changed")
    cards = _cards_on(config)
    full: dict[str, Post] = {}
    light: dict[str, Post] = {}
    for path in edited:
        rel = _rel(path, root)
        if kind_of(rel) != "post":
            return _no("not a post")
        old = site.by_source.get(rel)
        if old is None:
            return _no("not published last time (a draft, a scheduled post): a real build")
        with open(path, "rb") as fh:
            data = fh.read()
        post, problems = parse_post(SourceFile(rel, data), config)
        if post is None or problems or not _published(post, options):
            return _no("the post does not parse cleanly, or is not published")
        if any(getattr(post, f) != getattr(old, f) for f in KEPT_FIELDS) or post.images or post.image \
                or _signature(post) != signatures.get(rel):
            return _no("the post changed more than its text")
        if cards and post.title != old.title:
            return _no("the social card shows the title")
        if MARK_OPEN in post.html or MARK_OPEN in post.summary_html:
            return _no("links to other files: assembly resolves them")
        post = replace(post, url=old.url, og_image=old.og_image)
        if post.url != post_url(post, config) or _ids(post) != _ids(old):
            return _no("the URL or heading ids changed")
        full[rel] = post
        light[rel] = replace(post, passages=())
    new_site = _swap(site, light)

    # findings: the edited posts' own rules and the links rule for them run again
    findings = list(old_findings)
    if full:
        from generator.checks.run import Prepared, check_post, check_whole_site, prepare

        post_rules = {r.id for r in RULES.values() if r.scope == "post"} | {"links"}
        findings = [r for r in findings if not (r[0] in full and r[4] in post_rules)]
        checked_site = _swap(site, full)
        prepared = prepare(replace(checked_site, posts=tuple(full.values()), pages=()), config_text)
        findings += [row(f) for f in prepared.problems if f.location.path in full]  # its settings' problems
        for rel, post in full.items():
            findings += map(row, check_post(post, prepared))
            one = Prepared({rel: prepared.per_post[rel]}, {rel: prepared.quiet[rel]}, ())
            found = check_whole_site(checked_site, one)
            if any(f.rule not in SITE_RULES for f in found):
                return _no("a rule crashed: let the normal build report it")
            findings += [row(f) for f in found if f.rule == "links"]
    findings = sorted(set(findings))
    if any(r[6] == "error" or (strict and r[6] == "warning") for r in findings):
        return _no("errors (or warnings with --strict)")

    # render: the pages whose context reaches an edited post, and the files written without a template
    from generator.render import Renderer, theme_assets

    assets = theme_assets(chain)
    renderer = Renderer(new_site, chain, site_root, assets)
    page = renderer.page

    def only_reaching(template, url, origin, **context):
        if not light or _reaches(context, light.keys()) is False:
            return None
        return page(template, url, origin, **context)

    renderer.page = only_reaching
    skip = set(assets.files) | set(new_site.assets)
    produced = {path: data for path, data in renderer.render_site() if path not in skip}
    if renderer.findings:
        return _no("a template reported a problem")
    out_root = os.path.realpath(out)
    changed: dict[str, bytes] = {}
    for rel, data in produced.items():
        target = os.path.join(out_root, rel)
        try:
            with open(target, "rb") as fh:
                if fh.read() == data:
                    continue
        except OSError:
            return _no("a file the last build did not write: the page set changed")
        changed[target] = data
    _put(out_root, changed)
    return new_site, findings, changed, {rel: _signature(post) for rel, post in full.items()}


def _cards_on(config) -> bool:
    """Social cards on? The parsed [images] table holds every setting with its default; anything
    unexpected counts as on, the stricter case."""
    return config.section("images").get("cards", True) is not False


def _reaches(context: dict, sources) -> bool | None:
    """Can a template reach a post of `sources` from `context`? None if the context holds something
    this cannot see into (then the page is rendered again, to be safe)."""
    from generator.model import Post, Series, Tag

    stack = [context.values()]
    plain = (str, int, float, bool, type(None), Tag, Series)  # tags and series name posts by source only
    while stack:
        for value in stack.pop():
            kind = type(value)
            if kind is Post:
                if value.source in sources:
                    return True
            elif kind in (list, tuple):
                stack.append(value)
            elif kind is dict or kind is MappingProxyType:
                stack.append(value.values())
            elif kind not in plain:
                return None
    return False


def _put(out_root: str, changed: dict[str, bytes]) -> None:
    """Write each changed file in full beside the output folder, then rename it in (as fs.write_output)."""
    if not changed:
        return
    import signal
    import threading

    staging = tempfile.mkdtemp(prefix=f".{os.path.basename(out_root)}.new-", dir=os.path.dirname(out_root))
    try:
        names = {}
        for n, (target, data) in enumerate(changed.items()):
            names[target] = os.path.join(staging, str(n))
            with open(names[target], "wb") as fh:
                fh.write(data)
        main = threading.current_thread() is threading.main_thread()
        held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM}) if main else None
        try:
            for target, name in names.items():
                os.replace(name, target)
        finally:
            if held is not None:
                signal.pthread_sigmask(signal.SIG_SETMASK, held)
    finally:
        import shutil

        shutil.rmtree(staging, ignore_errors=True)
