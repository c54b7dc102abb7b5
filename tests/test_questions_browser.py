"""In a real browser, a reader's hostile question runs no script, and the ask form is usable without JS."""

from __future__ import annotations

import http.server
import threading
from functools import partial

import pytest

from conftest import post
from generator.fs import write_output

HOSTILE = ("<script>window.__pwned = 1</script> <img src=x onerror=\"window.__pwned = 2\"> "
           "<a href=\"javascript:window.__pwned = 3\">x</a> </p><svg onload=\"window.__pwned = 4\">\n\n"
           "[md](javascript:window.__pwned=6) <javascript:window.__pwned=7> ![i](data:image/svg+xml,x) "
           "[ok](https://ok.example)")


@pytest.fixture
def served(tmp_path, make_site, build_site):
    question = ("---\nasked_at: 2026-05-01T10:00:00Z\nstatus: answered\npost: a\n"
                f"asked_by: '<script>window.__pwned = 5</script>'\nquestion: '{HOSTILE}'\n---\nThe reply.\n")
    root = make_site({"content/posts/a.md": post("A", slug="a"), "content/questions/2026-05-01-q.md": question})
    result = build_site(root)
    assert not [f for f in result.findings if f.severity == "error"], result.findings
    out = tmp_path / "public"
    write_output(out, result.outputs, root)
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(out))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_hostile_question_runs_no_script(served, page):
    for path in ("/questions/q/", "/questions/", "/a/"):
        page.goto(served + path)
        assert page.evaluate("window.__pwned") is None, path
    page.goto(served + "/questions/q/")
    assert "<script>window.__pwned = 1</script>" in page.locator(".reader-question").inner_text()
    assert page.locator(".reader-question img, .reader-question svg").count() == 0
    links = page.locator(".reader-question a")
    assert links.count() == 1 and links.get_attribute("href") == "https://ok.example"
    assert links.get_attribute("rel") == "nofollow ugc noopener"
    text = page.locator(".reader-question").inner_text()  # the script URLs stayed text, not links
    assert "[md](javascript:window.__pwned=6)" in text and "<javascript:window.__pwned=7>" in text


def test_ask_form_is_accessible_and_validates_without_javascript(served, page):
    page.goto(served + "/a/")
    form = page.locator("form[data-netlify=true]")
    assert page.get_by_label("Your question (required)").is_visible()
    assert not page.locator("input[name=bot-field]").is_visible()
    form.get_by_role("button", name="Send your question").click()
    assert page.url == served + "/a/"  # the required question stops the empty submission
    assert page.evaluate("document.activeElement.name") == "question"
