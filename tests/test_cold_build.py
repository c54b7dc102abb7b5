"""The cold build's plumbing: bundled templates compiled once per installation, the sources walk, the
threaded output writes and the workers' scratch files; each gives exactly what the plain way gives."""

from __future__ import annotations

import os
from pathlib import Path

import jinja2
import pytest

from generator import fs, parallel
from generator.build import build
from generator.fs import read_sources, write_output
from generator.model import SourceFile
from generator.site import BuildOptions

from conftest import NOW, post

OPTIONS = BuildOptions(now=NOW)


@pytest.fixture
def compiles(monkeypatch) -> list[str]:
    """Names of the templates Jinja compiles from source from here on."""
    names: list[str] = []
    compile_ = jinja2.Environment.compile

    def counting(self, source, name=None, filename=None, raw=False, defer_init=False):
        names.append(name)
        return compile_(self, source, name, filename, raw, defer_init)

    monkeypatch.setattr(jinja2.Environment, "compile", counting)
    return names


@pytest.fixture
def shared(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "installed-pycache"
    monkeypatch.setattr(fs, "BUNDLED_TEMPLATES", folder)
    return folder


def test_bundled_templates_are_compiled_once_per_installation(make_site, shared, compiles, tmp_path, monkeypatch):
    root = make_site({"content/posts/a.md": post("A", tags="[x]"), "templates/page.html": "{{ page.title }}\n",
                      "content/pages/about.md": "---\ntitle: About\n---\nAbout.\n"})
    monkeypatch.setenv(fs.CACHE_ENV, str(tmp_path / "cache-1"))
    first = build(root, OPTIONS)
    assert "post.html" in compiles and "page.html" in compiles
    assert len(list(shared.glob("jinja-*/*"))) == len(set(compiles)) - 1  # the site's own page.html stays its own
    compiles.clear()
    monkeypatch.setenv(fs.CACHE_ENV, str(tmp_path / "cache-2"))  # a new site cache: a cold build
    second = build(root, OPTIONS)
    assert compiles == ["page.html"]
    assert dict(second.outputs) == dict(first.outputs) and first.outputs
    assert any((tmp_path / "cache-2" / "jinja").iterdir())  # the site's cache still holds what it used


def test_damaged_or_foreign_installed_templates_are_compiled_again(make_site, shared, compiles, tmp_path,
                                                                 monkeypatch):
    root = make_site({"content/posts/a.md": post("A")})
    monkeypatch.setenv(fs.CACHE_ENV, str(tmp_path / "cache-1"))
    first = dict(build(root, OPTIONS).outputs)
    entries = list(shared.glob("jinja-*/*"))
    assert entries
    for n, path in enumerate(entries):
        path.write_bytes(b"garbage" if n % 2 else path.read_bytes()[:30])
    compiles.clear()
    monkeypatch.setenv(fs.CACHE_ENV, str(tmp_path / "cache-2"))
    assert dict(build(root, OPTIONS).outputs) == first
    assert len(compiles) == len(entries)


def test_other_environment_settings_do_not_share_compiled_templates(tmp_path, monkeypatch):
    monkeypatch.setattr(fs, "BUNDLED_TEMPLATES", tmp_path / "installed")
    templates = tmp_path / "theme"
    templates.mkdir()
    (templates / "t.html").write_text("{% if true %}\nx\n{% endif %}\n", "utf-8")
    for run in range(2):  # the second time from the installed compiled templates
        for trim in (True, False):
            monkeypatch.setenv(fs.CACHE_ENV, str(tmp_path / f"cache-{run}-{trim}"))
            env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(templates)), trim_blocks=trim,
                                     bytecode_cache=fs.template_cache(tmp_path, f"trim={trim}", (templates,)))
            assert env.get_template("t.html").render() == ("x\n" if trim else "\nx\n")
    assert len(list((tmp_path / "installed").glob("jinja-*/*"))) == 2


