"""The preview server: watch the site, debounce, rebuild, serve the last good build, reload browsers.

One builder thread owns rebuilding: file events (watchdog) mark the site dirty, and after a short quiet
spell (the debounce, so an editor's save storm is one rebuild) it calls `build()` with a per-file parse
cache, so a save re-parses only the file that changed. When only posts or pages changed, a quick
rebuild comes first: it renders just their pages and the pages open in browsers, publishes them, and
the full build follows (byte for byte the same pages, so nothing reloads twice). A good build replaces
the served snapshot at once; a failed one leaves the last good snapshot in place and only publishes its
errors. The editorial checks run after each good build in a checker thread; a newer build drops them.

Pages are served from memory (`BuildResult.outputs`), never from or into the site's `public/`, so
previewing cannot clobber a deployable build and a half-written output never exists. Every HTML page
gets a small client (`serve_client.js`) injected on the way out (never in `giving build` output): it
listens to Server-Sent Events on `/_giving/events`, reloads when its own page changed (keeping the
scroll position), swaps stylesheets in place when only CSS changed, shows an error overlay while the
build is broken, and shows the post's findings in a dismissable panel. `/_giving/` lists every finding.

URLs behave like Netlify: `/slug/` -> `slug/index.html`, `/slug` -> redirect to `/slug/`, unknown
paths get the site's `404.html` with status 404, and `_redirects` rules apply when no file matches.
Only keys of the in-memory outputs are ever served; sources that are symlinks leading out of the site
are withheld, so no request can reach a file outside the site.
"""

from __future__ import annotations

import errno
import html
import json
import mimetypes
import os
import re
import select
import socket
import threading
import time
import traceback
import uuid
from collections import Counter, deque
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path, PurePosixPath
from types import MappingProxyType
from typing import Callable, Iterable, Iterator, Mapping
from urllib.parse import parse_qs, unquote, urlsplit

import jinja2

import generator.checks  # noqa: F401 - registers [checks] now, so the first Config equals the later ones
from generator.build import build, load_config
from generator.content import kind_of, parse_post
from generator.errors import Finding, GivingError, error, has_errors, sorted_findings, warning
from generator.fs import SOURCE_DIRS, read_sources
from generator.model import Post, SourceFile
from generator.questions import attach as attach_questions, is_question_file, parse_questions
from generator.render import Renderer, fmt_date, output_path, theme_assets
from generator.site import BuildOptions, asset_url, assemble
from generator.theme import load_chain

CLIENT_JS = Path(__file__).with_name("serve_client.js")
PREFIX = "/_giving/"  # the server's own URLs; never part of a build
WATCHED_DIRS = ("content", "static", "templates", "themes")
_IGNORED_SUFFIXES = ("~", ".swp", ".swx", ".swpx", ".tmp", ".bak", ".part", ".crdownload")
_FINGERPRINT = re.compile(r"\.[0-9a-f]{10}(\.css)$")
_I_WE = re.compile(r"\b(?:I|I'm|I've|I'd|I'll|me|my|mine|myself|we|we're|we've|us|our|ours|ourselves)\b")
_YOU = re.compile(r"\b(?:you|you're|you've|you'd|you'll|your|yours|yourself|yourselves)\b", re.IGNORECASE)
MAX_CHANGED = 500  # more changed pages than this: every browser just reloads


class PortInUse(GivingError):
    """The requested port is taken; the message says what to do."""


# -- the per-file parse cache ------------------------------------------------------------------------


class ParseMemo:
    """A drop-in for `parse_post` that remembers each file's result by its bytes and the config.

    `parse_post` is pure per file, so an unchanged file's `Post` can be reused as is. Call `prune()`
    after a build to forget files that no longer exist.
    """

    def __init__(self) -> None:
        self._config = None
        self._entries: dict[str, tuple[bytes, Post | None, tuple[Finding, ...]]] = {}
        self._seen: set[str] = set()
        self.hits = self.misses = 0

    def __call__(self, source: SourceFile, config) -> tuple[Post | None, list[Finding]]:
        if config is not self._config:  # each build loads its own Config
            if config != self._config:
                self._entries.clear()
            self._config = config
        self._seen.add(source.path)
        hit = self._entries.get(source.path)
        if hit is not None and hit[0] == source.data:
            self.hits += 1
            return hit[1], list(hit[2])
        self.misses += 1
        post, findings = parse_post(source, config)
        self._entries[source.path] = (source.data, post, tuple(findings))
        return post, findings

    def prune(self) -> None:
        for path in self._entries.keys() - self._seen:
            del self._entries[path]
        self._seen = set()


class _Bytecode(jinja2.BytecodeCache):
    """Compiled templates kept in memory across rebuilds (Jinja checks each against its source), so a
    quick rebuild does not compile every template again; compiling is most of a small site's render."""

    def __init__(self) -> None:
        self.store: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        code = self.store.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.store[bucket.key] = bucket.bytecode_to_string()


_BYTECODE = _Bytecode()


class _InView(Renderer):
    """The build's renderer, rendering only the pages in `wanted` (output keys); the others are skipped,
    the way a page with an error is, so everything else (assets, feeds, sitemap) comes out as usual."""

    wanted: frozenset[str] = frozenset()

    def page(self, template: str, url: str, origin: str, **context):
        return super().page(template, url, origin, **context) if output_path(url) in self.wanted else None


# -- URL resolution (pure) -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Rule:
    """One `_redirects` line: `/from /to [status][!]`; a trailing `*` in `source` is a splat."""

    source: str
    target: str
    status: int
    force: bool


def parse_redirects(text: str) -> tuple[Rule, ...]:
    rules = []
    for line in text.splitlines():
        fields = line.split("#", 1)[0].split()
        if len(fields) < 2 or not fields[0].startswith("/"):
            continue
        status, force = 301, False
        if len(fields) > 2:
            code = fields[2]
            force = code.endswith("!")
            try:
                status = int(code.rstrip("!"))
            except ValueError:
                continue
        rules.append(Rule(fields[0], fields[1], status, force))
    return tuple(rules)


