"""Fixtures for tests/test_quality_*.py: import them into a test module (each module builds once)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.quality import ROOT, build_into, discover_pages, node_tools_problem
from tests.quality.server import NetlifyLikeServer


@dataclass
class Served:
    public: Path
    base: str  # http://127.0.0.1:PORT
    server: NetlifyLikeServer
    pages: dict[str, str | None]  # page kind -> URL path

    def url(self, path: str) -> str:
        return self.base + path


@pytest.fixture(scope="module")
def node_tools() -> None:
    problem = node_tools_problem()
    if problem:
        pytest.fail(problem)


@pytest.fixture(scope="module")
def sample_public(tmp_path_factory) -> Path:
    """The sample site (the repository root), built once for the module."""
    return build_into(ROOT, tmp_path_factory.mktemp("quality") / "public")


def serve(public: Path, netlify_toml: Path = ROOT / "netlify.toml") -> Served:
    server = NetlifyLikeServer(public, netlify_toml)
    base = server.start()
    return Served(public, base, server, discover_pages(public))


@pytest.fixture(scope="module")
def served(sample_public):
    """The built sample site behind a local server with Netlify's headers, pretty URLs and 404 page."""
    site = serve(sample_public)
    yield site
    site.server.stop()


def page_url(served: Served, kind: str) -> str:
    """The URL of one kind of page, or a skip naming why the sample site has none."""
    path = served.pages.get(kind)
    if path is None:
        pytest.skip(f"the sample site has no {kind} page (nothing in the build output for it)")
    return served.url(path)
