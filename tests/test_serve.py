"""The preview server without a browser: URLs like Netlify, 404s, redirects, traversal, live-reload events."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from conftest import SITE_TOML, post
from generator.serve import ParseMemo, PortInUse, Preview, _css_only, _Watcher, match_redirect, parse_redirects

SECRET = "TOP-SECRET-OUTSIDE-THE-SITE"


def raw_get(port: int, target: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    """One request with the target sent byte for byte (http.client refuses to send the nasty ones)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(f"{method} ".encode() + target.encode("latin-1") + b" HTTP/1.1\r\nHost: t\r\n"
                     b"Connection: close\r\n\r\n")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return int(lines[0].split()[1]), headers, body


class Events:
    """A Server-Sent Events client reading `data:` messages off a socket."""

    def __init__(self, port: int, page: str = ""):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        query = f"?page={page}" if page else ""
        self.sock.sendall(f"GET /_giving/events{query} HTTP/1.1\r\nHost: t\r\nAccept: text/event-stream\r\n\r\n"
                          .encode())
        self.buffer = b""
        head = self._until(b"\r\n\r\n")
        assert b" 200 " in head.split(b"\r\n")[0] and b"text/event-stream" in head

    def _until(self, mark: bytes) -> bytes:
        while mark not in self.buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError
            self.buffer += chunk
        item, _, self.buffer = self.buffer.partition(mark)
        return item

    def next(self, timeout: float = 5, skip: tuple[str, ...] = ("findings",)) -> dict:
        """The next message, passing over the findings updates that follow each good build."""
        self.sock.settimeout(timeout)
        while True:
            block = self._until(b"\n\n").decode()
            data = [line[5:].strip() for line in block.split("\n") if line.startswith("data:")]
            if data and json.loads("".join(data))["type"] not in skip:
                return json.loads("".join(data))

    def close(self) -> None:
        self.sock.close()


SITE = {
    "content/posts/first.md": post("First post", "2026-01-10", "The first words.\n", aliases='["/old-first/"]'),
    "content/posts/second.md": post("Second post", "2026-01-11", "Second words.\n"),
    "content/pages/about.md": '---\ntitle: "About"\n---\nAbout this blog.\n',
}


@pytest.fixture
def serve(make_site):
    started: list[Preview] = []

    def start(files: dict[str, str | bytes] | None = None, **options) -> Preview:
        root = make_site(SITE if files is None else files)
        options = {"port": 0, "debounce": 0.02, "heartbeat": 0.2, **options}
        preview = Preview(root, **options).start()
        started.append(preview)
        return preview

    yield start
    for preview in started:
        preview.close()


def poll(predicate, timeout: float) -> bool:
    """For what no build announces (threads starting, streams closing)."""
    deadline = time.monotonic() + timeout
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.02)
    return bool(predicate())


def wait_builds(preview: Preview, count: int, timeout: float = 5) -> None:
    assert preview.wait_for(lambda: preview.builds >= count, timeout), f"no build {count} within {timeout} s"


def save(path: Path, text: str) -> None:
    """Save as careful editors do: write a hidden temporary file, then rename it over `path`.

    `write_text` truncates and then writes: two file events, which a loaded machine can put further
    apart than the debounce, and the build in between sees an empty post (an error, then a second
    build). The tests that follow one save through its builds save with this, so a save is one change.
    """
    temporary = path.with_name(f".{path.name}.tmp")  # ignored by the watcher and by builds
    temporary.write_text(text, "utf-8")
    os.replace(temporary, path)


def hold_full_builds(preview: Preview) -> threading.Event:
    """Make the builder wait before each full rebuild until the returned event is set (10 s at most).

    Until then the quick build is what is served however slowly the test runs, as on a site whose full
    build takes long; without it, a test that looks at the quick build after its message may find the
    full build there already (it lands about 0.1 s later here, sooner than a busy machine runs a test).
    """
    release, real = threading.Event(), preview.rebuild

    def held(*args, **kwargs):
        release.wait(10)
        return real(*args, **kwargs)

    preview.rebuild = held  # the builder thread calls self.rebuild(): the instance's attribute wins
    return release


# -- URLs ------------------------------------------------------------------------------------------------


