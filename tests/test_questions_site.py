"""Publishing reader questions: only answered ones, the ask form's Netlify requirements, feeds, sitemap,
JSON-LD, the `unanswered` check, and the safety of reader text in every output."""

from __future__ import annotations

import json
import tempfile
import textwrap
from html.parser import HTMLParser
from xml.etree import ElementTree
from pathlib import Path

import feedparser
import pytest
from hypothesis import HealthCheck, example, given, settings, strategies as st

from conftest import NOW, SITE_TOML, post
from generator.build import build
from generator.markdown import READER_REL
from generator.questions import EMAIL_RE, clean_name, clean_text, reader_html
from generator.site import BuildOptions


def question(asked_at: str = "2026-05-01T10:00:00Z", status: str = "answered", reply: str = "A reply for you.\n",
             **meta) -> str:
    lines = ["---", f"asked_at: {asked_at}", f"status: {status}"]
    for key, value in meta.items():
        lines.append(f"{key}: {value}")
    return "\n".join(lines) + "\n---\n" + textwrap.dedent(reply)


def block(text: str) -> str:
    """A YAML `|` block holding `text`."""
    return "|\n" + "".join(f"  {line}\n" for line in text.split("\n")).rstrip("\n")


class Element:
    def __init__(self, tag: str, attrs: dict[str, str | None]):
        self.tag, self.attrs, self.text = tag, attrs, ""