def match_redirect(rules: Iterable[Rule], path: str) -> tuple[Rule, str] | None:
    """The first rule matching the decoded `path` (trailing slash ignored, like Netlify), and its target."""
    bare = path.rstrip("/") or "/"
    for rule in rules:
        if rule.source.endswith("*"):
            stem = rule.source[:-1]
            if path.startswith(stem) or bare + "/" == stem:
                return rule, rule.target.replace(":splat", path[len(stem):])
        elif (rule.source.rstrip("/") or "/") == bare:
            return rule, rule.target
    return None


class BadRequest(Exception):
    pass


def request_key(target: str) -> tuple[str, str]:
    """(decoded path, output key) of a request target; raises `BadRequest` for what no file can match.

    The key is the path without its leading slash; it is only ever looked up in the outputs mapping,
    so it cannot name a file on disk. `..` and `.` segments, empty segments and backslashes are refused
    outright (as `BadRequest` for NUL and undecodable bytes, otherwise by returning a key that never
    exists: None), so `/a/../b` never quietly becomes `/b`.
    """
    raw = target.split("#", 1)[0].split("?", 1)[0]
    if raw.startswith(("http://", "https://")):  # absolute-form request target
        raw = urlsplit(raw).path or "/"
    if "\x00" in raw or "%00" in raw:
        raise BadRequest("NUL in path")
    try:
        path = unquote(raw, errors="strict")
    except UnicodeDecodeError as exc:
        raise BadRequest("path is not UTF-8") from exc
    if "\x00" in path or not path.startswith("/"):
        raise BadRequest("not a path")
    return path, path[1:]


def unsafe(path: str) -> bool:
    segments = path.split("/")[1:]
    return "\\" in path or any(s in (".", "..") for s in segments) or "" in segments[:-1]


# -- what the server holds -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The last good build, as served: immutable, swapped whole."""

    version: str
    outputs: Mapping[str, bytes]
    sources: Mapping[str, Post]  # output key of a post's page -> post
    rules: tuple[Rule, ...]
    withheld: frozenset[str]  # output keys (files or folders) whose source is a symlink leading out of the site
    now: datetime


@dataclass(frozen=True, slots=True)
class Build:
    """What one rebuild did, for the CLI's log line and for tests."""

    number: int
    ok: bool
    findings: tuple[Finding, ...]
    seconds: float
    version: str
    changed: tuple[str, ...] | None  # output keys that differ from the previous good build; None: all
    css_only: bool
    parsed: int  # files parsed (the others came from the cache)
    check_seconds: float = 0.0  # the editorial checks, run after the reload was sent


@dataclass
class _Event:
    seq: int
    payload: bytes


EMPTY = Snapshot("", MappingProxyType({}), MappingProxyType({}), (), frozenset(), datetime.now(timezone.utc))