def test_pretty_urls_serve_index_html_and_add_the_slash(serve):
    preview = serve(watch=False)
    assert preview.httpd.server_address[0] == "127.0.0.1"
    status, headers, body = raw_get(preview.port, "/first/")
    assert status == 200 and headers["content-type"] == "text/html; charset=utf-8"
    assert b"The first words." in body and b'<script src="/_giving/client.js">' in body
    status, headers, _ = raw_get(preview.port, "/first?x=1")
    assert status == 301 and headers["location"] == "/first/?x=1"
    assert raw_get(preview.port, "/")[0] == 200
    assert raw_get(preview.port, "/about/")[0] == 200
    status, headers, body = raw_get(preview.port, "/feed.xml")
    assert status == 200 and headers["content-type"].startswith("application/xml")
    assert b"giving-state" not in body  # only HTML pages get the client
    status, headers, body = raw_get(preview.port, "/first/", "HEAD")
    assert status == 200 and body == b"" and int(headers["content-length"]) > 0
    assert raw_get(preview.port, "/first/", "POST")[0] == 405


def test_unknown_path_gets_the_sites_404_page_with_status_404(serve):
    preview = serve(watch=False)
    status, headers, body = raw_get(preview.port, "/no/such/page/")
    assert status == 404
    assert b"Page not found" in body and b"/_giving/client.js" in body


def test_aliases_and_redirects_file_are_honoured(serve):
    files = {**SITE, "static/_redirects": "/blog/* /:splat 302\n/rewritten /about/ 200\n# comment\n"}
    del files["content/posts/first.md"]
    preview = serve(files, watch=False)
    status, headers, _ = raw_get(preview.port, "/blog/second/")
    assert status == 302 and headers["location"] == "/second/"
    status, _, body = raw_get(preview.port, "/rewritten")
    assert status == 200 and b"About this blog." in body
    assert raw_get(preview.port, "/_redirects")[0] == 404  # Netlify's instructions are not a page

    preview = serve(watch=False)  # aliases from front matter become `_redirects` lines
    for path in ("/old-first/", "/old-first"):
        status, headers, _ = raw_get(preview.port, path)
        assert status == 301 and headers["location"] == "/first/"


def test_forced_rules_custom_404s_and_proxies_behave_like_netlify(serve):
    files = {**SITE, "static/_redirects": "/about/ /second/ 302!\n/first/ /second/ 302\n"
                                          "/gone/* /about/ 404\n/api/* https://example.org/:splat 200\n",
             "content/posts/first.md": post("First post", "2026-01-10", "The first words.\n")}  # no aliases
    preview = serve(files, watch=False)
    status, headers, _ = raw_get(preview.port, "/about/")  # `!` wins over the page that exists
    assert status == 302 and headers["location"] == "/second/"
    assert raw_get(preview.port, "/first/")[0] == 200  # without `!` the page wins
    status, _, body = raw_get(preview.port, "/gone/anything")  # a custom 404 page
    assert status == 404 and b"About this blog." in body
    assert raw_get(preview.port, "/api/first/")[0] == 404  # proxies are not previewed; never a local page


def test_redirect_rules():
    rules = parse_redirects("/a /b\n/c/* /d/:splat 302!\nbad line\n/e /f nope\n")
    assert [(r.source, r.status, r.force) for r in rules] == [("/a", 301, False), ("/c/*", 302, True)]
    assert match_redirect(rules, "/a/")[1] == "/b"
    assert match_redirect(rules, "/c/x/y")[1] == "/d/x/y"
    assert match_redirect(rules, "/z") is None


# -- safety ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def exposed(tmp_path_factory):
    """A running preview with a secret file beside the site and symlinks to it from inside."""
    tmp_path = tmp_path_factory.mktemp("exposed")
    (tmp_path / "secret.txt").write_text(SECRET, "utf-8")
    root = tmp_path / "site"
    for rel, text in {"site.toml": SITE_TOML, **SITE, "static/inside.txt": "inside the site\n"}.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, "utf-8")
    (root / "static" / "leak.txt").symlink_to(tmp_path / "secret.txt")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.txt").write_text(SECRET, "utf-8")
    (root / "static" / "linked").symlink_to(tmp_path / "outside", target_is_directory=True)
    (root / "static" / "alias.txt").symlink_to(root / "static" / "inside.txt")
    (root / "site.toml").write_text((root / "site.toml").read_text() + f"# {SECRET}\n", "utf-8")
    with Preview(root, port=0, watch=False) as preview:
        yield preview