class Page(HTMLParser):
    """Every element with its attributes, and the text of <script> and <title> elements."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self._open: list[Element] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        element = Element(tag, dict(attrs))
        self.elements.append(element)
        if tag in ("script", "title", "h1", "a", "textarea", "label"):
            self._open.append(element)

    def handle_endtag(self, tag):
        if self._open and self._open[-1].tag == tag:
            self._open.pop()

    def handle_data(self, data):
        for element in self._open:
            element.text += data

    def find(self, tag: str, **attrs: str) -> list[Element]:
        return [e for e in self.elements if e.tag == tag and all(e.attrs.get(k.rstrip("_").replace("_", "-")) == v
                                                                  for k, v in attrs.items())]


@pytest.fixture
def site(make_site, build_site):
    root = make_site({
        "site.toml": SITE_TOML + "\n[questions]\nper_page = 2\n",
        "content/posts/one.md": post("Part One", "2026-01-01", slug="part-one", series='"Two Parts"', series_order=1),
        "content/posts/two.md": post("Part Two", "2026-02-01", slug="part-two", series='"Two Parts"', series_order=2),
        "content/posts/solo.md": post("Solo", "2026-03-01", slug="solo"),
        "content/questions/2026-05-01-first.md": question(
            "2026-05-01T10:00:00Z", asked_by="Slavica", post="part-one", consent="true",
            question=block("Which tools should a beginner start with?\nI have none.\n\nReally none."),
            answered_at="2026-05-03T10:00:00Z", submission="s1", reply="Start with [part two](../posts/two.md).\n"),
        "content/questions/2026-05-02-second.md": question(
            "2026-05-02T10:00:00Z", post="part-two", question="How long should an essay be?"),
        "content/questions/2026-05-04-third.md": question(
            "2026-05-04T10:00:00Z", asked_by="Ana", post="solo", question="Why write alone?"),
        "content/questions/2026-05-05-no-consent.md": question(
            "2026-05-05T10:00:00Z", asked_by="Secret Sam", post="solo", consent="false",
            question="A private question?"),
        "content/questions/2026-05-06-no-reply.md": question("2026-05-06T10:00:00Z", post="solo",
                                                             question="Unreplied?", reply=""),
        "content/questions/2026-04-01-old-pending.md": question("2026-04-01T10:00:00Z", "pending", reply="",
                                                                post="solo", question="Still waiting?"),
        "content/questions/2026-05-30-new-pending.md": question("2026-05-30T10:00:00Z", "pending", reply="",
                                                                question="Just asked?"),
        "content/questions/2026-05-07-spam.md": question("2026-05-07T10:00:00Z", "spam", reply="",
                                                         question="Buy followers"),
        "content/questions/2026-05-08-hidden.md": question("2026-05-08T10:00:00Z", "hidden", question="Hidden?"),
        "content/questions/2026-05-09-unknown-post.md": question("2026-05-09T10:00:00Z", "pending", reply="",
                                                                 post="no-such-post", question="Where?"),
    })
    result = build_site(root)
    assert not [f for f in result.findings if f.severity == "error"], result.findings
    return result


def html(result, path: str) -> str:
    return result.outputs[path].decode("utf-8")


def test_only_answered_questions_with_consent_and_a_reply_are_published(site):
    published = sorted(p for p in site.outputs if p.startswith("questions/") and p.endswith("/index.html")
                       and "/page/" not in p and p != "questions/index.html")
    assert published == ["questions/first/index.html", "questions/second/index.html", "questions/third/index.html"]
    every = b"".join(site.outputs.values())
    for secret in (b"A private question", b"Secret Sam", b"Unreplied", b"Still waiting", b"Buy followers",
                   b"Hidden?", b"Just asked"):
        assert secret not in every
    assert not [p for p in site.outputs if p.endswith(".md") or "content/" in p]


def test_question_page(site):
    page = Page(html(site, "questions/first/index.html"))
    assert page.find("h1")[0].text == "Which tools should a beginner start with?"
    text = html(site, "questions/first/index.html")
    assert "<p>Which tools should a beginner start with?<br />\nI have none.</p>\n<p>Really none.</p>" in text
    assert "Asked by Slavica" in text and 'href="/part-one/"' in text
    assert '<a href="/part-two/">part two</a>' in text  # the reply's internal link is resolved
    anonymous = html(site, "questions/second/index.html")
    assert "Asked by a reader" in anonymous


def test_qapage_json_ld(site):
    page = Page(html(site, "questions/first/index.html"))
    [script] = page.find("script", type="application/ld+json")
    data = json.loads(script.text)
    assert data["@type"] == "QAPage"
    q = data["mainEntity"]
    assert q["@type"] == "Question" and q["name"] == "Which tools should a beginner start with?"
    assert q["text"].startswith("Which tools") and q["answerCount"] == 1
    assert q["author"]["name"] == "Slavica" and q["dateCreated"] == "2026-05-01T10:00:00+00:00"
    answer = q["acceptedAnswer"]
    assert answer["@type"] == "Answer" and answer["text"] == "Start with part two."
    assert answer["author"]["name"] == "Ana Author" and answer["dateCreated"] == "2026-05-03T10:00:00+00:00"
    assert data["url"] == "https://example.org/questions/first/"


def test_questions_list_is_paginated_newest_first(site):
    first = Page(html(site, "questions/index.html"))
    titles = [a.text for a in first.elements if a.tag == "a" and a.attrs.get("href", "").startswith("/questions/")
              and a.attrs["href"].count("/") == 3 and "page" not in a.attrs["href"]]
    assert titles == ["Why write alone?", "Which tools should a beginner start with?"]
    second = html(site, "questions/page/2/index.html")
    assert "How long should an essay be?" in second and 'rel="prev"' in second
    assert "on <a href=\"/part-two/\">Part Two</a>" in second


def test_posts_and_series_show_readers_asked(site):
    one = html(site, "part-one/index.html")
    assert "Readers asked" in one and 'href="/questions/first/"' in one
    solo = html(site, "solo/index.html")
    assert 'href="/questions/third/"' in solo and "Secret Sam" not in solo
    series = html(site, "series/two-parts/index.html")
    assert 'href="/questions/first/"' in series and 'href="/questions/second/"' in series
    assert 'href="/questions/third/"' not in series
    assert series.index("/questions/first/") < series.index("/questions/second/")  # in reading order


def test_feed_sitemap_and_nav(site):
    feed = feedparser.parse(site.outputs["questions/feed.xml"])
    assert not feed.bozo, feed.bozo_exception
    assert [e.link for e in feed.entries] == ["https://example.org/questions/third/",
                                              "https://example.org/questions/first/",
                                              "https://example.org/questions/second/"]
    assert 'href="https://example.org/part-two/"' in feed.entries[1].content[0].value
    sitemap = html(site, "sitemap.xml")
    for url in ("questions/", "questions/first/", "questions/second/", "questions/third/", "ask/"):
        assert f"<loc>https://example.org/{url}</loc>" in sitemap
    assert "ask/thanks/" not in sitemap and "old-pending" not in sitemap
    assert 'href="/questions/"' in html(site, "index.html")


def test_unanswered_check_and_other_findings(site):
    found = {(f.location.path, f.rule, f.severity) for f in site.findings}
    assert ("content/questions/2026-04-01-old-pending.md", "unanswered", "warning") in found
    assert not any(f.rule == "unanswered" and "new-pending" in f.location.path for f in site.findings)
    [old] = [f for f in site.findings if f.rule == "unanswered" and "old-pending" in f.location.path]
    assert "61 days ago" in old.message and old.location.line == 3
    assert ("content/questions/2026-05-05-no-consent.md", "questions", "warning") in found
    assert ("content/questions/2026-05-06-no-reply.md", "questions", "warning") in found
    assert ("content/questions/2026-05-09-unknown-post.md", "questions", "warning") in found


def test_unanswered_days_is_configurable(make_site, build_site):
    pending = question("2026-05-01T10:00:00Z", "pending", reply="", question="Waiting?")
    root = make_site({"content/questions/2026-05-01-q.md": pending})
    assert [f.rule for f in build_site(root).findings] == ["unanswered"]
    root = make_site({"site.toml": SITE_TOML + "\n[questions]\nunanswered_days = 0\n"})
    assert build_site(root).findings == ()
    root = make_site({"site.toml": SITE_TOML + "\n[questions]\nunanswered_days = 40\n"})
    assert build_site(root).findings == ()


def ask_forms(result, path: str) -> list[tuple[Element, Page]]:
    page = Page(html(result, path))
    return [(form, page) for form in page.find("form") if form.attrs.get("data-netlify") == "true"]


def fields(page: Page) -> dict[str, Element]:
    return {e.attrs["name"]: e for e in page.elements if e.tag in ("input", "textarea") and "name" in e.attrs}


@pytest.mark.parametrize("path, post_slug", [("part-one/index.html", "part-one"), ("ask/index.html", "")])
def test_ask_form_meets_netlify_requirements(site, path, post_slug):
    [(form, page)] = ask_forms(site, path)
    assert form.attrs["name"] == "ask" and form.attrs["method"] == "post"
    assert form.attrs["action"] == "/ask/thanks/" and "ask/thanks/index.html" in site.outputs
    honeypot = form.attrs["data-netlify-honeypot"]
    inputs = fields(page)
    assert set(inputs) == {"form-name", "post", honeypot, "question", "name", "email", "consent"}
    assert inputs["form-name"].attrs == {"type": "hidden", "name": "form-name", "value": "ask"}
    assert inputs["post"].attrs["type"] == "hidden" and inputs["post"].attrs["value"] == post_slug
    hidden_wrapper = [e for e in page.elements if e.tag == "p" and "hidden" in e.attrs]
    assert hidden_wrapper and inputs[honeypot].attrs.get("tabindex") == "-1"
    assert "required" in inputs["question"].attrs and inputs["email"].attrs["type"] == "email"
    # every visible field has a label, and hints are tied to their fields
    labelled = {e.attrs.get("for") for e in page.find("label")}
    for name in ("question", "name", "email", "consent"):
        assert inputs[name].attrs["id"] in labelled
    for name in ("question", "name", "email"):
        hint = inputs[name].attrs["aria-describedby"]
        assert any(e.attrs.get("id") == hint for e in page.elements)
    # focus order: the question first, the button last
    order = [e.attrs.get("name") or e.tag for e in page.elements if e.tag in ("textarea", "input", "button")
             and e.attrs.get("type") != "hidden" and e.attrs.get("tabindex") != "-1"]
    assert order[-5:] == ["question", "name", "email", "consent", "button"]


def test_ask_page_uses_the_authors_page_as_intro(make_site, build_site):
    root = make_site({"content/pages/ask.md": "---\ntitle: Ask me\n---\nMy own words about asking.\n"})
    result = build_site(root)
    text = html(result, "ask/index.html")
    assert "My own words about asking." in text and "<h1>Ask me</h1>" in text
    assert len(ask_forms(result, "ask/index.html")) == 1
    assert not [f for f in result.findings if f.severity == "error"]


def test_form_on_posts_can_be_turned_off_and_urls_are_reserved(make_site, build_site):
    root = make_site({"site.toml": SITE_TOML + "\n[questions]\nform_on_posts = false\n",
                      "content/posts/a.md": post("A", slug="a")})
    result = build_site(root)
    assert not ask_forms(result, "a/index.html") and ask_forms(result, "ask/index.html")
    root = make_site({"content/pages/questions.md": "---\ntitle: Mine\n---\nx\n"})
    assert any("reserved" in f.message for f in build_site(root).findings if f.severity == "error")
    root = make_site({"site.toml": SITE_TOML + "\n[questions]\nper_pag = 3\n"})
    [finding] = build_site(root).findings
    assert 'did you mean "per_page"' in finding.message


def test_question_files_are_private(make_site, build_site):
    root = make_site({
        "content/questions/2026-05-01-q.md": question(question="Mail me at reader@example.org?"),
        "content/questions/export.csv": "name,email,question\nA,a@example.org,Q\n",
    })
    result = build_site(root)
    assert not [p for p in result.outputs if "export" in p or p.endswith(".md")]
    assert [f.location.path for f in result.findings] == ["content/questions/export.csv"]
    every = b"".join(result.outputs.values())
    assert b"@example.org" not in every and b"[e-mail removed]" in every


def test_broken_question_files_are_errors_with_lines(make_site, build_site):
    root = make_site({"content/questions/a.md": "---\nasked_at: yesterday\nstatus: answerd\nqustion: Hi\n---\n"})
    messages = {(f.location.line, f.message.split(";")[0]) for f in build_site(root).findings}
    assert (2, 'asked_at "yesterday" is not a date') in messages
    assert (3, 'status "answerd" is not one of pending, answered, spam, hidden') in messages
    assert any(line == 4 and 'did you mean "question"' in f.message for f in build_site(root).findings
               for line in [f.location.line])


# -- safety ------------------------------------------------------------------------------------------------

PAYLOADS = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    '<a href="javascript:alert(1)">click</a>',
    "[click](javascript:alert(1))",
    "<svg onload=alert(1)>",
    "</script><script>alert(1)</script>",
    '"><script>alert(1)</script>',
    "<iframe src=data:text/html,<script>alert(1)</script>>",
    "]]><script>alert(1)</script>",
    "{{ config }}{% raw %}",
    "\u2028</p><b onmouseover=alert(1)>",
    # Markdown ways to a script URL: each must stay text
    "[x](JaVaScRiPt:alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x]( javascript:alert(1) )",
    "[x](vbscript:msgbox(1))",
    "<javascript:alert(1)>",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    '[x](https://ok.example "a\" onmouseover=\"alert(1)")',
    "[x]: javascript:alert(1)\n\n[x]",
]


ATOM = "{http://www.w3.org/2005/Atom}"
TEXT = (".html", ".xml", ".json", ".txt", "_redirects")


class Unsafe(HTMLParser):
    """Collects anything in a page that could run script."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        if tag in ("iframe", "svg", "object", "embed", "img") and tag != "img" or tag == "script" and \
                dict(attrs).get("type") != "application/ld+json":
            self.problems.append(f"<{tag}>")
        self._in_script = tag == "script"
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"{tag} {name}=")
            if name in ("href", "src", "action") and (value or "").strip().lower().startswith(
                    ("javascript:", "data:", "vbscript:")):
                self.problems.append(f"{tag} {name}={value}")

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            json.loads(data)  # JSON-LD stays JSON, whatever the reader wrote