def test_read_sources_leaves_out_what_it_always_did(tmp_path):
    root = tmp_path / "site"
    files = ["content/posts/a.md", "content/posts/.hidden.md", "content/.git/x", "content/posts/b.md~",
             "content/posts/c.swp", "content/posts/#d.md#", "content/a~/e.md", "content/#f/g.md", "content/B.md",
             "content/a-b", "content/a.b", "content/a/b", "static/.well-known/x", "static/z/q.css", "static/x.bak"]
    for rel in files:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(rel.encode())
    os.symlink(root / "static" / "z" / "q.css", root / "content" / "link.css")
    os.symlink(root / "static" / "z", root / "content" / "linked-folder")
    os.symlink(root / "nowhere", root / "content" / "dangling")
    got = read_sources(root)
    assert [s.path for s in got] == ["content/#f/g.md", "content/B.md", "content/a/b", "content/a-b", "content/a.b",
                                     "content/a~/e.md", "content/link.css", "content/posts/a.md", "static/z/q.css"]
    assert got[6] == SourceFile("content/link.css", b"static/z/q.css")


def test_output_written_by_threads_is_exactly_the_outputs(tmp_path, monkeypatch):
    monkeypatch.setattr(fs, "WRITERS", 4)
    outputs = {f"p{n:04d}/index.html": os.urandom(n * 37 % 5000) for n in range(600)}
    outputs |= {"feed.xml": b"<feed/>", "tags/x/index.html": b"x", "tags/x/page/2/index.html": b"", "a/b/c/d": b"d"}
    out = tmp_path / "public"
    assert write_output(out, outputs, tmp_path / "site") == len(outputs)
    written = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    written.pop(fs.MARKER)
    assert written == outputs
    changed = {**outputs, **{f"p{n:04d}/index.html": b"new %d" % n for n in range(0, 600, 3)}}
    assert write_output(out, changed, tmp_path / "site") == 200
    written = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    written.pop(fs.MARKER)
    assert written == changed


def test_workers_fall_back_to_the_disk_when_the_scratch_folder_fails(tmp_path, monkeypatch):
    monkeypatch.setattr(parallel, "SCRATCH", str(tmp_path / "missing"))
    assert parallel.map_forked(lambda n: n * n, list(range(50)), 2, force=True) == [n * n for n in range(50)]
    monkeypatch.setattr(parallel, "SCRATCH", str(tmp_path))
    assert parallel.map_forked(lambda n: n * n, list(range(50)), 2, force=True) == [n * n for n in range(50)]
    assert not list(tmp_path.iterdir())  # read and removed


def test_a_changed_base_url_reaches_every_page_with_compiled_templates_kept(make_site):
    """`"/" | absolute` in feed.xml once became a constant of the compiled template (Jinja folds filters
    of constants), so a new base_url left the feed's own links on the old one."""
    root = make_site({"content/posts/a.md": post("A")})
    first = build(root, OPTIONS, cache=False).outputs
    assert b"https://example.org/feed.xml" in first["feed.xml"]
    toml = root / "site.toml"
    toml.write_text(toml.read_text("utf-8").replace("https://example.org/", "https://moved.example/"), "utf-8")
    for cache in (False, True):
        outputs = build(root, OPTIONS, cache=cache).outputs
        assert not [path for path, data in outputs.items() if b"example.org" in data]
        assert b'href="https://moved.example/feed.xml"' in outputs["feed.xml"]


def test_templates_compiled_for_another_setup_are_not_used(make_site, shared, compiles, monkeypatch):
    """An upgrade that changes how the environment is set up (a filter's calling convention is compiled
    into the template) compiles again rather than run templates compiled for the old setup."""
    from generator import render

    root = make_site({"content/posts/a.md": post("A")})
    monkeypatch.setattr(render, "_template_variant", lambda: "before")
    first = dict(build(root, OPTIONS, cache=False).outputs)
    assert compiles
    compiles.clear()
    assert dict(build(root, OPTIONS, cache=False).outputs) == first and not compiles
    monkeypatch.setattr(render, "_template_variant", lambda: "after")
    assert dict(build(root, OPTIONS, cache=False).outputs) == first and "feed.xml" in compiles


