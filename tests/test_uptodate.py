"""The stat fast path of `giving build` (generator/uptodate.py, generator/manifest.py).

Whenever the manifest says "up to date", the output folder must already hold exactly what a clean
build writes: a property test applies random edits (including ones that keep size and modification
time, and damage to the output folder) and checks that. The replay prints what the build printed, a
failed build leaves no manifest, a scheduled post coming due and changed options are noticed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings, strategies as st

from generator import __version__, manifest, uptodate
from generator.build import build
from generator.cli import main
from generator.fs import cache_root
from generator.site import BuildOptions

from conftest import SITE_TOML, files_in, post

ROOT = Path(__file__).resolve().parent.parent
NO_OPTIONS = (False, False, False)


def cli_build(root: Path, *args: str):
    return CliRunner().invoke(main, ["build", "--site", str(root), *args], catch_exceptions=False)


def up_to_date(root: Path, out: Path | None = None, options=NO_OPTIONS):
    return uptodate.check(str(root), str(out or root / "public"), options, __version__)


def clean_outputs(root: Path) -> dict[str, bytes]:
    return dict(build(root, BuildOptions(now=datetime.now(timezone.utc)), cache=False).outputs)


@pytest.fixture
def site(make_site) -> Path:
    return make_site({
        "content/posts/a.md": post("A", body="Hello you. What do you think?\n", tags="[x]"),
        "content/posts/b.md": post("B", "2026-01-02", "I think I am great! Great! Great!\n"),
        "content/pages/about.md": "---\ntitle: About\n---\nAbout you.\n",
        "static/notes.txt": "plain\n",
    })


def test_parse_argv_accepts_only_a_plain_build():
    assert uptodate.parse_argv(["build"]) == (".", None, NO_OPTIONS)
    assert uptodate.parse_argv(["build", "--site", "s", "--out=o", "--strict"]) == ("s", "o", (False, False, True))
    assert uptodate.parse_argv(["build", "--site=s", "--drafts", "--future"]) == ("s", None, (True, True, False))
    for argv in (["check"], [], ["build", "--no-cache"], ["build", "--help"], ["build", "--site"],
                 ["build", "--site", "a", "--site", "b"], ["build", "--strict", "--strict"], ["build", "x"],
                 ["build", "--site", "--out"], ["--version"]):
        assert uptodate.parse_argv(argv) is None, argv


@pytest.mark.parametrize("path", ["public", "./site/public", "site//public", "/a/b/", "./", ".", "a/./b", "//x/y"])
def test_display_is_how_pathlib_prints_the_path(path):
    assert uptodate.display(path) == str(Path(path))


def test_manifest_path_agrees_with_the_cache_folder(site):
    assert Path(uptodate.manifest_path(str(site))).parent.parent == cache_root(site)


def test_a_successful_build_is_up_to_date_until_anything_changes(site):
    assert cli_build(site).exit_code == 0
    assert up_to_date(site) is not None
    assert up_to_date(site, options=(True, False, False)) is None  # other options: a real build
    assert up_to_date(site, out=site / "elsewhere") is None
    (site / "content/posts/c.md").write_text(post("C", "2026-01-03"), "utf-8")
    assert up_to_date(site) is None


def test_an_edit_that_keeps_size_and_modification_time_is_seen(site):
    assert cli_build(site).exit_code == 0
    path = site / "content/posts/b.md"
    before = path.stat()
    path.write_bytes(path.read_bytes().replace(b"great", b"GREAT"))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # same size, same mtime: the ctime moved
    assert path.stat().st_size == before.st_size and path.stat().st_mtime_ns == before.st_mtime_ns
    assert up_to_date(site) is None


@pytest.mark.parametrize("damage", ["delete", "edit", "add", "folder"])
def test_damage_to_the_output_folder_is_repaired_by_the_next_build(site, damage):
    assert cli_build(site).exit_code == 0
    out = site / "public"
    expected = files_in(out)
    if damage == "delete":
        (out / "a" / "index.html").unlink()
    elif damage == "edit":
        (out / "a" / "index.html").write_text("spoiled", "utf-8")
    elif damage == "add":
        (out / "a" / "extra.html").write_text("stray", "utf-8")
    else:
        (out / "b" / "index.html").unlink()
        (out / "b").rmdir()
    assert up_to_date(site) is None
    assert cli_build(site).exit_code == 0
    assert files_in(out) == expected
    assert up_to_date(site) is not None


def test_a_failed_build_leaves_no_manifest(site):
    assert cli_build(site).exit_code == 0
    assert Path(uptodate.manifest_path(str(site))).is_file()
    good = (site / "content/posts/b.md").read_text("utf-8")
    (site / "content/posts/b.md").write_text("---\ntitle: [broken\n---\n", "utf-8")
    assert cli_build(site).exit_code == 1
    assert not Path(uptodate.manifest_path(str(site))).exists()
    (site / "content/posts/b.md").write_text(good, "utf-8")  # back as it was: still a real build
    assert up_to_date(site) is None
    assert cli_build(site).exit_code == 0 and up_to_date(site) is not None


def test_strict_failure_is_never_replayed(site):
    (site / "content/posts/s1.md").write_text(post("S1", "2026-01-05", series="S", series_order=1), "utf-8")
    (site / "content/posts/s2.md").write_text(post("S2", "2026-01-06", series="S"), "utf-8")
    assert cli_build(site).exit_code == 0  # warnings, no errors
    assert up_to_date(site) is not None and up_to_date(site)["findings"]
    result = cli_build(site, "--strict")
    assert result.exit_code == 1
    assert up_to_date(site, options=(False, False, True)) is None and up_to_date(site) is None


def test_a_scheduled_post_coming_due_is_a_real_build(make_site, monkeypatch):
    from datetime import timedelta

    later = datetime.now(timezone.utc) + timedelta(days=2)
    root = make_site({"content/posts/now.md": post("Now", "2026-01-01"),
                      "content/posts/later.md": post("Later", later.strftime("%Y-%m-%dT%H:%M+00:00"))})
    assert cli_build(root).exit_code == 0
    assert not (root / "public" / "later").exists()
    found = up_to_date(root)
    assert found is not None and abs(found["due"] - later.replace(second=0, microsecond=0).timestamp()) < 1
    real = time.time
    monkeypatch.setattr(uptodate.time, "time", lambda: real() + 3 * 86400)
    assert up_to_date(root) is None


def test_sites_with_reader_questions_always_build(make_site):
    root = make_site({"content/posts/a.md": post("A", "2026-05-01"),
                      "content/questions/q.md": "---\nasked_at: 2026-05-30T10:00:00Z\nstatus: pending\n"
                                                "question: |\n  Why do you write?\n---\n"})
    assert cli_build(root).exit_code == 0
    assert up_to_date(root) is None


def test_a_symlink_in_the_inputs_means_no_manifest(site, tmp_path):
    target = tmp_path / "elsewhere.md"
    target.write_text(post("Linked", "2026-01-05"), "utf-8")
    (site / "content/posts/linked.md").symlink_to(target)
    assert cli_build(site).exit_code == 0
    assert up_to_date(site) is None


def test_inputs_changing_as_the_build_starts_mean_no_manifest(site):
    future = time.time_ns() + 3600 * 10**9  # stays "racy" however long the build waits
    os.utime(site / "content/posts/a.md", ns=(future, future))
    assert manifest.Snapshot(str(site)).found is None
    assert cli_build(site).exit_code == 0
    assert up_to_date(site) is None


@pytest.mark.parametrize("fresh", [True, False], ids=["stat before the rename", "walked"])
def test_racy_outputs_are_checked_by_their_bytes(site, monkeypatch, fresh):
    out = str((site / "public").resolve())
    if fresh:  # the output folder's stat is taken in the staging folder (manifest.stat_fresh)
        real = manifest.stat_fresh

        def stat_fresh(*args, **kwargs):
            found = real(*args, **kwargs)
            found.racy = [path for path, sig in found.entries if path.endswith("index.html")]
            return found

        monkeypatch.setattr(manifest, "stat_fresh", stat_fresh)
    else:
        monkeypatch.setattr(manifest, "stat_fresh", lambda *args, **kwargs: None)
        monkeypatch.setattr(manifest, "settled", lambda take, folder: (lambda found: (found, [
            path for path, sig in found if path.startswith(out) and path.endswith("index.html")]))(take()))
    assert cli_build(site).exit_code == 0
    found = up_to_date(site)
    assert found is not None and found["hashes"]
    page = Path(found["hashes"][0][0])
    st = page.stat()
    manifest_file = Path(uptodate.manifest_path(str(site)))
    data = uptodate.marshal.loads(manifest_file.read_bytes())
    page.write_bytes(b"x" * st.st_size)  # same size; pretend the stat did not move either
    new = page.stat()
    data["outputs"] = [(p, (new.st_mtime_ns, new.st_ctime_ns, new.st_size, new.st_ino) if p == str(page) else s)
                       for p, s in data["outputs"]]
    manifest_file.write_bytes(uptodate.marshal.dumps(data))
    assert up_to_date(site) is None


def test_a_damaged_manifest_is_a_real_build(site):
    assert cli_build(site).exit_code == 0
    path = Path(uptodate.manifest_path(str(site)))
    for damage in (b"", b"garbage", path.read_bytes()[:100]):
        path.write_bytes(damage)
        assert up_to_date(site) is None
        assert uptodate.replay(["build", "--site", str(site)], __version__) is False


def test_no_cache_neither_reads_nor_writes_the_manifest(site):
    assert cli_build(site, "--no-cache").exit_code == 0
    assert not Path(uptodate.manifest_path(str(site))).exists()


def code_copy() -> Path:
    """A copy of giving's code: others editing the checkout while the tests run must not look like a
    change of giving between two builds of one test (the manifest lists giving's own files)."""
    import atexit
    import shutil
    import tempfile

    global _CODE
    if _CODE is None:
        _CODE = Path(tempfile.mkdtemp(prefix="giving-code-"))
        atexit.register(shutil.rmtree, _CODE, True)
        for part in ("generator", "themes"):
            shutil.copytree(ROOT / part, _CODE / part, ignore=shutil.ignore_patterns("__pycache__"))
    return _CODE


_CODE: Path | None = None


def run_giving(root: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(code_copy())}
    return subprocess.run([sys.executable, "-m", "generator", "build", "--site", str(root), *args],
                          capture_output=True, text=True, env=env, cwd=root)


def test_the_replay_prints_what_the_build_printed(site):
    (site / "content/posts/s1.md").write_text(post("S1", "2026-01-05", series="S", series_order=1), "utf-8")
    (site / "content/posts/s2.md").write_text(post("S2", "2026-01-06", series="S"), "utf-8")
    first = run_giving(site)
    assert first.returncode == 0, first.stderr
    assert up_to_date(site) is not None
    second = run_giving(site)
    assert second.returncode == 0
    assert second.stderr == first.stderr and "warning" in first.stderr
    strip = lambda text: text.rsplit(" in ", 1)[0]  # noqa: E731 - the time differs
    assert strip(second.stdout) == strip(first.stdout) and second.stdout.startswith("Built ")
    (site / "content/posts/s2.md").write_text(post("S2", "2026-01-06", series="S", series_order=2), "utf-8")
    third = run_giving(site)
    assert third.returncode == 0 and third.stderr == ""  # a real build: the warning is gone


def test_the_fast_path_imports_nothing_heavy(site):
    assert run_giving(site).returncode == 0
    code = ("import sys, runpy; sys.argv = ['giving', 'build', '--site', %r]; "
            "from generator.cli import main; main(); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('click', 'jinja2', 'rich', 'markdown_it', "
            "'generator', 'pathlib', 'hashlib')))") % str(site)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(code_copy())})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "['generator', 'generator.cli', 'generator.uptodate']"