@pytest.mark.parametrize("target, statuses", [
    ("/../site.toml", {404}),
    ("/../../../../etc/passwd", {404}),
    ("/%2e%2e/site.toml", {404}),
    ("/%2E%2E/%2e%2e/secret.txt", {404}),
    ("/first/..%2f..%2fsite.toml", {404}),
    ("/..%5c..%5csite.toml", {404}),
    ("/%252e%252e/site.toml", {404}),
    ("//etc/passwd", {404}),
    ("/etc/passwd", {404}),
    ("http://evil/../../site.toml", {404}),
    ("/./first/", {404}),
    ("/inside.txt%00.html", {400}),
    ("/%00", {400}),
    ("/inside.txt\x00", {400}),
    ("/%ff%fe", {400}),
    ("relative/path", {400}),
    ("/leak.txt", {404}),
    ("/linked/secret.txt", {404}),
    ("/linked/", {404}),
    ("/%2fetc%2fpasswd", {404}),
    ("/C:%5cWindows%5cwin.ini", {404}),
])
def test_nothing_outside_the_output_is_served(exposed, target, statuses):
    status, _, body = raw_get(exposed.port, target)
    assert status in statuses
    assert SECRET.encode() not in body


def test_symlinks_inside_the_site_still_work_and_outside_ones_are_reported(exposed):
    assert raw_get(exposed.port, "/inside.txt")[2] == b"inside the site\n"
    assert raw_get(exposed.port, "/alias.txt")[2] == b"inside the site\n"
    assert any(f.location.path == "static/leak.txt" and f.rule == "serve" for f in exposed.findings)
    assert any(f.location.path == "static/linked" and f.rule == "serve" for f in exposed.findings)


def test_a_browser_hanging_up_mid_request_prints_nothing(serve, capfd):
    preview = serve(watch=False)
    for _ in range(3):
        with socket.create_connection(("127.0.0.1", preview.port), timeout=5) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            sock.sendall(b"GET /first/ HTTP/1.1\r\nHost: t\r\n")  # half a request, then a reset
    assert raw_get(preview.port, "/first/")[0] == 200  # the server is fine...
    assert "Traceback" not in capfd.readouterr().err  # ...and said nothing about it


# -- live reload ---------------------------------------------------------------------------------------


def test_saving_a_post_sends_one_reload_event_naming_its_page(serve):
    preview = serve(debounce=0.2)
    events = Events(preview.port)
    try:
        hello = events.next()
        assert hello["type"] == "hello" and hello["ok"] and hello["version"] == preview.snapshot.version
        source = preview.site_root / "content/posts/second.md"
        for n in range(5):  # a save storm is one rebuild
            save(source, post("Second post", "2026-01-11", f"Second words, take {n}.\n"))
        quick = events.next()  # its own page first...
        assert quick["type"] == "build" and quick["ok"] and quick["since"] == hello["version"] and "quick" in quick
        assert "second/index.html" in quick["changed"] and "first/index.html" not in quick["changed"]
        assert quick["css"] is None
        assert b"take 4" in raw_get(preview.port, "/second/")[2]
        full = events.next()  # ...then the rest of the site, without that page again
        assert full["ok"] and full["since"] == quick["version"] and "quick" not in full
        assert "second/index.html" not in full["changed"]
        wait_builds(preview, 2)
        assert (preview.builds, preview.quick_builds) == (2, 1)
        assert preview.cache.misses == 3 + 1  # the first build parsed three files, the save one
    finally:
        events.close()