@pytest.mark.parametrize("count", [2, 3])
def test_pages_shared_between_this_process_and_workers_are_the_serial_pages(make_site, monkeypatch, count):
    """The render of a large site is shared between this process (the first share) and forked workers;
    together they give what one renderer gives, findings included (here a page whose template fails)."""
    from generator import render
    from generator.theme import load_chain

    files = {f"content/posts/p{n:02d}.md": post(f"Post {n}", f"2026-01-{n % 28 + 1:02d}", tags=f"[t{n % 4}]")
             for n in range(13)}
    files["content/pages/about.md"] = "---\ntitle: About\n---\nAbout.\n"
    files["templates/page.html"] = "{{ page.title }} {{ nothing.here }}\n"  # StrictUndefined: a finding
    files["static/notes.txt"] = "static, copied through\n"
    files["content/posts/p00.md"] = post("Post 0", "2026-01-01", "![A drawing](pic.svg)\n", aliases='["/old/"]')
    files["content/posts/pic.svg"] = '<svg xmlns="http://www.w3.org/2000/svg"/>'
    root = make_site(files)
    site = build(root, OPTIONS, cache=False).site
    chain = load_chain("default", root)
    assets = render.theme_assets(chain)
    serial = render.render(site, chain, root, assets)
    assert serial[1] and "about/index.html" not in serial[0]
    monkeypatch.setattr(parallel, "RENDER_FROM", 1)
    monkeypatch.setattr(parallel, "workers", lambda: count)
    shared_ = parallel.render_all(site, chain, root, assets)
    assert dict(sorted(shared_[0].items())) == dict(sorted(serial[0].items()))
    assert shared_[1] == serial[1]
    assert {"notes.txt", "posts/pic.svg", "feed.json", "sitemap.xml", "_redirects"} <= shared_[0].keys()


def test_with_fields_is_dataclasses_replace(make_site):
    import dataclasses

    from generator.model import with_fields

    root = make_site({"content/posts/a.md": post("A", tags="[x, y]", body="Hi [you](https://example.org/).\n")})
    original = build(root, OPTIONS, cache=False).site.posts[0]
    for changes in ({}, {"url": "/new/"}, {"html": "<p>x</p>", "summary_html": "", "tags": ()}):
        assert with_fields(original, **changes) == dataclasses.replace(original, **changes)
    assert with_fields(original).links is original.links
    with pytest.raises(TypeError):
        with_fields(original, nonsense=1)


def _mixed_site(make_site) -> Path:
    """Posts with and without internal links, a draft, a scheduled post, a page, per-post check settings
    and suppressions: everything that decides whether a parse worker may check a post itself."""
    body = ("## Top\n\n#### Deep\n\nClick [here](https://example.org) to read the the end.\n\n"
            "<!-- giving-disable-next-line repeated-word -->\nThe the end, again.\n")
    files = {f"content/posts/p{i}.md": post(f"Post {i}", f"2026-01-{i + 1:02d}",
                                           body + (f"\nSee [the next](p{i + 1}.md).\n" if i % 3 == 0 else ""),
                                           checks="{link-text: off}" if i % 4 == 0 else "{headings: info}",
                                           tags="[x]")
             for i in range(30)}
    files["content/posts/draft.md"] = post("Draft", "2026-02-01", body, draft="true")
    files["content/posts/later.md"] = post("Later", "2027-02-01", body)
    files["content/posts/p30.md"] = post("Last", "2026-02-02", body + "\n<!-- giving-disable -->\n")
    files["content/pages/about.md"] = "---\ntitle: About\nchecks: {credit: info}\n---\n" + body
    return make_site(files)