# -- the property: "up to date" only ever when the output already is what a clean build writes ---------

edits = st.sampled_from(["body", "same-size", "title", "new", "delete", "ignored", "static", "template",
                         "config", "out-delete", "out-edit", "nothing"])


def apply(root: Path, edit: str, n: int) -> None:
    posts = sorted((root / "content/posts").glob("*.md"))
    target = posts[n % len(posts)] if posts else None
    if edit == "new" or target is None:
        (root / f"content/posts/new-{n}.md").write_text(post(f"New {n}", f"2026-02-{n % 27 + 1:02d}"), "utf-8")
    elif edit == "body":
        target.write_text(target.read_text("utf-8") + f"\nMore for you, {n}.\n", "utf-8")
    elif edit == "same-size":
        before = target.stat()
        data = target.read_bytes()
        target.write_bytes(data.replace(b"you", b"YOU", 1) if b"you" in data else data[:-1] + b"?")
        os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))
    elif edit == "title":
        target.write_text(target.read_text("utf-8").replace('title: "', f'title: "T{n} ', 1), "utf-8")
    elif edit == "delete":
        target.unlink()
    elif edit == "ignored":
        (root / "content/posts" / f".{target.name}.swp").write_text("swap", "utf-8")
    elif edit == "static":
        (root / "static/notes.txt").write_text(f"plain {n}\n", "utf-8")
    elif edit == "template":
        (root / "templates").mkdir(exist_ok=True)
        (root / "templates/404.html").write_text(f"<!doctype html><title>Gone {n}</title>\n", "utf-8")
    elif edit == "config":
        (root / "site.toml").write_text(SITE_TOML.replace("A blog for tests.", f"Blog {n}."), "utf-8")
    elif edit == "out-delete":
        pages = sorted((root / "public").rglob("index.html"))
        if pages:
            pages[n % len(pages)].unlink()
    elif edit == "out-edit":
        pages = sorted((root / "public").rglob("index.html"))
        if pages:
            page = pages[n % len(pages)]
            before = page.stat()
            page.write_bytes(b"#" * before.st_size)
            os.utime(page, ns=(before.st_atime_ns, before.st_mtime_ns))


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(edits, st.integers(0, 50)), min_size=1, max_size=6))
def test_up_to_date_only_when_the_output_is_what_a_clean_build_writes(make_site, tmp_path, steps):
    import shutil

    root = tmp_path / "prop"
    shutil.rmtree(root, ignore_errors=True)
    make_site({"content/posts/a.md": post("A", body="Hello you.\n"),
               "content/posts/b.md": post("B", "2026-01-02", "For you.\n"),
               "static/notes.txt": "plain\n"}, root)
    assert cli_build(root).exit_code == 0
    for edit, n in steps:
        apply(root, edit, n)
        if up_to_date(root) is not None:
            assert files_in(root / "public") == clean_outputs(root), edit
        assert cli_build(root).exit_code == 0
        assert files_in(root / "public") == clean_outputs(root)