def assert_safe(outputs: dict[str, bytes]) -> None:
    for path, data in outputs.items():
        if path.endswith(".html"):
            checker = Unsafe()
            checker.feed(data.decode("utf-8"))
            assert not checker.problems, (path, checker.problems)
        elif path.endswith(".xml") and path != "sitemap.xml":
            # The raw XML, not feedparser's view (feedparser sanitises content itself).
            root = ElementTree.fromstring(data)
            for element in root.iter():
                assert element.tag.startswith(ATOM), (path, element.tag)  # no injected elements
                if element.tag == ATOM + "content":
                    checker = Unsafe()
                    checker.feed(element.text or "")
                    assert not checker.problems, (path, checker.problems)


def build_with(question_text: str, name: str) -> dict[str, bytes]:
    import yaml

    meta = yaml.safe_dump({"asked_at": "2026-05-01T10:00:00Z", "status": "answered", "asked_by": name,
                           "post": "a", "question": question_text}, allow_unicode=True)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "content/posts").mkdir(parents=True)
        (root / "content/questions").mkdir()
        (root / "site.toml").write_text(SITE_TOML, "utf-8")
        (root / "content/posts/a.md").write_text(post("A", slug="a"), "utf-8")
        (root / "content/questions/2026-05-01-q.md").write_text(f"---\n{meta}---\nThe reply.\n", "utf-8")
        result = build(root, BuildOptions(now=NOW))
    assert not [f for f in result.findings if f.severity == "error"], result.findings
    return dict(result.outputs)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_xss_payloads_are_inert_everywhere(payload):
    outputs = build_with(f"Hello {payload} there?", payload)
    assert_safe(outputs)
    every = "".join(data.decode("utf-8") for path, data in outputs.items() if path.endswith(TEXT))
    assert "<script>alert" not in every and "onerror=\"alert" not in every