def test_quick_pages_are_byte_for_byte_the_full_builds(serve):
    """The pages in view come first, rendered exactly as the full build renders them, so no page reloads twice."""
    preview = serve()
    release = hold_full_builds(preview)  # so what this test looks at after the quick message is the quick build
    events = Events(preview.port, page="first/index.html")  # a browser on the neighbour of the edited post
    try:
        events.next()
        save(preview.site_root / "content/posts/second.md", post("Second post, renamed", "2026-01-11", "New words.\n"))
        quick = events.next()
        assert "quick" in quick and preview.snapshot.version == quick["version"]
        assert {"first/index.html", "second/index.html"} <= set(quick["changed"])  # its title is on first's page
        early = dict(preview.snapshot.outputs)
        assert "Second post, renamed" not in early["index.html"].decode()  # listings wait for the full build
        assert b"Second post, renamed" in raw_get(preview.port, "/first/")[2]  # what a reloading browser gets
        assert b"Second post, renamed" not in raw_get(preview.port, "/")[2]
        release.set()
        full = events.next()
        assert "quick" not in full and full["since"] == quick["version"]
        assert "index.html" in full["changed"] and not {"first/index.html", "second/index.html"} & set(full["changed"])
        wait_builds(preview, 2)
        for key in quick["changed"]:
            assert early[key] == preview.snapshot.outputs[key], key
    finally:
        release.set()
        events.close()


def test_a_page_reconnecting_after_the_full_build_learns_whether_it_is_stale(serve):
    """A browser reloads on the quick build and reconnects just as the full build lands: no second reload."""
    preview = serve()
    before = preview.snapshot.version
    events = Events(preview.port)
    try:
        events.next()
        save(preview.site_root / "content/posts/second.md", post("Second post", "2026-01-11", "New.\n"))
        quick, full = events.next(), events.next()
    finally:
        events.close()
    assert full["version"] == preview.snapshot.version != quick["version"]
    assert not preview.stale("second/index.html", quick["version"])  # as reloaded on the quick build
    assert preview.stale("second/index.html", before) and preview.stale("index.html", quick["version"])
    assert preview.stale("second/index.html", "no-such-version")
    late = Events(preview.port, page=f"second/index.html&v={quick['version']}")
    try:
        hello = late.next()
        assert hello["type"] == "hello" and hello["stale"] is False
    finally:
        late.close()


def test_quick_rebuild_is_skipped_for_anything_but_posts_and_pages(serve):
    preview = serve({**SITE, "static/note.txt": "one\n"}, watch=False)  # no builder: only these calls build
    now = preview.snapshot.now
    assert not preview.quick_rebuild({""}, now) and not preview.quick_rebuild(set(), now)
    source = preview.site_root / "content/posts/second.md"
    source.write_text('---\ntitle: "Broken\n---\n', "utf-8")
    assert not preview.quick_rebuild({"content/posts/second.md"}, now)  # errors wait for the full build
    assert preview.quick_builds == 0 and b"Second words." in preview.snapshot.outputs["second/index.html"]


def test_a_change_while_the_quick_rebuild_reads_the_site_is_not_forgotten(serve, monkeypatch):
    """A static file saved while the quick rebuild reads the whole site: later quick builds serve it as saved."""
    import generator.serve

    preview = serve({**SITE, "static/note.txt": "one\n"}, watch=False)  # the builder's steps, in its order
    note, second = preview.site_root / "static/note.txt", preview.site_root / "content/posts/second.md"
    real, saved = generator.serve.read_sources, []

    def read_then_save(root):
        sources = real(root)  # note.txt read as "one"...
        if not saved:
            save(note, "two\n")  # ...and saved just after, its file event arriving before the read is over
            preview.touch([str(note)])
            saved.append(note)
        return sources

    monkeypatch.setattr(generator.serve, "read_sources", read_then_save)
    now = preview.snapshot.now
    save(second, post("Second post", "2026-01-11", "Take one.\n"))
    assert not preview.quick_rebuild({"content/posts/second.md"}, now) and saved  # a copy of the site gone stale
    assert preview.quick_builds == 0 and raw_get(preview.port, "/note.txt")[2] == b"one\n"  # nothing published
    preview.rebuild(now)  # what the builder does next
    assert raw_get(preview.port, "/note.txt")[2] == b"two\n"
    save(second, post("Second post", "2026-01-11", "Take two.\n"))
    assert preview.quick_rebuild({"content/posts/second.md"}, now)
    assert b"Take two." in raw_get(preview.port, "/second/")[2]
    assert raw_get(preview.port, "/note.txt")[2] == b"two\n"  # not the copy read before the save


