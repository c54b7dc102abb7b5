"""Shared fixtures: `make_site` writes a one-off site; `build_site` builds it in memory."""

from __future__ import annotations

import textwrap
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import pytest

from generator.build import build
from generator.model import BuildResult
from generator.site import BuildOptions

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc)

SITE_TOML = """\
title = "Test blog"
base_url = "https://example.org/"
author = "Ana Author"
description = "A blog for tests."
"""


def files_in(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` (path -> bytes), without the marker giving leaves in its output folder."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != ".giving-output"}


def post(title: str, date: str = "2026-01-01", body: str = "A paragraph for you.\n", **meta) -> str:
    """Markdown source of a post with front matter; extra keyword arguments become front matter keys."""
    lines = ["---", f'title: "{title}"', f"date: {date}"]
    for key, value in meta.items():
        lines.append(f"{key}: {value}")
    lines.append("---")
    return "\n".join(lines) + "\n" + textwrap.dedent(body)


@pytest.fixture(scope="session", autouse=True)
def _build_cache(tmp_path_factory):
    """Builds keep their cache (processed images, cards) in a temporary folder, never inside the repo."""
    import os

    from generator.fs import CACHE_ENV

    previous = os.environ.get(CACHE_ENV)
    os.environ[CACHE_ENV] = str(tmp_path_factory.mktemp("giving-cache"))
    yield
    if previous is None:
        os.environ.pop(CACHE_ENV, None)
    else:
        os.environ[CACHE_ENV] = previous


@pytest.fixture
def make_site(tmp_path: Path) -> Callable[[dict[str, str | bytes]], Path]:
    """Write {relative path: text or bytes} under a fresh site root (site.toml added unless given)."""

    def make(files: dict[str, str | bytes], root: Path | None = None) -> Path:
        root = root or tmp_path / "site"
        root.mkdir(parents=True, exist_ok=True)
        files = {"site.toml": SITE_TOML, **files}
        for rel, content in files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, "utf-8")
        return root

    return make


@pytest.fixture
def build_site() -> Callable[..., BuildResult]:
    def run(root: Path, **options) -> BuildResult:
        return build(root, BuildOptions(now=options.pop("now", NOW), **options))

    return run


CHROMIUM = "/usr/bin/chromium"
# As root and offline: no sandbox, and no background calls home that the closed network refuses.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def browser():
    """One headless Debian chromium for the whole run (per xdist worker), driven by Playwright."""
    playwright = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing; scripts/test installs Debian's chromium package")
    with playwright.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield instance
        instance.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    yield page
    context.close()
