"""The up-to-date manifest of a fresh output folder, stat'd in its staging folder before the rename
(`manifest.stat_fresh`, `manifest.Fresh`) instead of walked afterwards: the same entries and stats as
a walk, and nothing added meanwhile goes unnoticed.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator import __version__, manifest, parallel, uptodate
from generator.cli import main

from conftest import post


def cli_build(root: Path, *args: str):
    return CliRunner().invoke(main, ["build", "--site", str(root), *args], catch_exceptions=False)


def recorded(root: Path) -> dict:
    with open(uptodate.manifest_path(str(root)), "rb") as fh:
        return uptodate.marshal.loads(fh.read())


def up_to_date(root: Path):
    return uptodate.check(str(root), str(root / "public"), (False, False, False), __version__)


@pytest.fixture
def site(make_site) -> Path:
    return make_site({
        **{f"content/posts/p{i}.md": post(f"P{i}", f"2026-01-{i + 1:02d}", f"Essay {i} for you.\n", tags="[x, y]")
           for i in range(6)},
        "content/pages/about.md": "---\ntitle: About\n---\nAbout you.\n",
        "static/css/extra.css": "body { color: black }\n",
    })


def test_renaming_a_folder_changes_its_own_change_time_and_nothing_inside_it(tmp_path):
    """What `Fresh` relies on, on the file system the tests run on."""
    staging = tmp_path / "staging"
    (staging / "a" / "b").mkdir(parents=True)
    (staging / "a" / "b" / "f.html").write_bytes(b"x")
    (staging / "g.xml").write_bytes(b"y")
    os.chmod(staging, 0o755)

    def stats(top: Path) -> dict:
        found = {}
        for folder, folders, files in os.walk(top):
            for name in (".", *folders, *files):
                st = os.lstat(os.path.join(folder, name))
                found[os.path.relpath(os.path.join(folder, name), top)] = (
                    st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino, st.st_mode, st.st_nlink)
        return found

    before = stats(staging)
    time.sleep(0.02)  # past any timestamp tick
    os.rename(staging, tmp_path / "out")
    after = stats(tmp_path / "out")
    assert before.keys() == after.keys()
    assert {k: v for k, v in after.items() if k != "."} == {k: v for k, v in before.items() if k != "."}
    top_before, top_after = before["."], after["."]
    assert top_after[1] != top_before[1]  # its change time moved (this is why it is stat'd again)
    assert top_after[0] == top_before[0] and top_after[2:] == top_before[2:]


@pytest.mark.parametrize("staged", [True, False], ids=["render workers staged the pages", "written at the end"])
def test_the_listing_is_the_walk_of_the_output_folder(site, monkeypatch, staged):
    took = []
    real = manifest.stat_fresh
    monkeypatch.setattr(manifest, "stat_fresh", lambda *a, **k: took.append(real(*a, **k)) or took[-1])
    if staged:  # the render workers fork (and write into the staging folder) for this small site too
        monkeypatch.setattr(parallel, "RENDER_FROM", 1)
        monkeypatch.setattr(threading, "active_count", lambda: 1)
    assert cli_build(site).exit_code == 0
    assert took and took[0] is not None
    walked: list = []
    manifest.walk(str((site / "public").resolve()), walked)
    data = recorded(site)
    assert dict(data["outputs"]) == dict(walked)
    assert len(data["outputs"]) == len(walked)
    assert up_to_date(site) is not None
    assert uptodate.replay(["build", "--site", str(site)], __version__) is True


def test_a_file_added_to_a_folder_after_its_stat_is_noticed(site, monkeypatch):
    real = manifest.stat_fresh

    def stat_fresh(staging, *args, **kwargs):
        found = real(staging, *args, **kwargs)
        time.sleep(0.01)
        Path(staging, "tags", "stray.html").write_bytes(b"not ours")  # after the stat, before the rename
        return found

    monkeypatch.setattr(manifest, "stat_fresh", stat_fresh)
    assert cli_build(site).exit_code == 0
    assert (site / "public" / "tags" / "stray.html").exists()
    assert up_to_date(site) is None  # the folder's stat does not match: a real build puts it right
    assert cli_build(site).exit_code == 0
    assert not (site / "public" / "tags" / "stray.html").exists()
    assert up_to_date(site) is not None


def test_an_entry_added_to_the_top_folder_before_the_record_means_a_walk(site, monkeypatch):
    real = manifest.stat_fresh
    out = site / "public"

    def stat_fresh(staging, *args, **kwargs):
        found = real(staging, *args, **kwargs)
        original = manifest._fresh_listing

        def listing(fresh, folder, *rest):
            time.sleep(0.01)
            (out / "stray.txt").write_bytes(b"not ours")  # after the rename, before the record
            return original(fresh, folder, *rest)

        monkeypatch.setattr(manifest, "_fresh_listing", listing)
        return found

    monkeypatch.setattr(manifest, "stat_fresh", stat_fresh)
    assert cli_build(site).exit_code == 0
    data = recorded(site)
    assert str((out / "stray.txt").resolve()) in dict(data["outputs"])  # walked: the stray file is listed
    (out / "stray.txt").write_bytes(b"changed!")
    assert up_to_date(site) is None


def test_a_build_into_an_existing_output_folder_walks_it(site, monkeypatch):
    assert cli_build(site).exit_code == 0
    (site / "content/posts/p1.md").write_text(post("P1", "2026-01-02", "Essay 1 for you.\n", tags="[z]"), "utf-8")
    took = []
    real = manifest.stat_fresh
    monkeypatch.setattr(manifest, "stat_fresh", lambda *a, **k: took.append(1) or real(*a, **k))
    assert cli_build(site).exit_code == 0
    assert not took  # updated in place: nothing staged whole
    walked: list = []
    manifest.walk(str((site / "public").resolve()), walked)
    assert dict(recorded(site)["outputs"]) == dict(walked)
    assert up_to_date(site) is not None