# -- posts edited in place: the patched build (generator/patch.py) ------------------------------------------

def findings_of(output: str) -> list[str]:
    return [line for line in output.splitlines() if not line.startswith("Built ")]


def clean_findings(root: Path) -> list[str]:
    result = build(root, BuildOptions(now=datetime.now(timezone.utc)), cache=False)
    return [f.format() for f in result.findings]


def test_a_body_edit_renders_only_the_pages_that_show_the_post(make_site):
    from generator import patch

    root = make_site({f"content/posts/p{i}.md": post(f"P{i}", f"2026-01-{i + 1:02d}", f"Essay {i} for you.\n",
                                                     tags=f"[t{i % 3}]") for i in range(12)})
    assert cli_build(root).exit_code == 0
    out = root / "public"
    inodes = {p: p.stat().st_ino for p in out.rglob("*") if p.is_file()}
    target = root / "content/posts/p2.md"
    target.write_text(target.read_text("utf-8") + "\nOne more line for you.\n", "utf-8")
    result = cli_build(root)
    assert result.exit_code == 0 and patch.why == "", patch.why
    assert files_in(out) == clean_outputs(root)
    assert findings_of(result.output) == clean_findings(root)
    moved = {p.relative_to(out).as_posix() for p, ino in inodes.items() if p.stat().st_ino != ino}
    assert "p2/index.html" in moved and "feed.xml" in moved
    assert "p7/index.html" not in moved and "tags/index.html" not in moved  # nothing of p2 there
    assert up_to_date(root) is not None  # and the next build is a replay


