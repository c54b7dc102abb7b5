"""The `giving` command as a user runs it: exit codes, output folder safety, init and new post."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator import __version__, scaffold
from generator.cli import main
from tests.conftest import post


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_version_and_help():
    assert run("--version").output.strip() == f"giving, version {__version__}"
    for args in ([], ["build"], ["init"], ["new", "post"]):
        result = run(*args, "--help")
        assert result.exit_code == 0 and "Usage:" in result.output


def test_usage_error_exits_2():
    assert run("build", "--nope").exit_code == 2
    assert run("frobnicate").exit_code == 2


def test_build_writes_output_and_summary(make_site, tmp_path):
    root = make_site({"content/posts/a.md": post("A")})
    result = run("build", "--site", str(root))
    assert result.exit_code == 0, result.output
    assert "Built " in result.output and "0 errors, 0 warnings" in result.output
    assert (root / "public" / "a" / "index.html").is_file()


def test_failed_build_exits_1_and_leaves_previous_output(make_site):
    root = make_site({"content/posts/a.md": post("A")})
    assert run("build", "--site", str(root)).exit_code == 0
    before = (root / "public" / "a" / "index.html").read_bytes()
    (root / "content/posts/b.md").write_text("---\ntitle: [broken\n---\n", "utf-8")
    result = run("build", "--site", str(root))
    assert result.exit_code == 1
    assert "content/posts/b.md:2: error: front matter is not valid YAML" in result.output
    assert (root / "public" / "a" / "index.html").read_bytes() == before
    assert [p.name for p in root.iterdir() if p.name.startswith(".public")] == []


def test_strict_turns_warnings_into_failure(make_site):
    root = make_site({
        "content/posts/a.md": post("A", series="S", series_order=1),
        "content/posts/b.md": post("B", date="2026-01-02", series="S"),
    })
    assert run("build", "--site", str(root)).exit_code == 0
    result = run("build", "--site", str(root), "--strict", "--out", str(root / "strict"))
    assert result.exit_code == 1 and "--strict" in result.output
    assert not (root / "strict").exists()


@pytest.mark.parametrize("target", [".", "content", "static", ".."])
def test_refuses_to_replace_the_authors_folders(make_site, target):
    root = make_site({"content/posts/a.md": post("A"), "static/keep.txt": "mine"})
    result = run("build", "--site", str(root), "--out", str(root / target))
    assert result.exit_code == 1 and "refusing to replace the output folder" in result.output
    assert (root / "content/posts/a.md").is_file() and (root / "static/keep.txt").is_file()


def test_refuses_a_non_empty_folder_it_did_not_write(make_site, tmp_path):
    root = make_site({"content/posts/a.md": post("A")})
    foreign = tmp_path / "docs"
    foreign.mkdir()
    (foreign / "notes.md").write_text("my notes", "utf-8")
    result = run("build", "--site", str(root), "--out", str(foreign))
    assert result.exit_code == 1 and "was not written by giving" in result.output
    assert (foreign / "notes.md").read_text("utf-8") == "my notes"


def test_refuses_home(make_site, monkeypatch):
    root = make_site({"content/posts/a.md": post("A")})
    monkeypatch.setenv("HOME", str(root.parent))
    result = run("build", "--site", str(root), "--out", str(root.parent))
    assert result.exit_code == 1 and "refusing" in result.output


def test_rebuild_replaces_stale_files(make_site):
    root = make_site({"content/posts/a.md": post("A"), "content/posts/b.md": post("B")})
    run("build", "--site", str(root))
    (root / "content/posts/b.md").unlink()
    assert run("build", "--site", str(root)).exit_code == 0
    assert not (root / "public" / "b").exists() and (root / "public" / "a").is_dir()


def test_init_then_new_post_in_series_then_build(tmp_path, monkeypatch):
    site = tmp_path / "myblog"
    assert run("init", str(site)).exit_code == 0
    assert (site / "site.toml").is_file() and (site / "netlify.toml").is_file()
    first = run("new", "post", "Defeating the Ego", "--series", "Defeating the Ego", "--site", str(site))
    second = run("new", "post", "Part Two", "--series", "Defeating the Ego", "--site", str(site))
    assert first.exit_code == 0 and second.exit_code == 0
    text = (site / "content/posts/part-two.md").read_text("utf-8")
    assert 'series: "Defeating the Ego"' in text and "series_order: 2" in text and "draft: true" in text
    again = run("new", "post", "Part Two", "--site", str(site))
    assert again.exit_code == 1 and "already exists" in again.output
    assert (site / "content/posts/part-two.md").read_text("utf-8") == text
    built = run("build", "--site", str(site), "--drafts")
    assert built.exit_code == 0, built.output
    assert (site / "public/series/defeating-the-ego/index.html").is_file()


def test_init_writes_a_netlify_build_that_installs_giving_not_its_pypi_namesake(tmp_path):
    import tomllib

    site = tmp_path / "blog"
    result = run("init", str(site))
    assert result.exit_code == 0
    netlify = tomllib.loads((site / "netlify.toml").read_text("utf-8"))
    assert netlify["build"]["command"] == "pip install -r requirements.txt && python -m generator build"
    assert "--drafts" in netlify["context"]["deploy-preview"]["command"]
    assert {"Content-Security-Policy", "X-Content-Type-Options"} <= set(netlify["headers"][0]["values"])
    requirements = [line for line in (site / "requirements.txt").read_text("utf-8").splitlines()
                    if line and not line.startswith("#")]
    # An editable install from a local folder is nowhere Netlify can reach: the author is told to fill it in.
    assert requirements == [scaffold.PLACEHOLDER] and "requirements.txt" in result.output


@pytest.mark.parametrize("direct_url, expected", [
    ('{"url": "https://github.com/a/giving", "vcs_info": {"vcs": "git", "commit_id": "abc123"}}',
     "giving @ git+https://github.com/a/giving@abc123"),
    ('{"url": "https://example.org/giving-1.0-py3-none-any.whl", "archive_info": {}}',
     "giving @ https://example.org/giving-1.0-py3-none-any.whl"),
    ('{"url": "file:///home/me/giving", "dir_info": {}}', None),
    (None, None),  # installed from an index: no direct URL to repeat
])
def test_requirement_repeats_where_giving_came_from(monkeypatch, direct_url, expected):
    from importlib import metadata

    class Dist:
        def read_text(self, name):
            return direct_url

    monkeypatch.setattr(metadata, "distribution", lambda name: Dist())
    assert scaffold.giving_requirement() == expected


def test_init_refuses_a_non_empty_folder(tmp_path):
    (tmp_path / "mine.txt").write_text("keep", "utf-8")
    result = run("init", str(tmp_path))
    assert result.exit_code == 1 and (tmp_path / "mine.txt").read_text("utf-8") == "keep"


def test_python_dash_m_generator_works(make_site):
    """Netlify runs the module, not the script."""
    root = make_site({"content/posts/a.md": post("A")})
    proc = subprocess.run([sys.executable, "-m", "generator", "build", "--site", str(root)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert (root / "public/a/index.html").is_file()


def test_the_command_line_build_ends_with_its_exit_code_and_all_it_printed(make_site):
    """A command-line build leaves without the interpreter's teardown (cli._leave): its exit code and
    everything it printed to the pipes must come through as a normal exit would give them."""
    root = make_site({"content/posts/a.md": post("A")})
    ok = subprocess.run([sys.executable, "-m", "generator", "build", "--site", str(root)],
                        capture_output=True, text=True)
    assert ok.returncode == 0 and "Built " in ok.stdout + ok.stderr, ok.stderr
    (root / "content/posts/b.md").write_text("---\ntitle: [unclosed\n---\nHi\n", "utf-8")
    failed = subprocess.run([sys.executable, "-m", "generator", "build", "--site", str(root)],
                            capture_output=True, text=True)
    assert failed.returncode == 1
    assert "content/posts/b.md:2: error: front matter is not valid YAML" in failed.stderr
    assert failed.stderr.rstrip().endswith("was left as it was.")
    usage = subprocess.run([sys.executable, "-m", "generator", "build", "--bogus"], capture_output=True, text=True)
    assert usage.returncode == 2 and "No such option" in usage.stderr


def test_cli_output_is_byte_identical_across_builds(make_site, tmp_path):
    root = Path(__file__).parent / "sites" / "essays"
    outs = []
    for name in ("one", "two"):
        out = tmp_path / name
        assert run("build", "--site", str(root), "--out", str(out)).exit_code == 0
        outs.append({p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()})
    assert outs[0] == outs[1]
