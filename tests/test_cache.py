"""The build cache is never trusted blindly and never fatal; the output folder is replaced safely.

A truncated, foreign, damaged or other-version cache gives a cold build with the clean result. The
parallel checks agree with `run_checks`. Writing the output keeps unchanged files (same inode), skips
a write when nothing changed, and a write that fails leaves the previous output as it was.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from generator import cache
from generator.build import build
from generator.checks import run_checks
from generator.errors import sorted_findings
from generator.fs import MARKER, cache_root, write_cache_file, write_output
from generator.site import BuildOptions

from conftest import NOW, post

OPTIONS = BuildOptions(now=NOW)


@pytest.fixture
def site(make_site) -> Path:
    return make_site({
        "content/posts/a.md": post("A", body="Hello you. See [b](b.md).\n", tags="[x]"),
        "content/posts/b.md": post("B", "2026-01-02", "I think I am great! Great! Great!\n"),
        "content/pages/about.md": "---\ntitle: About\n---\nAbout.\n",
    })


def state_path(root: Path) -> Path:
    return cache_root(root) / cache.state_names(root)[0]


def outputs_path(root: Path) -> Path:
    return cache_root(root) / cache.state_names(root)[1]


def quick_path(root: Path) -> Path:
    return cache_root(root) / cache.state_names(root)[2]


def clean(root: Path):
    result = build(root, OPTIONS, cache=False)
    return dict(result.outputs), result.findings


def incremental(root: Path):
    result = build(root, OPTIONS, site_needed=False)
    return dict(result.outputs), result.findings


def test_a_second_build_reuses_the_cache(site):
    incremental(site)
    assert state_path(site).is_file() and outputs_path(site).is_file()
    assert incremental(site) == clean(site)


@pytest.mark.parametrize("damage", [
    lambda data: data[: len(data) // 2],  # truncated mid-write (by something other than us)
    lambda data: b"",
    lambda data: b"not a pickle at all",
    lambda data: cache.MAGIC + b"\x80\x05garbage",
    lambda data: cache.MAGIC + pickle.dumps({"code": "another version"}),
    lambda data: cache.MAGIC + pickle.dumps(["a", "list"]),
])
def test_damaged_state_is_rebuilt_not_fatal(site, damage):
    incremental(site)
    for path in (state_path(site), outputs_path(site), quick_path(site)):
        path.write_bytes(damage(path.read_bytes()))
    (site / "content/posts/a.md").write_text(post("A2", body="Changed for you.\n"), "utf-8")
    assert incremental(site) == clean(site)
    assert incremental(site) == clean(site)  # and the rebuilt cache is good again


def test_state_of_another_generator_version_is_ignored(site, monkeypatch):
    incremental(site)
    monkeypatch.setattr("generator.build.__version__", "99.0")
    (site / "content/posts/b.md").write_text(post("B", "2026-01-02", "Calm now.\n"), "utf-8")
    assert incremental(site) == clean(site)


def test_damaged_entries_are_misses(site):
    incremental(site)
    with state_path(site).open("rb") as fh:
        state = cache.load_state(fh, _code(site))
    assert state.parsed and state.checked and state.site_checked
    for table in cache.TABLES:
        setattr(state, table, {key: b"\x80\x05broken" for key in getattr(state, table)})
    with state_path(site).open("wb") as fh:
        cache.dump_state(state)(fh)
    quick_path(site).unlink()
    outputs_path(site).write_bytes(b"broken")
    assert incremental(site) == clean(site)


def _code(root: Path) -> str:
    """The code key the state was written with, read back from its header."""
    import io

    stream = io.BytesIO(state_path(root).read_bytes())
    stream.seek(len(cache.MAGIC))
    return pickle.Unpickler(stream).load()["code"]


def test_outputs_of_another_site_state_are_not_reused(site):
    incremental(site)
    blob = outputs_path(site).read_bytes()
    (site / "content/posts/a.md").write_text(post("A", body="New words for you.\n"), "utf-8")
    incremental(site)
    outputs_path(site).write_bytes(blob)  # stale outputs under the new state: their key no longer matches
    assert incremental(site) == clean(site)


def test_deleting_the_cache_is_safe(site):
    incremental(site)
    for path in (state_path(site), outputs_path(site), quick_path(site)):
        path.unlink()
    assert incremental(site) == clean(site)


def test_damaged_quick_entry_alone_is_ignored(site):
    incremental(site)
    (site / "content/posts/a.md").write_text(post("A", body="Other words for you.\n"), "utf-8")
    stale = quick_path(site).read_bytes()
    incremental(site)
    quick_path(site).write_bytes(stale)  # the whole-build entry of the site before the edit
    assert incremental(site) == clean(site)


def test_parallel_checks_agree_with_run_checks(make_site):
    files = {f"content/posts/p{i}.md": post(f"Post {i}", f"2026-01-{i + 1:02d}",
                                           "I think I know. We did it! Wow! Great!\n\n> A long quote with no source "
                                           "at all, which somebody must have said once upon a time.\n"
                                           f"\nSee [the next](p{(i + 1) % 30}.md) and [here](https://example.org).\n"
                                           "<!-- giving-disable shouting -->\nLoud! Loud! Loud!\n",
                                           series="Long walk" if i % 3 == 0 else '""',
                                           checks="{reader-focus: off}" if i % 4 == 0 else "{}")
             for i in range(30)}  # enough posts for the checks to run in worker processes
    root = make_site(files)
    result = build(root, OPTIONS, cache=False)
    site = result.site
    expected = sorted_findings(run_checks(site, (root / "site.toml").read_text("utf-8")))
    built = build(root, OPTIONS)
    assert [f for f in built.findings if f.rule not in ("build",)] == \
        [f for f in sorted_findings([*expected, *result.findings]) if f.rule not in ("build",)]
    assert built.findings == result.findings


# -- the output folder ------------------------------------------------------------------------------------

def test_unchanged_files_are_kept_not_rewritten(tmp_path):
    out = tmp_path / "public"
    assert write_output(out, {"a.html": b"A", "d/b.html": b"B"}, tmp_path) == 2
    inode = (out / "a.html").stat().st_ino
    assert write_output(out, {"a.html": b"A", "d/b.html": b"B2", "c.html": b"C"}, tmp_path) == 2
    assert (out / "a.html").stat().st_ino == inode
    assert (out / "d/b.html").read_bytes() == b"B2" and (out / MARKER).is_file()
    folder = out.stat().st_ino
    assert write_output(out, {"a.html": b"A", "d/b.html": b"B2", "c.html": b"C"}, tmp_path) == 0
    assert out.stat().st_ino == folder  # nothing changed: the folder was not even replaced
    assert write_output(out, {"a.html": b"A"}, tmp_path) == 0
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*")) == [MARKER, "a.html"]


def test_a_failed_update_leaves_the_previous_output(tmp_path):
    out = tmp_path / "public"
    write_output(out, {"a.html": b"A", "d/b.html": b"B"}, tmp_path)
    with pytest.raises(TypeError):
        write_output(out, {"a.html": b"new", "d/b.html": "not bytes"}, tmp_path)  # type: ignore[dict-item]
    assert (out / "a.html").read_bytes() == b"A" and (out / "d/b.html").read_bytes() == b"B"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["public"]


def test_a_failed_write_leaves_the_previous_output(tmp_path):
    out = tmp_path / "public"
    write_output(out, {"a.html": b"A", "b.html": b"B"}, tmp_path)
    with pytest.raises(OSError):
        write_output(out, {"a.html": b"A", "b.html": b"new", "b.html/x": b"cannot be"}, tmp_path)
    assert (out / "a.html").read_bytes() == b"A" and (out / "b.html").read_bytes() == b"B"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["public"]  # no staging folder left behind


INTERRUPTED_UPDATE = """
import os, signal, sys
from pathlib import Path
from generator import fs