@pytest.mark.parametrize("edit, why", [
    (lambda text: text.replace("tags: [t2]", "tags: [t2, new]"), "the post changed more than its text"),
    (lambda text: text.replace("date: 2026-01-03", "date: 2026-01-20"), "the post changed more than its text"),
    (lambda text: text.replace('title: "P2"', 'title: "Renamed"'), "the social card shows the title"),
    (lambda text: text + "\nSee [p1](p1.md).\n", "links to other files: assembly resolves them"),
    (lambda text: text + "\n## A new heading\n\nMore.\n", "the URL or heading ids changed"),
    (lambda text: "---\ntitle: [broken\n---\n", "the post does not parse cleanly, or is not published"),
])
def test_edits_that_reshape_the_site_take_the_normal_build(make_site, edit, why):
    from generator import patch

    root = make_site({f"content/posts/p{i}.md": post(f"P{i}", f"2026-01-{i + 1:02d}", f"Essay {i} for you.\n",
                                                     tags=f"[t{i % 3}]") for i in range(4)})
    assert cli_build(root).exit_code == 0
    target = root / "content/posts/p2.md"
    target.write_text(edit(target.read_text("utf-8")), "utf-8")
    result = cli_build(root)
    assert patch.why == why
    if result.exit_code == 0:
        assert files_in(root / "public") == clean_outputs(root)
        assert findings_of(result.output) == clean_findings(root)


