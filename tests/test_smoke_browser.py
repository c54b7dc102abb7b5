"""A person opening the built sample site in a real browser sees the series and can follow it."""

import http.server
import threading
from functools import partial
from pathlib import Path

import pytest

from generator.fs import write_output

ROOT = Path(__file__).parent.parent


@pytest.fixture
def served_sample(tmp_path, build_site):
    result = build_site(ROOT)
    assert not [f for f in result.findings if f.severity == "error"]
    out = tmp_path / "public"
    write_output(out, result.outputs, ROOT)
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(out))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_reader_follows_the_series_from_home(served_sample, page):
    page.goto(served_sample + "/")
    assert page.locator("h1").first.inner_text() == "Defeating the Ego"
    page.get_by_role("link", name="Series", exact=True).click()
    page.locator(".series-list a").first.click()
    page.locator(".series-parts a").first.click()
    assert "part 1 of 5" in page.locator(".series-label").inner_text()
    page.locator(".series-nav a[rel=next]").click()
    assert "part 2 of 5" in page.locator(".series-label").inner_text()
    # The stylesheet is the fingerprinted one and it applied.
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(251, 250, 247)"