root = Path(sys.argv[1])
out = root / "public"
fs.write_output(out, {"a.html": b"A", "b.html": b"B", "c.html": b"C"}, root)
replace = os.replace

def interrupted_replace(src, dst):
    os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C just as the first changed file moves in
    replace(src, dst)

fs.os.replace = interrupted_replace
try:
    fs.write_output(out, {"a.html": b"A2", "b.html": b"B2", "c.html": b"C2"}, root)
except KeyboardInterrupt:
    print("interrupted after", b"".join((out / n).read_bytes() for n in ("a.html", "b.html", "c.html")).decode())
"""


def test_ctrl_c_during_the_renames_waits_until_the_output_is_whole(tmp_path):
    """An interrupt that lands mid-update leaves the new output complete, then stops the build. In a
    process of its own: signals reach only a main thread, and test runners may run tests in another."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", INTERRUPTED_UPDATE, str(tmp_path)], capture_output=True,
                          text=True, timeout=60, cwd=Path(__file__).parent.parent)
    assert done.stdout.strip() == "interrupted after A2B2C2", done.stderr


def test_a_file_added_by_hand_is_not_kept(tmp_path):
    out = tmp_path / "public"
    write_output(out, {"a.html": b"A"}, tmp_path)
    (out / "stray.html").write_bytes(b"x")
    write_output(out, {"a.html": b"A"}, tmp_path)
    assert not (out / "stray.html").exists()


