"""The quality checks bite: a deliberately broken theme (tests/themes/broken, a child of the default) and
a few broken files make each checker fail with a message naming the page (or file) and the rule."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.quality import (ROOT, TESTS, atom_errors, axe_violations, build_into, csp_excess, form_problems,
                           jsonfeed_errors, keyboard_problems, netlify_toml_problems, redirects_file_problems,
                           sitemap_errors, visit_with_csp, vnu_errors)
from tests.quality.fixtures import node_tools, serve  # noqa: F401 (fixtures)


@pytest.fixture(scope="module")
def broken_site(tmp_path_factory):
    """The sample site's content with `theme = "broken"`, built and served like the real one."""
    root = tmp_path_factory.mktemp("broken") / "site"
    shutil.copytree(ROOT / "content", root / "content")
    shutil.copytree(TESTS / "themes" / "broken", root / "themes" / "broken")
    shutil.copy(ROOT / "netlify.toml", root / "netlify.toml")
    config = (ROOT / "site.toml").read_text("utf-8")
    lines = [line for line in config.splitlines() if not line.startswith("theme")]
    (root / "site.toml").write_text("\n".join(lines) + '\ntheme = "broken"\n', "utf-8")
    site = serve(build_into(root, root / "public"), root / "netlify.toml")
    yield site
    site.server.stop()


def has(problems: list[str], *parts: str) -> bool:
    return any(all(part in line for part in parts) for line in problems)


def test_axe_names_the_page_and_the_rules_it_breaks(browser, broken_site, node_tools):
    context = browser.new_context(color_scheme="light")
    page = context.new_page()
    try:
        page.goto(broken_site.url("/about/"))
        problems = axe_violations(page, "/about/ (light)")
    finally:
        context.close()
    for rule in ("color-contrast", "image-alt", "link-name"):
        assert has(problems, "/about/ (light): axe " + rule), (rule, problems)


def test_vnu_names_the_page_the_line_and_the_error(broken_site, node_tools):
    problems = vnu_errors(broken_site.public, ["about/index.html", "404.html", "index.html"])
    assert has(problems, "/about/ (about/index.html:", "vnu error:", "“img”", "“alt”"), problems
    assert has(problems, "/404.html (404.html:", "vnu error:", "“p”"), problems
    assert not has(problems, "/ (index.html"), problems  # the untouched home page stays clean


def test_csp_check_names_the_page_and_the_directive(browser, broken_site):
    problems, _ = visit_with_csp(browser, broken_site.base, ["/about/", "/"])
    assert has(problems, "/about/: CSP blocked an inline resource (directive style-src-attr"), problems
    assert not [line for line in problems if line.startswith("/: ")], problems


def test_keyboard_check_names_the_page_and_the_hidden_focus(browser, broken_site):
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(broken_site.url("/about/"))
        problems, _ = keyboard_problems(page, "/about/")
    finally:
        context.close()
    assert has(problems, "/about/: keyboard: focus on <a> 'A link that hides its focus' is not visible"), problems


def test_forms_check_names_the_page_the_form_and_the_rule(broken_site):
    problems = form_problems(broken_site.public)
    assert has(problems, "/404.html: form contact: Netlify Forms: no data-netlify"), problems
    assert has(problems, "/404.html: form feedback: Netlify Forms: needs <input type=\"hidden\" name=\"form-name\""), \
        problems
    assert has(problems, "/404.html: form feedback: Netlify Forms: no data-netlify-honeypot"), problems


def test_feed_and_sitemap_checks_name_the_file_and_the_rule(broken_site, node_tools, tmp_path):
    public = broken_site.public
    atom = tmp_path / "feed.xml"
    atom.write_text((public / "feed.xml").read_text("utf-8").replace("<title>", "<name>", 1)
                    .replace("</title>", "</name>", 1), "utf-8")
    assert has(atom_errors(atom, "feed.xml"), "feed.xml: Atom schema (RFC 4287):", "“name”"), atom_errors(atom, "x")

    feed = json.loads((public / "feed.json").read_text("utf-8"))
    feed["items"][0]["date_published"] = "3 March 2026"
    del feed["items"][1]["id"]
    bad = tmp_path / "feed.json"
    bad.write_text(json.dumps(feed), "utf-8")
    problems = jsonfeed_errors(bad, "feed.json")
    assert has(problems, "feed.json: JSON Feed 1.1 at items/1:", "'id' is a required property"), problems

    feed["items"][1]["id"] = "x"
    bad.write_text(json.dumps(feed), "utf-8")
    assert has(jsonfeed_errors(bad, "feed.json"), "items/0/date_published '3 March 2026' is not an RFC 3339")

    sitemap = public / "sitemap.xml"
    text = sitemap.read_text("utf-8")
    sitemap.write_text(text.replace("<lastmod>", "<lastmod>yesterday", 1).replace("/about/", "/abuot/", 1), "utf-8")
    try:
        problems = sitemap_errors(sitemap, public, "https://defeating-the-ego.netlify.app/")
    finally:
        sitemap.write_text(text, "utf-8")
    assert has(problems, "sitemap.xml:", "sitemap schema:", "lastmod"), problems
    assert has(problems, "/abuot/ is not a page of the site"), problems


def test_netlify_checks_name_the_key_and_the_line(tmp_path):
    toml = tmp_path / "netlify.toml"
    toml.write_text('[build]\n  publsh = "public"\n  command = "python -m generator build"\n'
                    '[[headers]]\n  for = "*"\n  [headers.values]\n    "Bad Header" = "x"\n', "utf-8")
    problems = netlify_toml_problems(toml, tmp_path)
    assert "netlify.toml: unknown key build.publsh" in problems, problems
    assert has(problems, "[[headers]] #1: 'for' must be a path starting with /"), problems
    assert has(problems, "'Bad Header' is not a valid header name"), problems

    public = tmp_path / "public"
    (public / "new").mkdir(parents=True)
    (public / "new" / "index.html").write_text("<!doctype html><title>x</title>", "utf-8")
    (public / "_redirects").write_text("/old/ /new/ 301\n/old/ /gone/ 301\nold /new/\n", "utf-8")
    problems = redirects_file_problems(public)
    assert "_redirects:2: /old/ is redirected twice" in problems, problems
    assert "_redirects:2: /old/ redirects to /gone/, which is not a page of the site" in problems, problems
    assert has(problems, "_redirects:3: expected 'from to status'"), problems


def test_csp_excess_names_what_is_allowed_but_unused():
    policy = {"default-src": ["'self'"], "script-src": ["'self'"], "style-src": ["'self'", "'unsafe-inline'"]}
    problems = csp_excess(policy, {"style-src": {"'self'"}}, set())
    assert "CSP script-src allows 'self' but no page loads a script that needs it" in problems, problems
    assert "CSP style-src allows 'unsafe-inline'" in problems, problems
    assert has(problems, "CSP default-src 'self' allows loads no page makes"), problems
    assert has(problems, "CSP lacks object-src"), problems


def test_the_broken_theme_leaves_the_rest_of_the_site_alone(broken_site):
    # The faults are confined to the pages it overrides, so the messages above are about those pages only.
    assert "/assets/broken." in (broken_site.public / "about" / "index.html").read_text("utf-8")
    assert "/assets/broken." not in (broken_site.public / "index.html").read_text("utf-8")
    assert Path(broken_site.public / "404.html").read_text("utf-8").count("<form") == 2