def test_editorial_findings_follow_the_reload_as_an_update(serve):
    preview = serve()
    events = Events(preview.port)
    try:
        events.next()
        save(preview.site_root / "content/posts/second.md",
             post("Second post", "2026-01-11", "I said the the truth.\n"))
        messages = [events.next(skip=())]
        while messages[-1]["type"] != "findings":  # the quick build and the full one come first
            messages.append(events.next(skip=()))
        *_, build, update = messages
        assert update["type"] == "findings" and update["ok"] and update["version"] == build["version"]
        data = preview.page_data("second/index.html")
        assert [f["rule"] for f in data["findings"]] == ["repeated-word"]
        assert data["findings"][0]["line"] == 5 and data["voice"]["i_we"] == 1
    finally:
        events.close()


def test_a_save_during_slow_checks_is_rebuilt_without_waiting_for_them(serve):
    preview = serve()
    release, calls = threading.Event(), []
    real = preview.run_checks

    def slow_checks(site, text):
        calls.append(site)
        release.wait(10)  # a large site's editorial checks
        return real(site, text)

    preview.run_checks = slow_checks
    source = preview.site_root / "content/posts/second.md"
    try:
        save(source, post("Second post", "2026-01-11", "One save.\n"))
        assert poll(lambda: calls, 10)
        before = preview.builds
        save(source, post("Second post", "2026-01-11", "Another save, the the same.\n"))
        wait_builds(preview, before + 1)  # built while the first save's checks still run
        assert b"Another save" in raw_get(preview.port, "/second/")[2]
    finally:
        release.set()
    assert preview.wait_for(lambda: any(f.rule == "repeated-word" for f in preview.findings), 10)
    assert len(calls) == 2  # the superseded checks were dropped, the latest ones ran


def test_broken_front_matter_shows_errors_and_keeps_serving_the_last_good_build(serve):
    linking = post("First post", "2026-01-10", "The first words; then [the second](second.md).\n")
    preview = serve({**SITE, "content/posts/first.md": linking})
    events = Events(preview.port)
    source = preview.site_root / "content/posts/second.md"
    good = source.read_text("utf-8")
    try:
        events.next()
        save(source, '---\ntitle: "Second post\ndate: 2026-01-11\n---\nBroken.\n')
        message = events.next()
        assert not message["ok"]
        error = message["errors"][0]
        assert error["path"] == "content/posts/second.md" and error["line"] >= 1 and error["message"]
        assert any(line == error["line"] for line, _ in error["excerpt"])
        status, _, body = raw_get(preview.port, "/second/")  # the last good build, plus the errors
        assert status == 200 and b"Second words." in body
        state = json.loads(body.split(b'id="giving-state">')[1].split(b"</script>")[0])
        assert not state["ok"] and state["errors"][0]["path"] == "content/posts/second.md"
        assert "content/posts/second.md" in raw_get(preview.port, "/_giving/")[2].decode()

        # The file just saved comes first, before the links elsewhere that its breakage breaks.
        assert [e["path"] for e in message["errors"]][0] == "content/posts/second.md"

        save(source, good.replace("Second words.", "Fixed words."))
        message = events.next()
        assert message["ok"] and message["errors"] == [] and "second/index.html" in message["changed"]
        assert b"Fixed words." in raw_get(preview.port, "/second/")[2]
    finally:
        events.close()


def test_a_first_build_that_fails_serves_a_holding_page_until_fixed(serve):
    preview = serve({"content/posts/bad.md": "---\ntitle: [\n---\n"})
    status, _, body = raw_get(preview.port, "/")
    assert status == 503 and b"giving-state" in body and not preview.snapshot.outputs
    (preview.site_root / "content/posts/bad.md").write_text(post("Good now"), "utf-8")
    assert preview.wait_for(lambda: bool(preview.snapshot.outputs), 5)
    assert raw_get(preview.port, "/bad/")[0] == 200


def test_stylesheet_only_change_is_a_css_swap(serve):
    files = {**SITE, "site.toml": 'title = "T"\nbase_url = "https://example.org/"\ntheme = "mine"\n',
             "themes/mine/theme.toml": 'extends = "default"\n', "themes/mine/static/style.css": "body{color:red}\n"}
    preview = serve(files)
    events = Events(preview.port)
    try:
        events.next()
        save(preview.site_root / "themes/mine/static/style.css", "body{color:blue}\n")
        message = events.next()
        assert message["ok"] and message["css"]
        [(old, new)] = message["css"]
        assert old.startswith("/assets/style.") and new.startswith("/assets/style.") and old != new
        assert raw_get(preview.port, new)[2] == b"body{color:blue}\n"
    finally:
        events.close()


