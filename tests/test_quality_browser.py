"""The default theme in a real browser (Debian chromium via Playwright, one browser for the run):
axe-core finds no WCAG 2.1 AA violation in light or dark; the CSP blocks nothing the pages load and
allows nothing more; a keyboard reaches everything in order with visible focus; JavaScript is optional."""

from __future__ import annotations

import tomllib

import pytest

from tests.quality import (PAGE_KINDS, ROOT, axe_violations, csp_excess, csp_needs, html_pages, keyboard_problems,
                           parse_csp, url_of, visit_with_csp)
from tests.quality.fixtures import node_tools, page_url, sample_public, served  # noqa: F401 (fixtures)


def open_page(browser, url: str, **context_options):
    context = browser.new_context(**context_options)
    page = context.new_page()
    response = page.goto(url, wait_until="load")
    return context, page, response


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("kind", PAGE_KINDS)
def test_axe_finds_no_wcag_aa_violation(browser, served, node_tools, kind, scheme):
    url = page_url(served, kind)
    context, page, response = open_page(browser, url, color_scheme=scheme)
    try:
        assert response.status == (404 if kind == "404" else 200), f"{url}: HTTP {response.status}"
        assert page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches") == (scheme == "dark")
        problems = axe_violations(page, f"{served.pages[kind]} ({scheme})")
    finally:
        context.close()
    assert not problems, "\n".join(problems)


def site_csp() -> str:
    data = tomllib.loads((ROOT / "netlify.toml").read_text("utf-8"))
    [csp] = [rule["values"]["Content-Security-Policy"] for rule in data["headers"]
             if "Content-Security-Policy" in rule.get("values", {})]
    return csp


def test_csp_blocks_nothing_the_pages_load_and_allows_nothing_more(browser, served):
    problems, loads = [], []
    for scheme in ("light", "dark"):  # a theme may load other images in dark mode
        paths = [url_of(rel) for rel in html_pages(served.public)] + [served.pages["404"]]
        found, seen = visit_with_csp(browser, served.base, paths, color_scheme=scheme)
        problems += [p for p in found if p not in problems]
        loads += seen
    assert not problems, "\n".join(problems)
    from bs4 import BeautifulSoup

    form_targets = {form.get("action", "") for rel in html_pages(served.public)
                    for form in BeautifulSoup((served.public / rel).read_text("utf-8"), "html.parser")("form")}
    excess = csp_excess(parse_csp(site_csp()), csp_needs(loads, served.base), form_targets)
    seen = sorted({(kind, url.replace(served.base, "")) for _, kind, url in loads})
    assert not excess, "netlify.toml: " + "\n".join(excess) + f"\n(loads seen: {seen})"


def test_keyboard_reaches_a_post_in_order_with_visible_focus(browser, served):
    url = page_url(served, "post")
    context, page, _ = open_page(browser, url)
    try:
        problems, stops = keyboard_problems(page, served.pages["post"])
        assert stops, "Tab focused nothing"
        assert stops[0]["text"] == "Skip to content", f"the first Tab stop is {stops[0]}, not the skip link"
        page.evaluate("window.scrollTo(0, 0)")
        page.focus(".skip-link")
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "main", "the skip link does not move focus to <main>"
        page.keyboard.press("Tab")
        first_in_main = page.evaluate("document.activeElement.closest('main') !== null")
        assert first_in_main, "after the skip link, Tab leaves the main content"
    finally:
        context.close()
    assert not problems, "\n".join(problems)


def test_keyboard_fills_the_ask_form_in_order(browser, served):
    url = page_url(served, "ask")
    context, page, _ = open_page(browser, url)
    try:
        problems, stops = keyboard_problems(page, served.pages["ask"])
        honeypot = page.evaluate("document.querySelector('form[data-netlify-honeypot]')"
                                 "?.getAttribute('data-netlify-honeypot')")
        fields = page.evaluate("""() => [...document.querySelectorAll(
            'form[data-netlify] :is(input, textarea, select, button)')]
            .filter(el => el.type !== 'hidden' && el.tabIndex >= 0 && !el.closest('[hidden]'))
            .map(el => el.id || el.name || el.textContent.trim())""")
        assert fields, "the ask page has no form fields"
        focused = [s["id"] or s["text"] for s in stops]
        in_form = [f for f in focused if f in fields]
        assert in_form == fields, f"Tab reaches the form's fields as {in_form}, the page has them as {fields}"
        assert honeypot not in focused, "Tab reaches the honeypot field"
    finally:
        context.close()
    assert not problems, "\n".join(problems)


def test_a_post_reads_and_navigates_without_javascript(browser, served):
    url = page_url(served, "post")
    context, page, response = open_page(browser, url, java_script_enabled=False)
    try:
        assert response.status == 200
        assert page.locator("h1").first.is_visible()
        words = len(page.locator("article .content").first.inner_text().split())
        assert words > 100, f"only {words} words of the post are readable without JavaScript"
        body_bg = page.locator("body").evaluate("el => getComputedStyle(el).backgroundColor")
        assert body_bg not in ("rgba(0, 0, 0, 0)", ""), "the stylesheet did not apply"
        links = page.locator("article footer a, main nav a")
        assert links.count(), "the post links nowhere"
        href = links.first.get_attribute("href")
        links.first.click()
        page.wait_for_load_state("load")
        assert page.url.endswith(href) and page.locator("h1").first.is_visible()
    finally:
        context.close()


def test_the_ask_form_submits_without_javascript(browser, served):
    url = page_url(served, "ask")
    context, page, _ = open_page(browser, url, java_script_enabled=False)
    before = len(served.server.submissions)
    try:
        form = page.locator("form[data-netlify]").first
        question = form.locator("textarea").first
        question_field = question.get_attribute("name")
        question.fill("How do I start writing for one reader?")
        for field in form.locator("input[type=text], input:not([type])").all():
            if field.is_visible():
                field.fill("Ana")
        checkbox = form.locator("input[type=checkbox]")
        if checkbox.count():
            checkbox.first.check()
        with page.expect_navigation():
            form.locator("button[type=submit], input[type=submit]").first.click()
        assert page.locator("h1").first.is_visible()
        landed = page.url.replace(served.base, "")
    finally:
        context.close()
    assert len(served.server.submissions) == before + 1, "the form was not posted"
    path, data = served.server.submissions[-1]
    assert path == landed, f"posted to {path} but the browser shows {landed}"
    assert data.get("form-name") and data.get(question_field) == ["How do I start writing for one reader?"], data
