"""`giving questions pull` against a local server on 127.0.0.1 that answers like the Netlify API."""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from click.testing import CliRunner

from conftest import SITE_TOML
from generator.cli import main
from generator.frontmatter import split
from generator.questions import NetlifyClient

TOKEN = "test-token-123"
SITE_TOML_EXTRA = '\n[questions]\nsite_id = "site-1"\n'


def record(n: int, question: str, *, form: str = "ask", consent: str = "yes", **data) -> dict:
    return {"id": f"sub{n:03d}", "number": n, "email": f"reader{n}@example.org", "name": f"Reader {n}",
            "created_at": f"2026-04-{n:02d}T10:00:00.000Z", "form_name": form, "form_id": "form-ask",
            "data": {"name": f"Reader {n}", "email": f"reader{n}@example.org", "question": question,
                     "consent": consent, "post": "an-essay", "ip": "203.0.113.9", **data}}


class FakeNetlify:
    """State and behaviour of the fake API; `mode` switches on the failure cases."""

    def __init__(self):
        self.requests: list[tuple[str, str | None]] = []  # (path?query, Authorization)
        self.mode = "ok"
        self.verified = [record(n, f"Question number {n}?") for n in range(1, 6)]
        self.spam = [record(20, "Cheap followers", **{"bot-field": ""})]
        self.per_page_link = 2  # the fake pages by Link headers, 2 per page

    def handle(self, handler: BaseHTTPRequestHandler) -> tuple[int, object, dict[str, str]]:
        url = urlsplit(handler.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        self.requests.append((handler.path, handler.headers.get("Authorization")))
        if self.mode == "server-error":
            return 500, {"message": "boom"}, {}
        if self.mode == "rate-limited":
            return 429, {"message": "slow down"}, {}
        if handler.headers.get("Authorization") != f"Bearer {TOKEN}":
            return 401, {"code": 401, "message": "Access Denied"}, {}
        if url.path == "/api/v1/sites/site-1/forms":  # one page, whatever ?page= asks for
            return 200, [{"id": "form-contact", "name": "contact"}, {"id": "form-ask", "name": "ask"}], {}
        if url.path.startswith("/api/v1/sites/"):
            return 404, {"code": 404, "message": "Not Found"}, {}
        if url.path == "/api/v1/forms/form-ask/submissions":
            items = self.spam if query.get("state") == "spam" else self.verified
            if self.mode == "no-link":  # page by ?page=N with per_page honoured
                per = int(query["per_page"])
                page = int(query.get("page", "1"))
                return 200, items[(page - 1) * per: page * per], {}
            page = int(query.get("page", "1"))
            per = self.per_page_link
            chunk = items[(page - 1) * per: page * per]
            headers = {}
            if page * per < len(items):
                state = "&state=spam" if query.get("state") == "spam" else ""
                target = f"http://{handler.headers['Host']}/api/v1/forms/form-ask/submissions?page={page + 1}{state}"
                if self.mode == "foreign-next":
                    target = "http://203.0.113.1:9/api/v1/forms/form-ask/submissions?page=2"
                headers["Link"] = f'<{target}>; rel="next", <{target}>; rel="last"'
            return 200, chunk, headers
        if url.path == "/api/v1/redirect-away":
            return 302, {}, {"Location": "http://203.0.113.1:9/steal"}
        return 404, {"message": "Not Found"}, {}


@pytest.fixture
def api():
    fake = FakeNetlify()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            status, body, headers = fake.handle(self)
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}/api/v1"
    yield fake
    server.shutdown()
    server.server_close()


@pytest.fixture
def site(make_site):
    return make_site({"site.toml": SITE_TOML + SITE_TOML_EXTRA})


def pull(root: Path, api_url: str, token: str | None = TOKEN, *extra: str):
    env = {"NETLIFY_AUTH_TOKEN": token, "NETLIFY_SITE_ID": None}
    return CliRunner().invoke(main, ["questions", "pull", "--site", str(root), "--api-url", api_url, *extra],
                              env=env, catch_exceptions=False)


def files(root: Path) -> dict[str, dict]:
    out = {}
    for path in sorted((root / "content/questions").glob("*.md")):
        fm, problems = split(path.read_text("utf-8"), path.name)
        assert not problems
        out[str(fm.values["submission"])] = dict(fm.values)
    return out