def test_a_theme_that_reaches_posts_through_site_is_never_patched(make_site):
    from generator import patch

    root = make_site({"content/posts/a.md": post("A", body="Hello you.\n"),
                      "templates/404.html": "{% for p in site.posts %}{{ p.summary_html }}{% endfor %}\n"})
    assert cli_build(root).exit_code == 0
    (root / "content/posts/a.md").write_text(post("A", body="Hello you, again.\n"), "utf-8")
    assert cli_build(root).exit_code == 0
    assert patch.why != ""  # not patched: the templates could reach any post
    assert files_in(root / "public") == clean_outputs(root)


edits_in_place = st.sampled_from(["body", "body", "body", "first", "heading", "same-size", "title", "nothing"])


def edit_in_place(root: Path, edit: str, n: int) -> None:
    posts = sorted((root / "content/posts").glob("*.md"))
    target = posts[n % len(posts)]
    text = target.read_text("utf-8")
    head, _, body = text.partition("\n---\n")
    if edit == "body":
        target.write_text(text + f"\nA line for you, number {n}. I think we do.\n", "utf-8")
    elif edit == "first":  # the first paragraph: the summary and the description change
        target.write_text(f"{head}\n---\nYou open with {n} words. {body}", "utf-8")
    elif edit == "heading":
        target.write_text(text + f"\n## Part {n}\n\nMore for you.\n", "utf-8")
    elif edit == "same-size":
        apply(root, "same-size", n)
    elif edit == "title":
        target.write_text(text.replace('title: "', f'title: "T{n} ', 1), "utf-8")


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(edits_in_place, st.integers(0, 50)), min_size=1, max_size=5))
def test_patched_builds_equal_clean_builds(make_site, tmp_path, steps):
    import shutil

    root = tmp_path / "patched"
    shutil.rmtree(root, ignore_errors=True)
    make_site({**{f"content/posts/p{i}.md": post(f"P{i}", f"2026-01-{i + 1:02d}", f"Essay {i} for you. What now?\n",
                                                 tags=f"[t{i % 2}]", **({"series": "S", "series_order": i}
                                                                       if i in (1, 2) else {}))
                  for i in range(6)},
               "site.toml": SITE_TOML + "\n[images]\ncards = false\n"}, root)
    assert cli_build(root).exit_code == 0
    for edit, n in steps:
        edit_in_place(root, edit, n)
        result = cli_build(root)
        assert result.exit_code == 0
        assert files_in(root / "public") == clean_outputs(root)
        assert findings_of(result.output) == clean_findings(root)


def test_bytecode_written_into_the_package_is_not_a_change(tmp_path):
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("", "utf-8")
    (package / "sub" / "__init__.py").write_text("", "utf-8")
    (package / "themes").mkdir()  # not a package: its listing counts (a new static file is copied)
    before: list = []
    manifest.walk(str(package), before, code=True)
    time.sleep(0.01)
    (package / "__pycache__").mkdir()
    (package / "__pycache__" / "x.pyc").write_bytes(b"")
    (package / "sub" / "__pycache__").mkdir()
    assert uptodate.same(before)
    (package / "themes" / "new.css").write_text("", "utf-8")
    assert not uptodate.same(before)


@pytest.mark.parametrize("forked", [True, False])
def test_the_site_saved_for_patching_by_a_forked_child_is_used(make_site, monkeypatch, forked):
    import threading

    from generator import patch

    if forked:  # pytest may run threads of its own; the CLI forks only when it runs none
        monkeypatch.setattr(threading, "active_count", lambda: 1)
    started = []
    beside = patch.save_base_beside
    monkeypatch.setattr(patch, "save_base_beside", lambda *a: started.append(threading.active_count()) or beside(*a))
    root = make_site({f"content/posts/p{i}.md": post(f"P{i}", f"2026-01-{i + 1:02d}", f"Essay {i} for you.\n")
                      for i in range(5)})
    assert cli_build(root).exit_code == 0 and started
    target = root / "content/posts/p2.md"
    target.write_text(target.read_text("utf-8") + "\nOne more line for you.\n", "utf-8")
    assert cli_build(root).exit_code == 0 and patch.why == "", patch.why
    assert files_in(root / "public") == clean_outputs(root)


def test_a_saved_site_is_removed_when_no_manifest_is_recorded(make_site, monkeypatch):
    import threading

    from generator import manifest, patch

    monkeypatch.setattr(threading, "active_count", lambda: 1)
    monkeypatch.setattr(manifest, "record", lambda *a, **k: False)
    root = make_site({"content/posts/a.md": post("A")})
    assert cli_build(root).exit_code == 0
    assert not Path(patch._paths(root)[0]).exists()
