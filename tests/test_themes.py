"""Theming: site templates override theme templates, themes extend themes, the wheel carries the default."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import post

ROOT = Path(__file__).parent.parent


def test_site_template_overrides_the_theme(make_site, build_site):
    root = make_site({
        "content/posts/a.md": post("A"),
        "templates/post.html": '{% extends "base.html" %}{% block main %}<p class="mine">{{ post.title }}</p>'
                               "{% endblock %}",
    })
    page = build_site(root).outputs["a/index.html"].decode()
    assert '<p class="mine">A</p>' in page and "<title>A · Test blog</title>" in page


def test_theme_extends_another_and_overrides_assets(make_site, build_site):
    root = make_site({
        "site.toml": 'title = "T"\nbase_url = "https://x.org/"\ntheme = "quiet"\n',
        "themes/quiet/theme.toml": 'extends = "default"\n',
        "themes/quiet/templates/404.html": '{% extends "base.html" %}{% block main %}Quietly lost.{% endblock %}',
        "themes/quiet/static/style.css": "body { color: gray; }\n",
        "content/posts/a.md": post("A"),
    })
    result = build_site(root)
    assert "Quietly lost." in result.outputs["404.html"].decode()
    assert "<article" in result.outputs["a/index.html"].decode()  # post.html comes from default
    css = [p for p in result.outputs if p.startswith("assets/style.")]
    assert len(css) == 1 and result.outputs[css[0]] == b"body { color: gray; }\n"


def test_theme_extending_a_missing_theme(make_site, build_site):
    root = make_site({
        "site.toml": 'title = "T"\nbase_url = "https://x.org/"\ntheme = "quiet"\n',
        "themes/quiet/theme.toml": 'extends = "loud"\n',
    })
    [finding] = build_site(root).findings
    assert finding.format() == ('themes/quiet/theme.toml:1: error: theme "loud" not found; put it in '
                                'themes/loud/ or use theme = "default" [theme]')


@pytest.mark.slow
def test_wheel_carries_the_default_theme(tmp_path):
    """A non-editable install from another folder must still find the default theme."""
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    [wheel] = tmp_path.glob("giving-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for template in ("base.html", "post.html", "feed.xml"):
        assert f"generator/themes/default/templates/{template}" in names
    assert "generator/themes/default/static/style.css" in names

    # Install the wheel alone into a folder and build a site from elsewhere with it.
    target = tmp_path / "installed"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(wheel)],
                   check=True)
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "generator", "init", str(site)], check=True, cwd=tmp_path,
                   env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"})
    proc = subprocess.run([sys.executable, "-c", "import sys, generator; print(generator.__file__); "
                           "from generator.cli import main; main()", "build"],
                          cwd=site, capture_output=True, text=True,
                          env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(str(target)), "the installed copy, not the checkout, must have run"
    assert "<article" in (site / "public/hello-reader/index.html").read_text("utf-8")