def test_pull_follows_pages_and_imports_verified_and_spam(api, site):
    result = pull(site, api.url)
    assert result.exit_code == 0, result.output
    got = files(site)
    assert set(got) == {"sub001", "sub002", "sub003", "sub004", "sub005", "sub020"}
    assert got["sub020"]["status"] == "spam" and got["sub020"]["spam_reason"] == "marked as spam by Netlify"
    assert got["sub003"]["status"] == "pending" and got["sub003"]["asked_by"] == "Reader 3"
    assert "Imported 6 new questions (1 marked as spam); 0 already there." in result.output
    paths = [p for p, _ in api.requests]
    assert [p for p in paths if "state" not in p and "/forms/form-ask/" in p] == [
        "/api/v1/forms/form-ask/submissions?per_page=100&page=1",
        "/api/v1/forms/form-ask/submissions?page=2", "/api/v1/forms/form-ask/submissions?page=3"]
    assert all(auth == f"Bearer {TOKEN}" for _, auth in api.requests)
    text = "".join(p.read_text("utf-8") for p in (site / "content/questions").glob("*.md"))
    assert "@" not in text and TOKEN not in text


def test_pull_twice_adds_nothing(api, site):
    pull(site, api.url)
    before = {p.name: p.read_bytes() for p in (site / "content/questions").glob("*")}
    result = pull(site, api.url)
    assert "Imported 0 new questions; 6 already there." in result.output
    assert {p.name: p.read_bytes() for p in (site / "content/questions").glob("*")} == before


def test_pull_pages_by_number_when_there_is_no_link_header(api, site, monkeypatch):
    api.mode = "no-link"
    monkeypatch.setattr(NetlifyClient, "PER_PAGE", 2)
    result = pull(site, api.url)
    assert result.exit_code == 0, result.output
    assert len(files(site)) == 6
    pages = [p for p, _ in api.requests if "/forms/form-ask/" in p and "state" not in p]
    assert [re.search(r"[?&]page=(\d+)", p).group(1) for p in pages] == ["1", "2", "3"]
    assert len([p for p, _ in api.requests if "/sites/site-1/forms" in p]) == 2  # page 2 repeated page 1: stop


@pytest.mark.parametrize("mode, token, expected", [
    ("ok", "wrong-token", "Netlify refused the token (HTTP 401)"),
    ("server-error", TOKEN, "Netlify answered HTTP 500"),
    ("rate-limited", TOKEN, "rate limiting (HTTP 429)"),
])
def test_pull_reports_error_statuses(api, site, mode, token, expected):
    api.mode = mode
    result = pull(site, api.url, token)
    assert result.exit_code == 1 and expected in result.output
    assert not (site / "content/questions").exists()


def test_pull_unknown_site_and_missing_settings(api, site, make_site, tmp_path):
    result = pull(site, api.url, TOKEN, "--site-id", "nope")
    assert result.exit_code == 1 and "HTTP 404" in result.output and "site id" in result.output
    assert pull(site, api.url, None).exit_code == 1
    assert "NETLIFY_AUTH_TOKEN is not set" in pull(site, api.url, None).output
    bare = make_site({}, root=tmp_path / "bare")
    result = pull(bare, api.url)
    assert result.exit_code == 1 and "no Netlify site id" in result.output


def test_pull_needs_the_form_to_exist(api, site, make_site, tmp_path):
    other = make_site({"site.toml": SITE_TOML + SITE_TOML_EXTRA + 'form_name = "questions"\n'},
                      root=tmp_path / "other")
    result = pull(other, api.url)
    assert result.exit_code == 1 and 'no form named "questions" (forms: ask, contact)' in result.output


def test_pull_never_sends_the_token_to_another_host(api, site):
    api.mode = "foreign-next"
    result = pull(site, api.url)
    assert result.exit_code == 1 and "another site" in result.output
    client = NetlifyClient(TOKEN, api.url)
    from generator.questions import QuestionsError

    with pytest.raises(QuestionsError, match="another site"):
        client.get(api.url + "/redirect-away")


def test_unreachable_api_is_an_error(site):
    result = pull(site, "http://127.0.0.1:9/api/v1")
    assert result.exit_code == 1 and "cannot reach" in result.output


def test_site_id_from_the_environment(api, make_site, tmp_path):
    bare = make_site({}, root=tmp_path / "bare")  # no [questions] site_id
    result = CliRunner().invoke(main, ["questions", "pull", "--site", str(bare), "--api-url", api.url],
                                env={"NETLIFY_AUTH_TOKEN": TOKEN, "NETLIFY_SITE_ID": "site-1"}, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert len(files(bare)) == 6
    assert any(p.startswith("/api/v1/sites/site-1/forms") for p, _ in api.requests)
