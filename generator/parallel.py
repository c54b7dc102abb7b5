"""Spread the per-post stages over the machine's cores, and reuse what the build cache already knows.

Parsing and the per-post editorial checks are pure functions of one post, so they split cleanly across
processes. This process works beside workers forked from it (one per other core): they inherit the
loaded modules and the build's data, so a task is just a range of indexes into a list the worker already
holds ("send paths, not big objects"), whoever is free takes the next from one pipe, and only the
workers' results travel back, pickled. Forking is avoided when this process runs other threads (the
preview server), where a fork could inherit a held lock, and for small batches, where starting workers
costs more than it saves; then the same functions run here, one after another.
"""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import re
import signal
import struct
import tempfile
import threading
from typing import Any, Callable, Iterator, Mapping, Sequence

from generator.cache import BuildState, pack_parsed, unpack_parsed
from generator.config import Config
from generator.errors import Finding
from generator.model import Post, Site, SourceFile, with_fields

PARALLEL_FROM = 24  # fewer tasks than this: one process beats forking workers
WARM = 3  # posts parsed and checked before the parse workers are forked (see `unordered`)


def _scratch() -> str | None:
    """Where workers leave their results: a RAM-backed folder when there is one (Linux's /dev/shm, unless
    TMPDIR is set), so that the tens of megabytes a build hands back are never written to the disk and
    deleted again just before the output folder is written (on ext4 both cost kernel time, and fresh
    deletions slow down the writes that follow)."""
    folder = "/dev/shm"
    if os.environ.get("TMPDIR"):  # a temporary folder chosen on purpose wins
        return None
    return folder if os.path.isdir(folder) and os.access(folder, os.W_OK | os.X_OK) else None


SCRATCH = _scratch()


def workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _scratch_file(folder: str | None, prefix: str, start: int) -> str:
    return os.path.join(folder or tempfile.gettempdir(), f"{prefix}{start}.pickle")


def _save(results: Any, prefix: str, start: int) -> int:
    """Leave a chunk's results in a file (in SCRATCH, else the temporary folder); returns which of the two.
    Returned as bytes through a pipe, a render share (~50 MB at 4,000 posts) was held three times at
    once: as objects, pickled, and pickled again; streamed through a file it is only ever held as
    objects, on either side."""
    for where, folder in enumerate((SCRATCH, None)):
        if where == 0 and not SCRATCH:
            continue
        path = _scratch_file(folder, prefix, start)
        try:
            with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as fh:
                pickle.dump(results, fh, protocol=pickle.HIGHEST_PROTOCOL)
            return where
        except OSError:  # a small /dev/shm that filled up (a container's is 64 MB): the disk, then
            with contextlib.suppress(OSError):
                os.unlink(path)
            if folder is None:
                raise
    raise AssertionError("unreachable")


def _load(prefix: str, start: int, where: int) -> Any:
    path = _scratch_file(SCRATCH if where == 0 else None, prefix, start)
    try:
        with open(path, "rb") as fh:
            return pickle.load(fh)
    finally:
        os.unlink(path)


_TASK, _DONE = struct.Struct("<ii"), struct.Struct("<iii")  # (start, end); (start, status, where)


def _child(func: Callable[[Any], Any], items: Sequence[Any], tasks: int, done: int, prefix: str) -> None:
    """A forked worker: take chunks from `tasks` until it is empty, leave each chunk's results in a file
    and say so on `done`. Never returns: the process ends here, whatever happens."""
    status = 1
    try:
        gc.freeze()  # the inherited heap is never traversed by this process's collections (no copying)
        while record := os.read(tasks, _TASK.size):
            start, end = _TASK.unpack(record)
            try:
                results, ok = [func(items[i]) for i in range(start, end)], 0
            except BaseException as exc:  # noqa: BLE001 - handed to the parent, which raises it
                results, ok = _portable(exc), 1
            where = _save(results, prefix, start)
            os.write(done, _DONE.pack(start, ok, where))
            if ok:
                break
        status = 0
    finally:
        os._exit(status)


def _portable(exc: BaseException) -> BaseException:
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:  # noqa: BLE001
        return RuntimeError(f"{type(exc).__name__}: {exc}")


def _forked(func: Callable[[Any], Any], items: Sequence[Any], chunks: Sequence[tuple[int, int]], children: int,
            local: Callable[[Any], Any] | None = None, pull: bool = True) -> Iterator[tuple[int, list[Any], bool]]:
    """See `_working`; the workers are forked before this returns."""
    working = _working(func, items, chunks, children, local, pull)
    next(working)  # forks them
    return working