@pytest.mark.parametrize("drafts", [False, True])
def test_checks_run_by_the_parse_workers_equal_run_checks(make_site, monkeypatch, drafts):
    from generator.checks import run_checks
    from generator.content import parse_post

    root = _mixed_site(make_site)
    options = BuildOptions(now=NOW, drafts=drafts)
    reference = build(root, options, parse=parse_post, check=run_checks)  # the preview's way: no workers
    checked_here: list[int] = []
    map_forked = parallel.map_forked
    monkeypatch.setattr(parallel, "map_forked", lambda f, items, *a, **k: checked_here.append(len(items))
                        or map_forked(f, items, *a, **k))
    monkeypatch.setattr(parallel, "PARALLEL_FROM", 1)
    monkeypatch.setattr(parallel, "workers", lambda: 2)
    monkeypatch.setattr(parallel.threading, "active_count", lambda: 1)  # pytest's threads: fork anyway
    for cache in (False, True, True):
        checked_here.clear()
        result = build(root, options, cache=cache)
        assert result.findings == reference.findings and dict(result.outputs) == dict(reference.outputs)
        assert {"headings", "link-text", "repeated-word"} <= {f.rule for f in result.findings}
        if not cache:  # only the posts with an internal link (assembly rewrites them) are checked later
            assert checked_here == [10]


def _flags(folder: Path) -> int | None:
    import fcntl
    import struct

    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            return struct.unpack("l", fcntl.ioctl(fd, fs._GETFLAGS, struct.pack("l", 0)))[0]
        finally:
            os.close(fd)
    except OSError:
        return None


def test_the_allocation_hint_is_gone_from_the_written_folder(tmp_path, monkeypatch):
    hinted: list[int | None] = []
    spread = fs._spread_hint
    monkeypatch.setattr(fs, "_spread_hint", lambda folder: hinted.append(spread(folder)) or hinted[-1])
    outputs = {f"{n}/post-{n}/index.html": f"<p>{n}</p>".encode() for n in range(200)}
    out = tmp_path / "public"
    write_output(out, outputs, tmp_path)
    assert hinted and {p: out.joinpath(p).read_bytes() for p in outputs} == outputs
    (tmp_path / "plain").mkdir()
    assert _flags(out) == _flags(tmp_path / "plain")  # the folder goes in as a plain mkdir would make it
    if hinted[0] is None:
        pytest.skip("this file system takes no allocation hint")


def test_work_shared_with_forked_workers_comes_back_whole_and_in_order(monkeypatch):
    """This process and its forked workers take chunks from one pipe; `local` runs here only, and the
    chunks cover every item exactly once, whoever computed them."""
    monkeypatch.setattr(parallel.threading, "active_count", lambda: 1)  # pytest's threads: fork anyway
    items = list(range(200))
    assert parallel.map_forked(lambda n: n * n, items, 3) == [n * n for n in items]
    seen: dict[int, tuple[int, bool]] = {}
    pid = os.getpid()
    for start, results, here in parallel.unordered(lambda n: (n, os.getpid()), items, 2,
                                                   local=lambda n: (n, -1), warm=5, first=40):
        for offset, (n, where) in enumerate(results):
            assert n == start + offset and n not in seen
            seen[n] = where, here
            assert (where == -1) == here and where != pid
    assert sorted(seen) == items
    assert all(seen[n][1] for n in range(45))  # the warm-up, then the `first` items: here, never forked