reader_text = st.lists(st.one_of(st.sampled_from(PAYLOADS), st.text(max_size=30)), min_size=1, max_size=4).map("".join)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=reader_text.filter(lambda t: reader_html(clean_text(t))[1]), name=reader_text)
def test_arbitrary_reader_text_never_appears_unescaped(text, name):
    outputs = build_with(text, name)
    assert_safe(outputs)
    page = Page(outputs["questions/q/index.html"].decode("utf-8"))
    [script] = page.find("script", type="application/ld+json")
    data = json.loads(script.text)
    assert data["mainEntity"]["text"] == reader_html(clean_text(text))[1]
    assert data["mainEntity"]["author"]["name"] == (clean_name(name) or "A reader")


# The renderer on its own is cheap, so hypothesis can try much more Markdown against it than whole builds.
markdown_bits = st.sampled_from(["[", "]", "(", ")", "<", ">", "!", "*", "_", "`", "\\", "&", "#", ";", ":", "\n",
                                 "javascript", "data", "vbscript", "mailto", "http://x.org", "@", ".", " ",
                                 "&#106;", "&#64;", "script", "onerror=", '"', "'", "=", "a"])
markdown_text = st.lists(st.one_of(markdown_bits, st.sampled_from(PAYLOADS)), max_size=25).map("".join)