def _working(func: Callable[[Any], Any], items: Sequence[Any], chunks: Sequence[tuple[int, int]], children: int,
             local: Callable[[Any], Any] | None, pull: bool) -> Iterator[Any]:
    """(start, results, here) for every chunk of `items`, in the order they are done: `children` forked
    workers and this process (unless `pull` is off) take the chunks from one pipe, so whoever is free
    takes the next. This process computes `local(item)` (default `func`) on the chunks it takes, whose
    results stay objects (`here` is True); the workers' results come back pickled, through a file each.
    The caller may do its own work (or let go of results) between two chunks: a worker's finished
    chunks are picked up whenever this process looks, between its own chunks and at the end."""
    local = local or func
    prefix = f"giving-{os.getpid()}-{os.urandom(6).hex()}-"
    tasks_r, tasks_w = os.pipe()
    done_r, done_w = os.pipe()
    pids: list[int] = []
    waiting = {start for start, _ in chunks}
    try:
        os.write(tasks_w, b"".join(_TASK.pack(start, end) for start, end in chunks))  # fits: see `_chunks`
        os.close(tasks_w)
        tasks_w = -1
        for _ in range(children):
            pid = os.fork()
            if pid == 0:  # pragma: no cover - the worker (coverage does not follow it)
                os.close(done_r)
                _child(func, items, tasks_r, done_w, prefix)
            pids.append(pid)
        os.close(done_w)
        done_w = -1
        pending = b""
        yield None  # the workers are running

        def arrived(block: bool) -> Iterator[tuple[int, list[Any], bool]]:
            nonlocal pending
            os.set_blocking(done_r, block)
            try:
                data = os.read(done_r, _DONE.size * 64)
            except BlockingIOError:
                return
            if not data:  # every worker has ended
                if block and waiting:
                    raise RuntimeError(f"a build worker stopped before it finished ({len(waiting)} chunks lost)")
                return
            pending += data
            while len(pending) >= _DONE.size:
                start, status, where = _DONE.unpack_from(pending)
                pending = pending[_DONE.size:]
                results = _load(prefix, start, where)
                if status:
                    raise results
                waiting.discard(start)
                yield start, results, False

        while pull:
            record = os.read(tasks_r, _TASK.size)
            if not record:
                break
            start, end = _TASK.unpack(record)
            results = [local(items[i]) for i in range(start, end)]
            waiting.discard(start)
            yield start, results, True
            yield from arrived(False)
        while waiting:
            yield from arrived(True)
    finally:
        for fd in (tasks_r, tasks_w, done_r, done_w):
            if fd >= 0:
                os.close(fd)
        for pid in pids:
            with contextlib.suppress(OSError):
                if waiting:  # stopped early (an error, or Ctrl-C): the workers' results are not wanted
                    os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
        for start in waiting:  # what a stopped build leaves: no temporary files behind
            for folder in (SCRATCH, None):
                with contextlib.suppress(OSError):
                    os.unlink(_scratch_file(folder, prefix, start))


def _parallel(items: Sequence[Any], count: int, force: bool) -> bool:
    return hasattr(os, "fork") and (force or (len(items) >= PARALLEL_FROM and count >= 2
                                              and threading.active_count() == 1))


def map_forked(func: Callable[[Any], Any], items: Sequence[Any], count: int | None = None,
               force: bool = False) -> list[Any]:
    """`[func(item) for item in items]`, computed by forked workers when that pays (or always, with
    `force`); see `imap_forked`."""
    return list(imap_forked(func, items, count, force))


def imap_forked(func: Callable[[Any], Any], items: Sequence[Any], count: int | None = None,
                force: bool = False) -> Iterator[Any]:
    """`func(item)` for each item in order, computed by this process and `count - 1` forked workers when
    that pays (or always, with `force`); see `unordered`."""
    count = count or workers()
    if not _parallel(items, count, force):
        yield from map(func, items)
        return
    held: dict[int, list[Any]] = {}
    start = 0
    for first, results, _ in unordered(func, items, count, force):
        held[first] = results
        while start in held:
            results = held.pop(start)
            yield from results
            start += len(results)