def test_code_posts_are_parsed_by_this_process_first_up_to_its_share():
    """Posts with fenced code in a named language go to this process alone (their lexers then load in one
    process), after the warm-up and never more than its share; the order is a permutation of the work."""
    code, plain = b"Text.\n\n```python\nx = 1\n```\n", b"Text.\n\n```\nno language\n```\n"
    sources = [SourceFile(f"content/posts/{n}.md", plain if n % 3 == 0 else code) for n in range(60)]
    todo = list(range(60))
    order, warm, first = parallel._order(todo, sources)
    assert sorted(order) == todo and warm == parallel.WARM
    assert order[:warm] == todo[:warm]
    coded = [i for i in todo[warm:] if i % 3]
    assert first == min(len(coded), (60 - warm) // parallel.workers())
    assert order[warm:warm + first] == coded[:first]


def test_a_failing_worker_stops_the_work_and_leaves_no_files(tmp_path, monkeypatch):
    import time

    monkeypatch.setattr(parallel, "SCRATCH", str(tmp_path))
    parent = os.getpid()

    def failing(n: int) -> int:
        time.sleep(0.005)
        if n == 30:
            raise ValueError(f"item 30 in the {'parent' if os.getpid() == parent else 'worker'}")
        return n

    with pytest.raises(ValueError, match="item 30"):
        parallel.map_forked(failing, list(range(60)), 2, force=True)

    def dying(n: int) -> int:
        time.sleep(0.02)
        if os.getpid() != parent:
            os._exit(3)  # a worker killed outright (say, by the kernel for memory)
        return n

    with pytest.raises(RuntimeError, match="stopped"):
        parallel.map_forked(dying, list(range(12)), 2, force=True)
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("fails", [False, True])
def test_pages_written_by_the_render_shares_into_the_staging_folder(make_site, monkeypatch, fails):
    """A fresh output folder is staged before rendering ends, and each render share writes its pages
    into it: the output is the outputs exactly, and a failed build (here --strict with a warning, found
    after rendering) leaves neither an output folder nor a staging folder behind."""
    from click.testing import CliRunner

    from generator.cli import main

    files = {f"content/posts/p{n:02d}.md": post(f"Post {n}", f"2026-01-{n % 28 + 1:02d}", tags=f"[t{n % 3}]")
             for n in range(12)}
    files["content/pages/about.md"] = "---\ntitle: About\n---\nAbout.\n"
    files["static/notes.txt"] = "static, copied through\n"
    if fails:
        files["content/posts/p01.md"] = post("Post 1", "2026-01-02", "Click [here](https://example.org/).\n")
    root = make_site(files)
    expected = build(root, OPTIONS, cache=False).outputs
    monkeypatch.setattr(parallel, "RENDER_FROM", 1)
    monkeypatch.setattr(parallel, "workers", lambda: 2)
    monkeypatch.setattr(parallel.threading, "active_count", lambda: 1)  # pytest's threads: fork anyway
    staged: list[int] = []
    render_all = parallel.render_all

    def counting(*args, **kwargs):
        result = render_all(*args, **kwargs)
        staged.append(len(kwargs["staged"]))
        return result

    monkeypatch.setattr(parallel, "render_all", counting)
    out = root / "public"
    result = CliRunner().invoke(main, ["build", "--site", str(root), "--no-cache", "--strict"], catch_exceptions=False)
    assert staged and staged[0] == len(expected)  # every page and file went into the staging folder
    if fails:
        assert result.exit_code == 1 and not out.exists()
    else:
        assert result.exit_code == 0, result.output
        written = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}
        assert written.pop(fs.MARKER) and written == dict(expected)
    assert [p.name for p in root.iterdir() if p.name.startswith(".public")] == []


def test_without_a_fork_the_work_is_done_here(monkeypatch):
    """A process limit or no memory for a fork: the same results, computed in this process."""
    def no_fork():
        raise OSError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(parallel.threading, "active_count", lambda: 1)
    monkeypatch.setattr(parallel.os, "fork", no_fork)
    assert parallel.map_forked(lambda n: n * n, list(range(40)), 2) == [n * n for n in range(40)]
    assert parallel.beside_forked(lambda: "here", lambda n: n + 1, [1, 2]) == ("here", [2, 3])



@pytest.mark.parametrize("where", ["templates/post.html", "themes/mine/templates/post.html"])
def test_a_template_that_reads_the_passages_gets_them(make_site, where):
    """`stats_in_templates` looks at the templates: the site's own templates/ and its themes'."""
    from click.testing import CliRunner

    from conftest import SITE_TOML
    from generator.cli import main

    root = make_site({"site.toml": SITE_TOML + 'theme = "mine"\n',
                      "themes/mine/theme.toml": 'extends = "default"\n',
                      "themes/mine/static/notes.txt": "no passages here\n",
                      "content/posts/a.md": post("A", body="One paragraph for you.\n\nAnother one for you.\n"),
                      where: "passages={{ post.passages|length }}\n"})
    assert CliRunner().invoke(main, ["build", "--site", str(root)], catch_exceptions=False).exit_code == 0
    clean = build(root, OPTIONS, cache=False).outputs
    page = next(rel for rel, data in clean.items() if data.startswith(b"passages="))
    assert (root / "public" / page).read_bytes() == clean[page] != b"passages=0\n"