@settings(max_examples=400, deadline=None)
@given(text=markdown_text)
@example(text="[x]: javascript:alert(1)\n\n[x]::")  # a bare ":" target: dropped, like any other scheme
def test_reader_markdown_is_always_safe(text):
    html, plain = reader_html(text)
    checker = Unsafe()
    checker.feed(html)
    assert not checker.problems, checker.problems
    page = Page(html)
    assert all(e.attrs.get("rel") == READER_REL for e in page.find("a")), html
    assert not [e for e in page.elements if e.tag not in READER_TAGS], html
    assert all((e.attrs.get("href") or "").startswith(("http://", "https://", "/", "#")) or ":" not in
               (e.attrs.get("href") or "").split("/")[0] for e in page.find("a")), html
    assert not EMAIL_RE.search(html) and not EMAIL_RE.search(plain)


READER_TAGS = {"p", "br", "a", "em", "strong", "code", "pre", "blockquote", "ul", "ol", "li", "hr"}


@pytest.mark.parametrize("source, expected", [
    ("<b>bold</b> <script>x</script>", "<p>&lt;b&gt;bold&lt;/b&gt; &lt;script&gt;x&lt;/script&gt;</p>"),
    ("# Not a heading", "<p># Not a heading</p>"),
    ("one\ntwo\n\nthree", "<p>one<br />\ntwo</p>\n<p>three</p>"),
    ("[site](https://ok.example)", f'<p><a href="https://ok.example" rel="{READER_REL}">site</a></p>'),
    ("<https://ok.example>", f'<p><a href="https://ok.example" rel="{READER_REL}">https://ok.example</a></p>'),
    ("![a cat](https://img.example/c.png)", f'<p><a href="https://img.example/c.png" rel="{READER_REL}">a cat</a></p>'),
    ("[x](javascript:alert(1))", "<p>[x](javascript:alert(1))</p>"),
    ("[x](data:text/html,hi)", "<p>[x](data:text/html,hi)</p>"),
    ("[x](mailto:someone)", "<p>[x](mailto:someone)</p>"),
    ("*kind* `code`", "<p><em>kind</em> <code>code</code></p>"),
])
def test_reader_markdown(source, expected):
    assert reader_html(source)[0] == expected