def unordered(func: Callable[[Any], Any], items: Sequence[Any], count: int | None = None, force: bool = False,
              local: Callable[[Any], Any] | None = None, warm: int = 0, first: int = 0,
              meanwhile: Callable[[], Any] | None = None) -> Iterator[tuple[int, list[Any], bool]]:
    """(start, results, here) for chunks of `items` covering them all, as `_forked` gives them: computed
    by this process and `count - 1` forked workers when that pays (or always, with `force`), else here.

    `warm` items are computed here before any worker is forked. A first parse and check costs far more
    than the next (modules imported and patterns compiled on first use, some 0.1 s in all), and forked
    workers inherit what this process has warmed up, so it is paid once, not once per worker. The
    `first` items after those are computed here alone, right after the fork (see `_order`), before this
    process takes its share of the rest. `meanwhile()`, if given, runs here once the workers are forked
    (work the caller needs later anyway, done while they already work), or at the end when nothing is
    forked."""
    count = count or workers()
    local = local or func
    if not _parallel(items, count, force):
        yield 0, [local(item) for item in items], True
    else:
        warm = 0 if force else min(warm, len(items))
        begin = warm if force else min(warm + first, len(items))
        if warm:
            yield 0, [local(items[i]) for i in range(warm)], True
        if begin < len(items):
            chunks = [(i, i + 1) for i in range(warm, len(items))] if force and len(items) <= MOST_CHUNKS else \
                _chunks(len(items) - begin, count, begin)
            try:
                forked = _forked(func, items, chunks, count - 1, local)
            except OSError:  # no fork to be had (a process limit, no memory): all of it here, then
                forked = iter([(begin, [local(items[i]) for i in range(begin, len(items))], True)])
            if meanwhile is not None:
                meanwhile()
                meanwhile = None
            if begin > warm:
                yield warm, [local(items[i]) for i in range(warm, begin)], True
            yield from forked
        elif begin > warm:
            yield warm, [local(items[i]) for i in range(warm, begin)], True
    if meanwhile is not None:
        meanwhile()


SMALLEST_CHUNK = 8
MOST_CHUNKS = 512  # their bounds (8 bytes each) fit in one page, the least a pipe holds