def test_css_only_detection():
    old = {"a.html": b'<link href="/assets/s.0123456789.css">x', "assets/s.0123456789.css": b"1"}
    new = {"a.html": b'<link href="/assets/s.abcdefabcd.css">x', "assets/s.abcdefabcd.css": b"2"}
    changed = tuple(sorted(set(old) | set(new)))
    assert _css_only(old, new, changed) == [("assets/s.0123456789.css", "assets/s.abcdefabcd.css")]
    new["a.html"] = b'<link href="/assets/s.abcdefabcd.css">y'
    assert _css_only(old, new, changed) is None


def test_every_watched_place_triggers_a_rebuild(serve):
    from generator.theme import find_theme

    preview = serve()
    root = preview.site_root
    changes = [("static/new.txt", "new\n"), ("templates/unused.html", "{{ title }}\n"),  # templates/ is new
               ("site.toml", SITE_TOML + "# edited\n"), ("content/pages/new.md", '---\ntitle: "New"\n---\nNew.\n')]
    for rel, text in changes:
        before = preview.builds
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, "utf-8")
        assert preview.wait_for(lambda: preview.builds > before, 10), rel
    assert preview.wait_for(lambda: "new.txt" in preview.snapshot.outputs and
                            "new/index.html" in preview.snapshot.outputs, 10)
    bundled = find_theme("default", root).root  # the active theme lives outside this site
    assert (str(bundled), True) in preview._watches and (str(root / "templates"), True) in preview._watches


def test_editor_litter_is_not_a_change(tmp_path):
    watcher = _Watcher(None, tmp_path, recursive=True)
    assert watcher.relevant(str(tmp_path / "content/posts/a.md"))
    for name in (".a.md.swp", "a.md~", "#a.md#", "4913", ".git/index", "a.md.tmp"):
        assert not watcher.relevant(str(tmp_path / "content/posts" / name)), name
    top = _Watcher(None, tmp_path, recursive=False)
    assert top.relevant(str(tmp_path / "site.toml")) and not top.relevant(str(tmp_path / "public"))


def test_parse_cache_reuses_unchanged_files(make_site, build_site):
    from generator.build import build
    from generator.site import BuildOptions
    from conftest import NOW

    root = make_site(SITE)
    cache = ParseMemo()
    first = build(root, BuildOptions(now=NOW), parse=cache)
    cache.prune()
    assert (cache.misses, cache.hits) == (3, 0)
    (root / "content/posts/first.md").write_text(post("First post", "2026-01-10", "Changed.\n"), "utf-8")
    second = build(root, BuildOptions(now=NOW), parse=cache)
    assert (cache.misses, cache.hits) == (4, 2)
    assert second.outputs["second/index.html"] == first.outputs["second/index.html"]
    assert second.outputs == build_site(root).outputs  # the cache never changes the result


def test_a_fresh_server_reuses_parses_from_its_first_build(make_site):
    """In a new process (where nothing has imported the checks yet) the second build parses nothing."""
    root = make_site(SITE)
    code = ("import sys; from pathlib import Path; from generator.serve import Preview\n"
            "p = Preview(Path(sys.argv[1]), port=0, watch=False); p.rebuild(); p.rebuild()\n"
            "print(p.cache.misses, p.cache.hits)")
    done = subprocess.run([sys.executable, "-c", code, str(root)], capture_output=True, text=True, timeout=60,
                          cwd=Path(__file__).parent.parent)
    assert done.stdout.split() == ["3", "3"], done.stderr


# -- findings, drafts, the client never in a build ----------------------------------------------------