def test_parallel_build_equals_serial_build(make_site, monkeypatch):
    import generator.parallel as parallel

    files = {f"content/posts/p{i}.md": post(f"Post {i}", f"2026-01-{i % 28 + 1:02d}", f"Words {i} for you.\n",
                                           tags=f"[t{i % 3}]") for i in range(12)}
    root = make_site({**files, "content/pages/about.md": "---\ntitle: About\n---\nAbout.\n"})
    serial = build(root, OPTIONS, cache=False)
    monkeypatch.setattr(parallel, "PARALLEL_FROM", 1)
    monkeypatch.setattr(parallel, "RENDER_FROM", 1)
    monkeypatch.setattr(parallel, "workers", lambda: 2)
    monkeypatch.setattr(parallel.threading, "active_count", lambda: 1)  # pytest's threads: fork anyway
    forked = build(root, OPTIONS, cache=False)
    assert dict(forked.outputs) == dict(serial.outputs) and forked.findings == serial.findings


def test_damaged_compiled_templates_are_compiled_again(site):
    incremental(site)
    compiled = list((cache_root(site) / "jinja").iterdir())
    assert compiled
    for path in compiled:
        path.write_bytes(path.read_bytes()[:20])
    assert dict(build(site, OPTIONS).outputs) == clean(site)[0]
    for path in compiled:
        path.write_bytes(b"garbage")
    assert dict(build(site, OPTIONS).outputs) == clean(site)[0]


def test_a_replaced_card_font_is_a_change(make_site):
    """`[images] card_fonts` names files outside content/ and static/: replacing one without touching
    site.toml must not return the cards drawn with the old font."""
    fonts = Path(__file__).parent.parent / "themes" / "default" / "fonts"
    root = make_site({
        "site.toml": 'title = "T"\nbase_url = "https://t.example/"\n[images]\ncard_fonts = ["fonts/card.ttf"]\n',
        "content/posts/a.md": post("A card"),
        "fonts/card.ttf": (fonts / "DejaVuSerif-Bold.ttf").read_bytes(),
    })
    first = incremental(root)
    assert first == clean(root) and any(p.endswith(".png") for p in first[0])
    (root / "fonts" / "card.ttf").write_bytes((fonts / "NotoSerifHebrew-Bold.ttf").read_bytes())
    second = incremental(root)
    assert second == clean(root)
    assert second[0] != first[0]  # the card is drawn with the new font


def test_a_parsed_record_keeps_the_passages_apart(site):
    from generator.content import parse_post
    from generator.build import load_config
    from generator.model import SourceFile

    config, _ = load_config(site)
    result = parse_post(SourceFile("content/posts/b.md", (site / "content/posts/b.md").read_bytes()), config)
    assert result[0].passages
    blob = cache.pack_parsed(result)
    assert cache.unpack_parsed(blob) == result
    light, problems = cache.unpack_parsed(blob, light=True)
    assert light.passages == () and light.html == result[0].html and problems == result[1]
    state = cache.BuildState("code", parsed={"whole": blob, "cut": blob[: len(blob) - 5]})
    assert state.get("parsed", "whole") == result and state.get("parsed", "cut") is None


def test_a_clean_build_neither_reads_nor_writes_the_cache_folder(make_site, tmp_path, monkeypatch):
    import io

    from PIL import Image

    from generator.fs import CACHE_ENV

    picture = io.BytesIO()
    Image.new("RGB", (320, 200), (200, 40, 40)).save(picture, "PNG")
    root = make_site({
        "content/posts/a.md": post("A", body="A chart for you:\n\n![A chart](chart.png)\n"),
        "content/posts/chart.png": picture.getvalue(),
        "templates/base.html": (Path(__file__).parents[1] / "themes" / "default" / "templates" / "base.html").read_text(),
    })
    folder = tmp_path / "own-cache"
    monkeypatch.setenv(CACHE_ENV, str(folder))
    result = build(root, OPTIONS, cache=False)  # images, social cards and a site template to compile
    assert result.outputs and not [f for f in result.findings if f.severity == "error"]
    assert any(path.endswith(".webp") for path in result.outputs)
    assert not folder.exists()  # --no-cache: nothing kept (neither images nor compiled templates)
    assert dict(build(root, OPTIONS).outputs) == dict(result.outputs)  # and the cached build agrees
    assert (folder / "images").is_dir() and (folder / "jinja").is_dir()


def test_saved_outputs_come_back_whole_or_not_at_all(tmp_path):
    outputs = {"index.html": b"<p>" * 40_000, "empty.txt": b"", "posts/a/index.html": bytes(range(256)) * 99}
    write_cache_file(tmp_path, "outputs", cache.dump_outputs("key", outputs, ("found",)))
    path = cache_root(tmp_path) / "outputs"

    def load(key: str = "key"):
        with path.open("rb") as fh:
            return cache.load_outputs(fh, key)

    assert load() == (outputs, ("found",))
    assert load("another key") is None
    data = path.read_bytes()
    for damaged in (data[:-1], data[:-len(outputs["posts/a/index.html"])], data[:40], b""):
        path.write_bytes(damaged)
        assert load() is None