class Preview:
    """Owns the watcher, the builder thread, the HTTP server and the live-reload channel."""

    def __init__(self, site_root: Path, host: str = "127.0.0.1", port: int = 8000, drafts: bool = True,
                 debounce: float = 0.04, heartbeat: float = 15.0, watch: bool = True, quick: bool = True,
                 on_build: Callable[[Build], None] | None = None):
        self.site_root = Path(site_root)
        self.host, self.port = host, port
        self.drafts = drafts
        self.debounce = debounce
        self.heartbeat = heartbeat
        self.watch = watch
        self.on_build = on_build or (lambda b: None)
        self.instance = uuid.uuid4().hex[:6]
        self.cache = ParseMemo()
        self.snapshot = EMPTY
        self.findings: tuple[Finding, ...] = ()  # of the latest build, good or not
        self._check_findings: tuple[Finding, ...] = ()
        self.errors: tuple[Finding, ...] = ()  # of the latest build; empty when it was good
        self.builds = 0
        self._good = 0
        self._build_lock = threading.Lock()
        self._changed = threading.Condition()  # notified after every build and on close
        self._events: deque[_Event] = deque(maxlen=16)  # the latest messages, for every stream
        self._history: dict[str, tuple[str, list[str] | None]] = {}  # version -> (next version, what changed)
        self._seq = 0
        self._stopping = threading.Event()
        self._dirty = threading.Event()
        self._last_change = 0.0
        self._touch_lock = threading.Lock()
        self._touched: set[str] = set()  # sources changed since the last rebuild; "" is anything else
        self._saved: set[str] = set()  # every file changed since the last rebuild
        self._viewing: Counter[str] = Counter()  # output keys open in browsers (one per event stream)
        self.quick = quick
        self.quick_builds = 0
        self._files: dict[str, SourceFile] | None = None  # the quick rebuild's copy of the sources
        self._forgotten = 0  # how many times that copy was forgotten (anything but posts and pages changed)
        self._since_good: set[str] = set()  # files saved since the last good build
        self._check_wanted = threading.Condition()
        self._check_job: tuple | None = None  # the checks the checker thread is to run next
        self._checker_running = False
        self._threads: list[threading.Thread] = []
        self._observer = None
        self._watches: dict[tuple[str, bool], object] = {}
        self.httpd: ThreadingHTTPServer | None = None

    # -- lifecycle -----------------------------------------------------------------------------------

    def start(self) -> "Preview":
        """Bind the port (so a port in use is said at once, not after a long first build), build once,
        then serve and watch in background threads; browsers arriving early get a holding page."""
        self.httpd = _bind(self.host, self.port, _handler(self))
        self.port = self.httpd.server_address[1]
        self._spawn(lambda: self.httpd.serve_forever(poll_interval=0.05), "giving-http")
        self.rebuild()
        if self.watch:
            self._start_watching()
            self._spawn(self._builder, "giving-builder")
            self._spawn(self._checker, "giving-checker")
            self._checker_running = True
        return self

    @property
    def url(self) -> str:
        host = self.host if self.host not in ("", "0.0.0.0", "::") else "127.0.0.1"
        return f"http://[{host}]:{self.port}/" if ":" in host else f"http://{host}:{self.port}/"

    def close(self) -> None:
        """Stop watching, end every live-reload stream, stop the HTTP server; idempotent."""
        self._stopping.set()
        self._dirty.set()
        with self._changed:
            self._changed.notify_all()
        with self._check_wanted:
            self._check_wanted.notify_all()
        # Every thread is a daemon and writes nothing that needs finishing (builds are in memory, cache
        # entries are renamed into place whole), so Ctrl-C waits a bounded time, however busy they are.
        deadline = time.monotonic() + 3
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=1)
            self._observer = None
        if self.httpd is not None:
            if any(t.name == "giving-http" for t in self._threads):
                # shutdown() waits for serve_forever, forever if that thread never got to it: bound it.
                stopper = threading.Thread(target=self.httpd.shutdown, name="giving-stop", daemon=True)
                stopper.start()
                stopper.join(timeout=max(0.1, deadline - time.monotonic()))
            self.httpd.server_close()
            self.httpd = None
        for thread in self._threads:  # checks in progress are not waited for: nothing they do needs finishing
            wait = 0.2 if thread.name == "giving-checker" else deadline - time.monotonic()
            thread.join(timeout=max(0.05, wait))
        self._threads = []

    def __enter__(self) -> "Preview":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    def _spawn(self, target: Callable[[], None], name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    # -- building ------------------------------------------------------------------------------------

    def touch(self, paths: Iterable[str] = ()) -> None:
        """Something changed on disk (`paths`, absolute; none: anything): rebuild once things have been
        quiet for `debounce` seconds."""
        rels = [self._rel(p) for p in paths]
        with self._touch_lock:
            self._saved.update(rels)
            self._touched.update(r if kind_of(r) else "" for r in rels or [""])
            if "" in self._touched:
                self._files = None
                self._forgotten += 1
        self._last_change = time.monotonic()
        self._dirty.set()

    def _rel(self, path: str) -> str:
        try:
            return Path(path).relative_to(self.site_root).as_posix()
        except ValueError:
            return path  # a theme outside the site

    def _builder(self) -> None:
        while not self._stopping.is_set():
            self._dirty.wait()
            while not self._stopping.is_set():
                quiet = self._last_change + self.debounce - time.monotonic()
                if quiet <= 0:
                    break
                self._stopping.wait(quiet)
            if self._stopping.is_set():
                return
            self._dirty.clear()
            with self._touch_lock:
                touched, self._touched = self._touched, set()  # posts and pages; "" for anything else
                saved, self._saved = self._saved, set()  # every file
            now = datetime.now(timezone.utc)
            try:
                if self.quick and self.quick_rebuild(touched, now) and self._dirty.is_set():
                    continue  # typing on: the rest of the site waits until the writer pauses
                self.rebuild(now, saved, background=True)
            except Exception:  # noqa: BLE001 - a bug in a rebuild must not end the builder
                traceback.print_exc()
            if self.watch:
                self._sync_watches()

    def quick_rebuild(self, touched: set[str], now: datetime) -> bool:
        """The pages in view first: after an edit to posts or pages only, render just the pages of those
        files and the pages open in a browser, publish them over the last good build and return True.

        The full `rebuild()` that follows stays the source of truth; it renders the same pages from the
        same inputs, so they come out byte for byte the same (tests hold it to that) and their browsers
        do not reload twice; the rest of the site (listings, neighbours) catches up then. Anything else
        (config, templates, static files, a broken last build, any error here) returns False at once.
        """
        if not touched or "" in touched or self.snapshot is EMPTY or self.errors:
            return False
        with self._build_lock:
            started = time.perf_counter()
            try:
                outputs = self._render_in_view(touched, BuildOptions(now=now, drafts=self.drafts, future=self.drafts))
            except Exception:  # noqa: BLE001 - the full build reports whatever went wrong
                outputs = None
            if outputs is None:
                return False
            pages, site = outputs
            previous = self.snapshot
            merged = {**previous.outputs, **pages}
            changed = _changed(previous.outputs, merged)
            if not changed:
                return True
            self._good += 1
            sources = {output_path(p.url): p for p in site.by_source.values()}
            rules = parse_redirects(merged.get("_redirects", b"").decode("utf-8", "replace"))
            self.snapshot = Snapshot(self.version_of(self._good), MappingProxyType(merged),
                                     MappingProxyType(sources), rules, previous.withheld, now)
            self.quick_builds += 1
            self._publish({"type": "build", "ok": True, "version": self.snapshot.version, "since": previous.version,
                           "changed": list(changed) if len(changed) <= MAX_CHANGED else None, "css": None,
                           "errors": [], "quick": round(time.perf_counter() - started, 4)})
        return True

    def _read(self, touched: set[str]) -> list[SourceFile] | None:
        """`read_sources()`, re-reading only the touched files once the whole site has been read here;
        anything but a post or page changing forgets it all. (A missed file event costs no correctness:
        the full build that follows reads everything.) None when something else changed while the whole
        site was being read: that file may have been read before its change, and the copy, kept, would
        serve its old bytes in this and every later quick rebuild; the full build reads it as it is."""
        with self._touch_lock:
            files, forgotten = self._files, self._forgotten
        if files is None:
            files = {s.path: s for s in read_sources(self.site_root)}
            with self._touch_lock:
                if self._forgotten != forgotten:
                    return None
                self._files = files
        for rel in touched:
            try:
                files[rel] = SourceFile(rel, (self.site_root / rel).read_bytes())
            except OSError:
                files.pop(rel, None)
        # read_sources' order (by folder, then path), which decides ties in the site's ordering
        order = {top: n for n, top in enumerate(SOURCE_DIRS)}
        return sorted(files.values(), key=lambda f: (order.get(f.path.split("/")[0], 99), PurePosixPath(f.path)))

    def _render_in_view(self, touched: set[str], options: BuildOptions) -> tuple[dict[str, bytes], object] | None:
        """build()'s stages, rendering only the wanted pages (plus assets and feeds, which cost little);
        None on any finding that is an error, so only a clean result is ever published early."""
        from generator.images import process_site

        root = self.site_root
        config, config_text = load_config(root)
        chain = load_chain(config.theme, root)
        sources = self._read(touched)
        if sources is None:
            return None
        markdown = [s for s in sources if kind_of(s.path)]
        assets = {s.path: s.data for s in sources if not kind_of(s.path) and not s.path.endswith(".md")
                  and not is_question_file(s.path)}
        findings: list[Finding] = []
        posts = []
        for source in markdown:
            post, problems = self.cache(source, config)
            findings += problems
            if post:
                posts.append(post)
        questions, problems = parse_questions([s for s in sources if is_question_file(s.path)], config)
        findings += problems
        site, problems = assemble(posts, assets, config, options)
        findings += problems
        site, problems = attach_questions(site, questions, posts)
        findings += problems
        if has_errors(findings):
            return None
        site, problems = process_site(site, chain, root, config_text)
        if has_errors(problems):
            return None
        with self._touch_lock:
            wanted = {k for k, n in self._viewing.items() if n > 0}
        wanted |= {output_path(site.by_source[s].url) for s in touched if s in site.by_source}
        renderer = _InView(site, chain, root, theme_assets(chain))
        renderer.wanted = frozenset(wanted)
        renderer.env.bytecode_cache = _BYTECODE
        pages = dict(renderer.render_site())
        return None if has_errors(renderer.findings) else (pages, site)

    def rebuild(self, now: datetime | None = None, saved: Iterable[str] = (), background: bool = False) -> Build:
        """Build now (the builder thread calls this; so may tests), publish the result, return a summary.

        Two steps: the build without the editorial checks, published at once so the browser reloads;
        then the checks over the new site, published as a findings update (by the checker thread when
        `background`, so the next save need not wait for them). A newer build drops the checks of the
        one it supersedes. `saved` are the files saved since the last rebuild; their errors come first.
        """
        with self._build_lock:
            started = time.perf_counter()
            self._since_good.update(saved)
            now = now or datetime.now(timezone.utc)
            options = BuildOptions(now=now, drafts=self.drafts, future=self.drafts)
            misses = self.cache.misses
            deferred: list[tuple] = []
            try:
                result = build(self.site_root, options, parse=self.cache,
                               check=lambda site, text: deferred.append((site, text)) or [])
                self.cache.prune()
                findings = list(result.findings)
            except Exception as exc:  # noqa: BLE001 - the server outlives any build failure
                result = None
                findings = [_internal(exc, "building")]
            parsed = self.cache.misses - misses
            previous = self.snapshot
            changed: tuple[str, ...] | None = None
            css: list[tuple[str, str]] | None = None
            if result is not None and not has_errors(findings):
                withheld, link_findings = _outside_links(self.site_root)
                findings = sorted_findings([*findings, *link_findings])
                outputs = result.outputs
                changed = _changed(previous.outputs, outputs) if previous is not EMPTY else None
                if changed is None or changed:
                    self._good += 1
                css = _css_only(previous.outputs, outputs, changed) if changed else None
                sources = {output_path(p.url): p for p in result.site.by_source.values()} if result.site else {}
                rules = parse_redirects(outputs.get("_redirects", b"").decode("utf-8", "replace"))
                self.snapshot = Snapshot(self.version_of(self._good), MappingProxyType(dict(outputs)),
                                         MappingProxyType(sources), rules, withheld, now)
                self.errors = ()
                self._since_good = set()
            else:
                # The files saved since the last good build first: the cause before its consequences
                # (a post that no longer parses, then every link to it).
                self.errors = tuple(sorted((f for f in findings if f.severity == "error"),
                                           key=lambda f: f.location.path not in self._since_good))
            # Until this build's checks finish, the last ones stand in, so the panel does not flicker.
            self.findings = tuple(sorted_findings([*findings, *self._check_findings]))
            self.builds += 1
            seconds = time.perf_counter() - started
            changed_list = changed if changed is None or len(changed) <= MAX_CHANGED else None
            self._publish({
                "type": "build", "ok": not self.errors, "version": self.snapshot.version,
                "since": previous.version, "changed": list(changed_list) if changed_list is not None else None,
                "css": [["/" + a, "/" + b] for a, b in css] if css else None,
                "errors": [self.finding_data(f, excerpt=True) for f in self.errors[:20]],
            })

            report = Build(self.builds, not self.errors, self.findings, seconds, self.snapshot.version,
                           changed_list, bool(css), parsed)
            number = self.builds
            wanted = deferred and not self.errors and not (self._dirty.is_set() and number > 1)
            if wanted and background and self._checker_running:
                with self._check_wanted:  # the checker thread takes the latest job; a newer build drops this one
                    self._check_job = (number, deferred[0], tuple(findings), report)
                    self._check_wanted.notify()
                return report
        if wanted:
            report = self._check(number, deferred[0], tuple(findings), report) or report
        else:
            self.on_build(report)
        return report

    def _checker(self) -> None:
        """Runs the editorial checks of the latest good build, off the builder thread, so a save made
        while a large site is being checked is rebuilt at once (its build supersedes those checks)."""
        while True:
            with self._check_wanted:
                while self._check_job is None and not self._stopping.is_set():
                    self._check_wanted.wait()
                if self._stopping.is_set():
                    return
                job, self._check_job = self._check_job, None
            try:
                self._check(*job)
            except Exception:  # noqa: BLE001 - a bug in a check must not end the checker
                traceback.print_exc()

    def _check(self, number: int, deferred: tuple, findings: tuple[Finding, ...], report: Build) -> Build | None:
        """Run the checks for build `number` and publish them, unless a newer build came meanwhile."""
        began = time.perf_counter()
        try:
            found = tuple(self.run_checks(*deferred))
        except Exception as exc:  # noqa: BLE001
            found = (_internal(exc, "checking"),)
        checked = time.perf_counter() - began
        with self._build_lock:
            if number != self.builds:
                return None  # superseded: that build's own checks are queued or done
            self._check_findings = found
            check_errors = tuple(f for f in found if f.severity == "error")
            self.errors = tuple(sorted_findings([*self.errors, *check_errors]))
            self.findings = tuple(sorted_findings([*findings, *found]))
            self._publish({"type": "findings", "ok": not self.errors, "version": self.snapshot.version,
                           "errors": [self.finding_data(f, excerpt=True) for f in self.errors[:20]]})
            report = replace(report, ok=not self.errors, findings=self.findings, check_seconds=checked)
        self.on_build(report)
        return report

    @staticmethod
    def run_checks(site, config_text: str) -> list[Finding]:
        try:
            from generator.checks import run_checks
        except ImportError:  # a checkout without the editorial checks
            return []
        return run_checks(site, config_text)

    def version_of(self, good: int) -> str:
        return f"{self.instance}.{good}"

    def _publish(self, message: dict) -> None:
        with self._changed:
            self._seq += 1
            self._events.append(_Event(self._seq, _sse(message)))
            if message["type"] == "build" and message["since"] != message["version"]:
                self._history[message["since"]] = (message["version"], message["changed"])
                while len(self._history) > 64:
                    del self._history[next(iter(self._history))]
            self._changed.notify_all()

    def stale(self, page: str, version: str) -> bool:
        """Whether `page` as served at `version` differs from the current one; True when unknown. A browser
        reloading just as the full build lands would otherwise reload a second time for nothing."""
        with self._changed:
            current = self.snapshot.version
            while version != current:
                step = self._history.get(version)
                if step is None or step[1] is None or page in step[1]:
                    return True
                version = step[0]
        return False

    def hello(self, page: str = "", version: str = "") -> dict:
        return {"type": "hello", "ok": not self.errors, "version": self.snapshot.version,
                "stale": self.stale(page, version) if page and version else None,
                "errors": [self.finding_data(f, excerpt=True) for f in self.errors[:20]]}

    def wait_for(self, predicate: Callable[[], bool], timeout: float) -> bool:
        """Block until `predicate()` holds after some build (or now); False on timeout. For tests and benchmarks."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0 or self._stopping.is_set():
                    return predicate()
                self._changed.wait(left)
        return True

    # -- watching ------------------------------------------------------------------------------------

    def _start_watching(self) -> None:
        import logging

        from watchdog.observers import Observer

        # watchdog logs this when stopping races a last event; it is harmless, and on the terminal it
        # reads like a failure after Ctrl-C
        logging.getLogger("watchdog.observers.inotify").addFilter(_stop_race)  # once: the same filter
        self._observer = Observer()
        self._observer.start()
        self._sync_watches()

    def _wanted(self) -> set[tuple[str, bool]]:
        root = self.site_root
        wanted = {(str(root), False)}
        wanted |= {(str(root / d), True) for d in WATCHED_DIRS if (root / d).is_dir()}
        try:
            from generator.build import load_config
            from generator.theme import load_chain

            config, _ = load_config(root)
            for theme in load_chain(config.theme, root).themes:
                if not theme.root.resolve().is_relative_to(root.resolve()):
                    wanted.add((str(theme.root), True))
        except (GivingError, OSError, ValueError):
            pass  # the build reports it; keep watching what we can
        return wanted

    def _sync_watches(self) -> None:
        observer = self._observer
        if observer is None:
            return
        wanted = self._wanted()
        for key in list(self._watches):
            if key not in wanted:
                observer.unschedule(self._watches.pop(key))
        for key in wanted - self._watches.keys():
            path, recursive = key
            try:
                self._watches[key] = observer.schedule(_Watcher(self, Path(path), recursive), path,
                                                       recursive=recursive)
            except OSError:
                pass  # vanished, or out of inotify watches; the next rebuild tries again

    # -- pages ---------------------------------------------------------------------------------------

    def finding_data(self, finding: Finding, excerpt: bool = False) -> dict:
        loc = finding.location
        data = {"severity": finding.severity, "message": finding.message, "path": loc.path, "line": loc.line,
                "col": loc.col, "rule": finding.rule, "text": finding.format()}
        if excerpt and loc.line:
            data["excerpt"] = _excerpt(self.site_root, loc.path, loc.line)
        return data

    def page_data(self, key: str | None) -> dict:
        """What the client shows for the page at output `key`: its post's findings, status and voice."""
        snap = self.snapshot
        post = snap.sources.get(key) if key else None
        data: dict = {"version": snap.version, "page": key, "ok": not self.errors,
                      "errors": [self.finding_data(f, excerpt=True) for f in self.errors[:20]],
                      "total": len(self.findings), "source": None, "findings": [], "status": [], "voice": None}
        if post is None:
            return data
        data["source"] = post.source
        data["findings"] = [self.finding_data(f) for f in self.findings if f.location.path == post.source]
        if post.draft:
            data["status"].append("Draft")
        if post.kind == "post" and post.date and post.date > snap.now:
            data["status"].append(f"Scheduled for {fmt_date(post.date)}")
        data["voice"] = _voice(post)
        return data

    def overview(self) -> bytes:
        """The `/_giving/` page: build status and every finding of the site, grouped by file."""
        snap = self.snapshot
        url_of = {p.source: "/" + (k[: -len("index.html")] if k.endswith("index.html") else k)
                  for k, p in snap.sources.items()}
        by_path: dict[str, list[Finding]] = {}
        for finding in self.findings:
            by_path.setdefault(finding.location.path, []).append(finding)
        counts = {s: sum(f.severity == s for f in self.findings) for s in ("error", "warning", "info")}
        rules: dict[str, int] = {}
        for finding in self.findings:
            rules[finding.rule] = rules.get(finding.rule, 0) + 1
        esc = html.escape
        parts = ["<!doctype html><html lang=en><head><meta charset=utf-8>",
                 "<meta name=viewport content='width=device-width, initial-scale=1'>",
                 "<title>Findings · giving preview</title><style>",
                 ":root{color-scheme:light dark;--fg:#1b1a18;--bg:#fbfaf7;--muted:#5c5750;--red:#b00020;",
                 "--amber:#8a5a00;--blue:#2a5db0}@media (prefers-color-scheme:dark){:root{--fg:#ece8e1;",
                 "--bg:#1b1a18;--muted:#b3ada3;--red:#ff8a95;--amber:#f0c060;--blue:#8fb4ff}}",
                 "body{font:16px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;",
                 "color:var(--fg);background:var(--bg)}a{color:var(--blue)}",
                 "h2{font-size:1.05rem;margin:1.5rem 0 .3rem;overflow-wrap:anywhere}li{margin:.2rem 0}",
                 ".sev{font-weight:600}.error .sev,li.error::marker{color:var(--red)}",
                 ".warning .sev,li.warning::marker{color:var(--amber)}.info .sev,li.info::marker{color:var(--blue)}",
                 "code{font-size:.9em}.muted{color:var(--muted)}",
                 "</style></head><body><h1>Findings</h1>"]
        status = "the build is broken: the last good build is being served" if self.errors else "the build is good"
        parts.append(f"<p>{counts['error']} errors, {counts['warning']} warnings, {counts['info']} notes; "
                     f"{esc(status)}. <span class=muted>{self.builds} builds since the server started.</span></p>")
        if rules:
            parts.append("<p class=muted>By rule: " + ", ".join(f"{esc(r)} {n}" for r, n in sorted(rules.items()))
                         + "</p>")
        if not self.findings:
            parts.append("<p>Nothing to report.</p>")
        for path, group in by_path.items():
            link = f' · <a href="{esc(url_of[path])}">view page</a>' if path in url_of else ""
            parts.append(f"<h2><code>{esc(path)}</code> ({len(group)}){link}</h2><ul>")
            for f in group:
                where = f"line {f.location.line}: " if f.location.line else ""
                parts.append(f"<li class={f.severity}><span class=sev>{esc(where)}{esc(f.severity)}</span>: "
                             f"{esc(f.message)} <span class=muted>[{esc(f.rule)}]</span></li>")
            parts.append("</ul>")
        parts.append("</body></html>")
        return "".join(parts).encode("utf-8")

    def inject(self, body: bytes, key: str | None) -> bytes:
        """The page with the live-reload client and its state appended before `</body>`."""
        state = json.dumps(self.page_data(key), ensure_ascii=False).replace("</", "<\\/")
        snippet = (f'<script type="application/json" id="giving-state">{state}</script>'
                   f'<script src="{PREFIX}client.js"></script>').encode("utf-8")
        at = body.rfind(b"</body>")
        return body + snippet if at < 0 else body[:at] + snippet + body[at:]


class _Watcher:
    """watchdog handler: content changes mark the site dirty; opens, reads and editor litter do not."""

    def __init__(self, preview: Preview, base: Path, recursive: bool):
        self.preview, self.base, self.recursive = preview, base, recursive

    def dispatch(self, event) -> None:
        if event.event_type not in ("created", "modified", "deleted", "moved"):
            return  # opened/closed: the build reading files must not trigger another build
        if event.is_directory and event.event_type == "modified":
            return
        paths = [os.fsdecode(p) for p in (event.src_path, getattr(event, "dest_path", "") or "") if p]
        relevant = [p for p in paths if self.relevant(p)]
        if relevant:
            self.preview.touch(relevant)

    def relevant(self, path: str) -> bool:
        try:
            rel = Path(path).relative_to(self.base)
        except ValueError:
            return False
        name = rel.name
        if not self.recursive:  # the site root itself: only site.toml and the watched folders
            return rel.as_posix() in ("site.toml", *WATCHED_DIRS)
        return not (any(part.startswith(".") for part in rel.parts) or name.endswith(_IGNORED_SUFFIXES)
                    or name.startswith("#") or name == "4913")  # vim's write test file


# -- helpers of a rebuild ------------------------------------------------------------------------------


def _stop_race(record) -> bool:
    return "called when the thread is inactive" not in record.getMessage()


def _voice(post: Post) -> dict:
    """I/we words against you words, as the checks count them (a plain count where they are absent)."""
    try:
        from generator.checks import post_stats
    except ImportError:
        prose = " ".join(p.text for p in post.passages if not p.quoted)
        return {"i_we": len(_I_WE.findall(prose)), "you": len(_YOU.findall(prose)), "words": post.words}
    stats = post_stats(post)
    return {"i_we": stats.get("self", 0), "you": stats.get("reader", 0), "words": post.words}


def _internal(exc: Exception, doing: str) -> Finding:
    where = traceback.extract_tb(exc.__traceback__)[-1]
    return error(f"internal error while {doing}: {type(exc).__name__}: {exc} (at {Path(where.filename).name}:"
                 f"{where.lineno}); please report it", "site.toml", 0, "internal")


def _changed(old: Mapping[str, bytes], new: Mapping[str, bytes]) -> tuple[str, ...]:
    keys = set(old) | set(new)
    return tuple(sorted(k for k in keys if old.get(k) != new.get(k)))


def _css_only(old: Mapping[str, bytes], new: Mapping[str, bytes], changed: tuple[str, ...]) -> list[tuple[str, str]] | None:
    """[(old stylesheet, new stylesheet)] when the change is stylesheets only, else None.

    A fingerprinted stylesheet changes name, so every page's `<link>` changes too; such pages count
    as unchanged when swapping the names back gives the old bytes.
    """
    css = [k for k in changed if k.endswith(".css")]
    if not css:
        return None
    gone = {_FINGERPRINT.sub(r"\1", k): k for k in css if k in old and k not in new}
    came = {_FINGERPRINT.sub(r"\1", k): k for k in css if k in new and k not in old}
    if gone.keys() != came.keys():
        return None
    pairs = [(gone[stem], came[stem]) for stem in sorted(gone)]
    pairs += [(k, k) for k in css if k in old and k in new]
    for key in changed:
        if key.endswith(".css"):
            continue
        if key not in old or key not in new:
            return None
        before = old[key]
        for a, b in pairs:
            if a != b:
                before = before.replace(a.encode(), b.encode())
        if before != new[key]:
            return None
    return pairs


def _outside_links(site_root: Path) -> tuple[frozenset[str], list[Finding]]:
    """Output keys of content/static files that are symlinks leading out of the site, and a finding each."""
    root = site_root.resolve()
    keys, findings = set(), []
    for top in SOURCE_DIRS:
        for link in _symlinks(site_root / top):
            path = Path(link)
            if path.resolve().is_relative_to(root):
                continue
            rel = path.relative_to(site_root).as_posix()
            url = asset_url(rel)
            if url:
                keys.add(url.lstrip("/"))
            findings.append(warning("is a symlink to a file outside the site; the preview does not serve it",
                                    rel, 0, "serve"))
    return frozenset(keys), findings


def _symlinks(folder: Path) -> Iterator[str]:
    """Every symlink under `folder`, not following any (one scandir per folder, no stat per file)."""
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.is_symlink():
                    yield entry.path
                elif entry.is_dir():
                    yield from _symlinks(Path(entry.path))
    except OSError:
        return


def _excerpt(site_root: Path, rel: str, line: int, around: int = 2) -> list[list]:
    try:
        path = (site_root / rel).resolve()
        if not path.is_relative_to(site_root.resolve()) or not path.is_file() or path.stat().st_size > 2_000_000:
            return []
        lines = path.read_text("utf-8", errors="replace").splitlines()
    except OSError:
        return []
    first = max(1, line - around)
    return [[n, lines[n - 1]] for n in range(first, min(len(lines), line + around) + 1)]


def _sse(message: dict) -> bytes:
    return f"data: {json.dumps(message, ensure_ascii=False)}\n\n".encode("utf-8")


# -- HTTP ------------------------------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024  # a burst of browsers and tabs must queue, not be refused

    def handle_error(self, request, client_address) -> None:
        """A browser that hangs up mid-request is normal (a reload, a closed tab); only real bugs print."""
        import sys

        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


class _Server6(_Server):
    address_family = socket.AF_INET6


def _bind(host: str, port: int, handler: type) -> ThreadingHTTPServer:
    cls = _Server6 if ":" in host else _Server
    try:
        return cls((host, port), handler)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise PortInUse([error(f"port {port} on {host} is already in use; stop the other server, choose "
                                   "another --port, or pass --port 0 to pick a free one", "--port", 0,
                                   "serve")]) from None
        if exc.errno in (errno.EADDRNOTAVAIL, errno.EACCES, socket.EAI_NONAME):
            raise GivingError([error(f"cannot listen on {host}:{port}: {exc.strerror}", "--host", 0,
                                     "serve")]) from None
        raise


def _content_type(key: str) -> str:
    kind = {".html": "text/html", ".css": "text/css", ".js": "text/javascript", ".xml": "application/xml",
            ".json": "application/json", ".svg": "image/svg+xml", ".txt": "text/plain",
            ".webmanifest": "application/manifest+json", ".woff2": "font/woff2"}.get(Path(key).suffix.lower())
    kind = kind or mimetypes.guess_type(key)[0] or "application/octet-stream"
    textual = kind.startswith("text/") or kind in ("application/xml", "application/json", "image/svg+xml",
                                                    "application/manifest+json")
    return f"{kind}; charset=utf-8" if textual else kind


def _handler(preview: Preview) -> type:
    class Handler(_Handler):
        pass

    Handler.preview = preview
    return Handler


class _Handler(BaseHTTPRequestHandler):
    preview: Preview
    protocol_version = "HTTP/1.1"
    server_version = "giving-preview"
    timeout = 60  # idle keep-alive connections give their thread back

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the stdlib's name
        pass

    def do_GET(self) -> None:
        self.respond(head=False)

    def do_HEAD(self) -> None:
        self.respond(head=True)

    def do_POST(self) -> None:
        self.send_text(HTTPStatus.METHOD_NOT_ALLOWED, "only GET and HEAD", {"Allow": "GET, HEAD"})

    do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_POST

    def respond(self, head: bool) -> None:
        self.head = head
        try:
            path, key = request_key(self.path)
        except BadRequest as exc:
            self.send_text(HTTPStatus.BAD_REQUEST, f"bad request: {exc}")
            return
        if path.startswith(PREFIX):
            self.own(path[len(PREFIX):])
            return
        preview, snap = self.preview, self.preview.snapshot
        if unsafe(path):
            self.not_found(snap)
            return
        if snap is EMPTY:  # no good build yet: a holding page that shows the errors and waits
            self.send(HTTPStatus.SERVICE_UNAVAILABLE, "text/html; charset=utf-8",
                      preview.inject(b"<!doctype html><title>Waiting for a good build</title><body>"
                                     b"<p>giving: waiting for a good build.</p></body>", None))
            return
        outputs = snap.outputs
        hit = match_redirect(snap.rules, path)
        if hit is not None and hit[0].force and self.follow(snap, *hit):  # `!`: the rule shadows files
            return
        found = self.lookup(snap, key)
        if found is not None:
            self.serve(snap, found)
            return
        if key and (key + "/index.html") in outputs and not _withheld(snap, key + "/index.html"):
            query = urlsplit(self.path).query
            self.redirect(301, path + "/" + (f"?{query}" if query else ""))
            return
        if hit is not None and self.follow(snap, *hit):
            return
        self.not_found(snap)

    def follow(self, snap: Snapshot, rule: Rule, target: str) -> bool:
        """Apply a `_redirects` rule as Netlify does; False when it leads nowhere (so: not found)."""
        if 300 <= rule.status < 400:
            self.redirect(rule.status, target)
            return True
        if rule.status in (200, 404) and target.startswith("/"):  # a rewrite or a custom 404 page (not a proxy)
            try:
                _, target_key = request_key(target)
            except BadRequest:
                return False
            found = self.lookup(snap, target_key) if not unsafe("/" + target_key) else None
            if found is not None:
                self.serve(snap, found, HTTPStatus(rule.status))
                return True
        return False

    @staticmethod
    def lookup(snap: Snapshot, key: str) -> str | None:
        """The output key serving `key`: itself, its `index.html`, or `key.html`; never `_redirects`."""
        candidates = [key + "index.html"] if key == "" or key.endswith("/") else [key, key + ".html"]
        for candidate in candidates:
            if candidate in snap.outputs and not _withheld(snap, candidate) and \
                    candidate.split("/")[-1] not in ("_redirects", "_headers"):
                return candidate
        return None

    def serve(self, snap: Snapshot, key: str, status: HTTPStatus = HTTPStatus.OK) -> None:
        body = snap.outputs[key]
        kind = _content_type(key)
        if kind.startswith("text/html"):
            body = self.preview.inject(body, key)
        self.send(status, kind, body)

    def not_found(self, snap: Snapshot) -> None:
        if "404.html" in snap.outputs:
            body = self.preview.inject(snap.outputs["404.html"], "404.html")
            self.send(HTTPStatus.NOT_FOUND, "text/html; charset=utf-8", body)
        else:
            self.send_text(HTTPStatus.NOT_FOUND, "not found")

    def own(self, name: str) -> None:
        preview = self.preview
        if name == "events":
            self.events()
        elif name == "client.js":
            self.send(HTTPStatus.OK, "text/javascript; charset=utf-8", CLIENT_JS.read_bytes())
        elif name == "page.json":
            query = parse_qs(urlsplit(self.path).query)
            key = query.get("page", [None])[0]
            self.send(HTTPStatus.OK, "application/json; charset=utf-8",
                      json.dumps(preview.page_data(key), ensure_ascii=False).encode("utf-8"))
        elif name == "findings.json":
            body = json.dumps({"ok": not preview.errors, "version": preview.snapshot.version,
                               "findings": [preview.finding_data(f) for f in preview.findings]}, ensure_ascii=False)
            self.send(HTTPStatus.OK, "application/json; charset=utf-8", body.encode("utf-8"))
        elif name == "":
            self.send(HTTPStatus.OK, "text/html; charset=utf-8", preview.inject(preview.overview(), "_giving/"))
        else:
            self.send_text(HTTPStatus.NOT_FOUND, "not found")

    def events(self) -> None:
        """A Server-Sent Events stream: a hello with the current state, then one message per build."""
        preview = self.preview
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        self.send_header("X-Accel-Buffering", "no")
        self.end_headers()
        self.close_connection = True
        if self.head:
            return
        sock = self.connection
        with preview._changed:
            seq = preview._seq
        page = parse_qs(urlsplit(self.path).query).get("page", [""])[0][:500]
        if page:  # the quick rebuild renders the pages in view first
            with preview._touch_lock:
                preview._viewing[page] += 1
        try:
            known = parse_qs(urlsplit(self.path).query).get("v", [""])[0]  # the version the page shows
            self.wfile.write(b"retry: 500\n\n" + _sse(preview.hello(page, known)))
            self.wfile.flush()
            while not preview._stopping.is_set():
                with preview._changed:
                    if preview._seq == seq and not preview._stopping.is_set():
                        preview._changed.wait(preview.heartbeat)
                    pending = [e for e in preview._events if e.seq > seq]
                if preview._stopping.is_set() or _closed(sock):
                    return
                if pending:  # each message stands alone, so one lost to the ring costs at most a reload
                    seq = pending[-1].seq
                    self.wfile.write(b"".join(e.payload for e in pending))
                else:
                    self.wfile.write(b": ping\n\n")
                self.wfile.flush()
        except (OSError, ValueError):
            return  # the browser went away
        finally:
            if page:
                with preview._touch_lock:
                    preview._viewing[page] -= 1
                    if preview._viewing[page] <= 0:
                        del preview._viewing[page]

    def redirect(self, status: int, location: str) -> None:
        self.send(status, "text/plain; charset=utf-8", f"moved to {location}\n".encode(), {"Location": location})

    def send_text(self, status: HTTPStatus, text: str, headers: Mapping[str, str] | None = None) -> None:
        self.send(status, "text/plain; charset=utf-8", (text + "\n").encode("utf-8"), headers)

    def send(self, status, kind: str, body: bytes, headers: Mapping[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-cache")
        self.send_header("X-Content-Type-Options", "nosniff")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if not getattr(self, "head", False):
            self.wfile.write(body)


def _withheld(snap: Snapshot, key: str) -> bool:
    """A file whose source is a symlink leading out of the site, or lies under such a linked folder."""
    return bool(snap.withheld) and any(key == w or key.startswith(w + "/") for w in snap.withheld)


def _closed(sock: socket.socket) -> bool:
    """True once the peer has closed its end (readable with nothing to read)."""
    try:
        readable, _, _ = select.select([sock], [], [], 0)
        return bool(readable) and sock.recv(1, socket.MSG_PEEK) == b""
    except (OSError, ValueError):
        return True


def all_interfaces(host: str) -> bool:
    return host in ("", "0.0.0.0", "::", "[::]")


def loopback(host: str) -> bool:
    """Whether only this machine can reach `host` (127.0.0.0/8, ::1, localhost)."""
    import ipaddress

    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a name: it may resolve to anything