@pytest.mark.parametrize("disguised", [
    "ana@example.org", "ana\\@example.org", "ana&#64;example.org", "ana&#x40;example&#46;org", "ana&commat;example.org",
    "ana @ example.org", "ana\u200b@example.org", "ana\u00ad@\u00adexample.org", "ana\uff20example.org",
    "ana (at) example (dot) org", "ana[at]example[dot]org", "ana*@*example.org", "ana@example\\.org",
    "ana_@_example.org", "`ana@example.org`", "Ana.Bell+blog@mail.Example.co.uk", "ana@exämple.org",
])
def test_disguised_email_addresses_are_redacted(disguised):
    text = f"Write to {disguised} please"
    cleaned = clean_text(text)
    assert "[e-mail removed]" in cleaned and "ana" not in cleaned.lower() and "example" not in cleaned.lower()
    for out in reader_html(text):  # the renderer redacts on its own too, after unescaping
        assert "ana" not in out.lower() and "[e-mail removed]" in out


def test_addresses_markdown_would_assemble_are_redacted_after_rendering():
    # None of these is an address in the source; each would be one on the page.
    for text in ("ana**@**example.org", "*ana*@example.org", "[ana](https://x.example)@example.org"):
        html, plain = reader_html(text)
        assert not EMAIL_RE.search(html) and not EMAIL_RE.search(plain)
        assert "@" not in plain.replace("[e-mail removed]", ""), plain
    html, _ = reader_html("[link](https://x.example/?to=ana@example.org) after")
    assert "href" not in html and "ana@" not in html


@pytest.mark.parametrize("text", ["follow @ana on mastodon", "5 @ the shop", "hi @ana.", "see you at 5. ok",
                                  "me@home", "@@."])
def test_ordinary_text_is_left_alone(text):
    assert clean_text(text) == text


def test_a_long_run_of_text_is_redacted_in_linear_time():
    import time

    start = time.perf_counter()
    for run in ("a" * 200_000, "a." * 100_000, "a@" * 100_000, "*" * 200_000 + "@"):
        clean_text(run)
    assert time.perf_counter() - start < 2


def test_the_sample_sites_questions_hold_no_email_address():
    folder = Path(__file__).parents[1] / "content/questions"
    for path in folder.glob("*"):
        assert not EMAIL_RE.search(path.read_text("utf-8")), path