def test_findings_panel_data_and_the_findings_page(serve):
    files = {
        "content/posts/a.md": post("Part one", "2026-01-01", "I think we know. You know.\n", series="Walk",
                                   series_order=1),
        "content/posts/b.md": post("Part two", "2026-01-02", "More for you.\n", series="Walk"),
        "content/posts/draft.md": post("Unfinished", "2026-01-03", draft="true"),
        "content/posts/later.md": post("Later", "2099-01-01"),
    }
    preview = serve(files, watch=False)
    data = json.loads(raw_get(preview.port, "/_giving/page.json?page=b/index.html")[2])
    assert data["source"] == "content/posts/b.md"
    assert [f["rule"] for f in data["findings"]] == ["series"]
    assert all(f["path"] == "content/posts/b.md" for f in data["findings"])
    a = preview.page_data("a/index.html")
    assert a["findings"] == [] and a["voice"]["i_we"] >= 2 and a["voice"]["you"] >= 1
    assert preview.page_data("draft/index.html")["status"] == ["Draft"]
    assert preview.page_data("later/index.html")["status"] == ["Scheduled for 1 January 2099"]
    page = raw_get(preview.port, "/_giving/")[2].decode()
    assert "content/posts/b.md" in page and "series_order" in page and 'href="/b/"' in page
    everything = json.loads(raw_get(preview.port, "/_giving/findings.json")[2])
    assert len(everything["findings"]) == len(preview.findings)

    hidden = serve(files, watch=False, drafts=False)
    assert raw_get(hidden.port, "/draft/")[0] == 404 and raw_get(hidden.port, "/later/")[0] == 404


def test_giving_build_output_never_carries_the_client(make_site, build_site):
    result = build_site(make_site(SITE), drafts=True, future=True)
    assert not any(b"/_giving/" in data or b"giving-state" in data for data in result.outputs.values())


def test_the_client_script_is_served(serve):
    preview = serve(watch=False)
    status, headers, body = raw_get(preview.port, "/_giving/client.js")
    assert status == 200 and headers["content-type"].startswith("text/javascript") and b"EventSource" in body
    assert raw_get(preview.port, "/_giving/nothing")[0] == 404


# -- ports and the command -----------------------------------------------------------------------------


def test_a_port_in_use_is_a_clear_error(serve, make_site):
    first = serve(watch=False)
    with pytest.raises(PortInUse) as caught:
        Preview(first.site_root, port=first.port, watch=False).start()
    assert f"port {first.port}" in str(caught.value) and "--port 0" in str(caught.value)


def start_serving(root: Path, *args: str) -> tuple[subprocess.Popen, list[str]]:
    """`giving serve --port 0 ARGS` in a subprocess, and its output up to the "Serving" line."""
    proc = subprocess.Popen([sys.executable, "-m", "generator", "serve", "--site", str(root), "--port", "0", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            cwd=Path(__file__).parent.parent)
    lines = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        lines.append(line)
        if line.startswith("Serving") or not line:
            break
    return proc, lines


def stop(proc: subprocess.Popen) -> str:
    proc.send_signal(signal.SIGINT)
    try:
        out, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return out


def test_giving_serve_command_says_the_port_and_stops_on_ctrl_c(make_site):
    proc, lines = start_serving(make_site(SITE))
    try:
        assert lines[-1].startswith("Serving") and "http://127.0.0.1:" in lines[-1], lines
        assert not any("Warning" in line for line in lines)
        port = int(next(line for line in lines if "picked free port" in line).split()[-1].rstrip("."))
        assert raw_get(port, "/first/")[0] == 200
    finally:
        out = stop(proc)
    assert proc.returncode == 0 and "Stopped." in out and "Traceback" not in out


def test_giving_serve_warns_when_others_can_reach_it(make_site):
    proc, lines = start_serving(make_site(SITE), "--host", "0.0.0.0")
    try:
        assert any("Warning: listening on all interfaces (0.0.0.0)" in line for line in lines), lines
    finally:
        stop(proc)


def test_a_port_in_use_is_said_before_building(make_site):
    root = make_site({**SITE, "content/posts/bad.md": "---\ntitle: [\n---\n"})
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run([sys.executable, "-m", "generator", "serve", "--site", str(root), "--port", str(port)],
                              capture_output=True, text=True, timeout=60, cwd=Path(__file__).parent.parent)
    assert done.returncode == 1
    assert done.stderr.strip() == (f"--port: error: port {port} on 127.0.0.1 is already in use; stop the other "
                                   "server, choose another --port, or pass --port 0 to pick a free one [serve]")


def test_loopback_hosts():
    from generator.serve import all_interfaces, loopback

    assert all(loopback(h) for h in ("127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost"))
    assert not any(loopback(h) for h in ("0.0.0.0", "192.168.1.5", "example.org", "::"))
    assert all_interfaces("0.0.0.0") and all_interfaces("::") and not all_interfaces("127.0.0.1")