def _chunks(total: int, count: int, offset: int = 0) -> list[tuple[int, int]]:
    """(start, end) bounds of the chunks `total` tasks go out in: each a quarter of what is left per
    worker, never less than SMALLEST_CHUNK ("guided" scheduling). The first chunks are large (few result
    files to write and read), the last ones small, so the workers run out of work at nearly the same
    time: with equal chunks of an eighth of the batch, at 1,000 posts (~4.5 ms each, parse and checks)
    one core sat idle for ~0.3 s on average while the other finished the last chunk. Never so many that
    their bounds fill a pipe's buffer (`_forked` writes them all before the workers start)."""
    chunks, start = [], 0
    smallest = max(SMALLEST_CHUNK, -(-total // MOST_CHUNKS))
    while start < total:
        end = min(total, start + max(smallest, (total - start) // (count * 2)))
        chunks.append((offset + start, offset + end))
        start = end
    return chunks


def beside_forked(here: Callable[[], Any], func: Callable[[Any], Any], items: Sequence[Any]) -> tuple[Any, list[Any]]:
    """`(here(), [func(item) for item in items])`, with one forked worker per item computing `func` while
    this process computes `here()`: on n cores, n - 1 workers and this process keep every core busy, with
    one fork and one result to hand back fewer than n workers and an idle process waiting for them."""
    mine, theirs = None, {}
    chunks = [(i, i + 1) for i in range(len(items))]
    try:
        forked = _forked(func, items, chunks, len(items), pull=False)
    except OSError:  # no fork to be had (a process limit, no memory): all of it here, then
        return here(), [func(item) for item in items]
    try:
        mine = here()
        for start, results, _ in forked:
            theirs[start] = results[0]
    finally:
        forked.close()
    return mine, [theirs[i] for i in range(len(items))]


# -- parse ----------------------------------------------------------------------------------------------

def parse_all(sources: Sequence[SourceFile], keys: Sequence[str], config: Config, parse: Callable[..., tuple],
              state: BuildState, advance: Callable[[], None] = lambda: None,
              store: Callable[[str, bytes], None] | None = None,
              early: Callable[[Any], Any] | None = None, light: bool = False,
              meanwhile: Callable[[], Any] | None = None) -> tuple[list[tuple], dict[str, Any]]:
    """(post or None, findings) for every source, in order, and what `early` gave for each post parsed
    here (by source); `keys` are their file keys. Cached results are reused; the rest are parsed in
    parallel and stored in `state` (which keeps only current files). With `store` (the build writes its
    cache) each result goes to `store(key, pickled)` instead, as it arrives: pickled where it was parsed,
    since the state file needs those bytes anyway, and not kept.

    `early(post)`, if given, runs in the worker right after the parse, on the post it just made (see
    `early_checks`): work on one post that would otherwise need a second pool of workers, and a second
    trip of the post between processes, later in the build. With `light`, a post `early` judged comes
    back without its passages, which only the checks read (see `cache.pack_parsed`). `meanwhile()` runs
    here while the workers parse (see `unordered`)."""
    def work(i: int) -> tuple:
        result = parse(sources[i], config)
        return result, (early(result[0]) if early is not None and result[0] is not None else None)

    found: dict[str, Any] = {}
    if store is None:
        results: list[tuple | None] = [state.get("parsed", key) for key in keys]
        todo, warm, first = _order([i for i, result in enumerate(results) if result is None], sources)

        def plain(i: int) -> tuple:
            (post, problems), extra = work(i)
            if light and extra is not None:
                post = with_fields(post, passages=())
            return (post, problems), extra

        for start, chunk, _ in unordered(plain, todo, warm=warm, first=first, meanwhile=meanwhile):
            for i, (result, extra) in zip(todo[start:start + len(chunk)], chunk):
                results[i] = result
                if extra is not None:
                    found[sources[i].path] = extra
        state.parsed = {key: state.parsed.get(key) or result for key, result in zip(keys, results)}
    else:
        results = []
        for key in keys:
            result = state.get("parsed", key)
            if result is not None:  # a hit: stored as read from the last state, and let go of here
                blob = state.parsed.pop(key, None)
                store(key, blob if isinstance(blob, bytes) else pack_parsed(result))
            results.append(result)
        todo, warm, first = _order([i for i, result in enumerate(results) if result is None], sources)

        def pickled(i: int) -> tuple[bytes, Any]:  # in a worker: the state file's bytes travel back
            result, extra = work(i)
            return pack_parsed(result), extra

        # Parsed here, a post needs no trip through pickle but for the state file; from a worker it
        # comes as those bytes, which are loaded (without the passages, when `light`).
        for start, chunk, here in unordered(pickled, todo, local=work, warm=warm, first=first,
                                                   meanwhile=meanwhile):
            for i, (value, extra) in zip(todo[start:start + len(chunk)], chunk):
                if here:
                    result, blob = value, pack_parsed(value)
                    if light and extra is not None:
                        result = (with_fields(result[0], passages=()), result[1])
                else:
                    result, blob = unpack_parsed(value, light and extra is not None), value
                results[i] = result
                store(keys[i], blob)
                if extra is not None:
                    found[sources[i].path] = extra
        state.parsed = {}
    for _ in sources:
        advance()
    return results, found  # type: ignore[return-value]


_FENCE = re.compile(rb"^ {0,3}(?:```|~~~)[ \t]*[^\s`{]", re.MULTILINE)  # fenced code in a named language


def _order(todo: list[int], sources: Sequence[SourceFile]) -> tuple[list[int], int, int]:
    """`todo` in the order `unordered` takes it, how many of it to parse before the workers are forked
    (the first WARM), and how many after those this process parses first and alone: the posts with
    fenced code in a named language, up to its fair share. Each language's first highlighting loads and
    compiles its Pygments lexer (python ~70 ms, javascript ~25 ms); in this process alone, while the
    workers parse posts without code, that is paid once and beside their work, not once per process (nor
    before the fork, while no worker works yet). Only the order of the work changes."""
    warm, rest = todo[:WARM], todo[WARM:]
    code = [i for i in rest if (b"```" in sources[i].data or b"~~~" in sources[i].data)
            and _FENCE.search(sources[i].data)][:len(rest) // workers()]
    chosen = set(code)
    return warm + code + [i for i in rest if i not in chosen], len(warm), len(code)


# -- checks ---------------------------------------------------------------------------------------------

def early_checks(config: Config, config_text: str, options) -> Callable[[Post], tuple[str, list[Finding]] | None]:
    """A function for `parse_all(early=...)`: a freshly parsed post's per-post check findings, worked out
    in the parse worker (which holds the post already; its heap is still small, so forking it is cheap).

    A post's rules see the post as `site.assemble` makes it. For a published post without internal links
    assembly only sets its URL, from the post and site.toml alone, so the worker can make that very post
    and run `checks.run.check_post` on it, with the settings `checks.run.prepare` gives the post (which
    depend on site.toml and the post alone). Returns (the URL it assumed, the findings); None for a post
    assembly may change further. `check_site` uses the findings only for a post that came out of assembly
    with that URL and every other field the object it was parsed into (see `unchanged_but_url`)."""
    from types import SimpleNamespace

    from generator.cache import register
    from generator.checks.registry import CheckFinding
    from generator.checks.run import check_post, prepare
    from generator.markdown import MARK_OPEN
    from generator.model import with_fields
    from generator.site import _published as published, post_url

    register(CheckFinding)  # its findings travel back by their fields, not dataclasses' slow generic way

    def early(post: Post) -> tuple[str, list[Finding]] | None:
        if not published(post, options) or MARK_OPEN in post.html or MARK_OPEN in post.summary_html:
            return None
        try:
            live = with_fields(post, url=post_url(post, config))
        except Exception:  # noqa: BLE001 - assembly will say what is wrong with the post
            return None
        one = (live,)
        prepared = prepare(SimpleNamespace(config=config, posts=one if live.kind == "post" else (),  # type: ignore[arg-type]
                                           pages=() if live.kind == "post" else one), config_text)
        return live.url, (check_post(live, prepared) if prepared.runs_any(live) else [])

    return early


_FIELDS = tuple(name for name in Post.__slots__ if name != "url")


def unchanged_but_url(post: Post, parsed: Post) -> bool:
    """Whether `post` (from the assembled site) holds exactly the objects `parsed` holds, but for its URL."""
    return all(getattr(post, name) is getattr(parsed, name) for name in _FIELDS)


def check_site(site: Site, config_text: str, state: BuildState, post_keys: dict[str, str], site_key: str,
               early: Mapping[str, list[Finding]] | None = None) -> list[Finding]:
    """The findings `checks.run.run_checks` gives (tests assert they agree), with each post's rules run
    in parallel and reused from the cache while the post, its settings and the generator are unchanged.
    The same steps as `run_checks`: settings and suppressions, then per-post rules, then site rules.
    `early` holds the per-post findings the parse workers already found (by source; see `early_checks`)."""
    from generator.checks.run import check_post, check_whole_site, prepare

    early = early or {}
    prepared = prepare(site, config_text)
    findings = list(prepared.problems)
    entries = (*site.posts, *site.pages)
    # A post with every rule off has nothing to check: no worker is forked for it (nor for a site
    # that turns every rule off).
    cached = {p.source: early[p.source] if p.source in early else
              state.get("checked", post_keys[p.source]) if prepared.runs_any(p) else [] for p in entries}
    todo = [p for p in entries if cached[p.source] is None]
    for post, found in zip(todo, map_forked(lambda post: check_post(post, prepared), todo)):
        cached[post.source] = found
    checked = {}
    for post in entries:
        findings += cached[post.source]
        checked[post_keys[post.source]] = state.checked.get(post_keys[post.source]) or cached[post.source]
    state.checked = checked

    site_found = state.get("site_checked", site_key)
    if site_found is None:
        site_found = check_whole_site(site, prepared)
    state.site_checked = {site_key: site_found}
    return findings + site_found


# -- render ---------------------------------------------------------------------------------------------

RENDER_FROM = 200  # fewer pages than this: rendering them here is quicker than forking


def render_all(site: Site, chain, site_root, assets, progress: Callable[[], None] | None = None,
               cache: bool = True, stage: Callable[[], str | None] | None = None,
               staged: set[str] | None = None):
    """`render.render`, with the pages shared among this process and forked workers when the site is large.

    `Renderer.render_site` walks every page in a fixed order and yields only the pages that rendered, so
    a renderer that renders only every n-th page (its `share`) yields its share of the same outputs; the
    files that are not pages (assets, sitemap, JSON feed...) come from the first share alone. This
    process renders the first share itself while the workers render the others.

    `stage` (the CLI's, for a fresh output folder; see `fs.stage_output`) gives a folder each share is
    written into as soon as it is rendered, by the process that rendered it: the kernel's part of writing
    them (most of it) runs beside the other share's rendering and writing instead of after the build.
    What was written there is added to `staged`."""
    from generator import render as rendering

    count = workers()
    if len(site.posts) + len(site.pages) < RENDER_FROM or count < 2 or threading.active_count() > 1 \
            or not hasattr(os, "fork"):
        return rendering.render(site, chain, site_root, assets, progress, cache=cache)
    folder = stage() if stage is not None else None

    def share(k: int) -> tuple[dict[str, bytes], list[Finding], bool]:
        outputs, found = rendering.render(site, chain, site_root, assets, share=(k, count), cache=cache)
        written = False
        if folder is not None:
            from generator.fs import write_files

            try:
                write_files(folder, list(outputs.items()))
                written = True
            except OSError:  # the CLI writes them, as it writes the rest (and reports what fails)
                pass
        return outputs, found, written

    outputs, findings = {}, []
    mine, theirs = beside_forked(lambda: share(0), share, range(1, count))
    for part, found, written in (mine, *theirs):
        outputs.update(part)
        findings += found
        if written and staged is not None:
            staged.update(part)
    return outputs, findings
