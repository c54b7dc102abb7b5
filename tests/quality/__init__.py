"""Quality checks of a built site, each a plain function returning a list of problems.

Every problem is one line naming the page (or file) and the rule, e.g.
`/about/ (dark): axe color-contrast (serious): Elements must meet minimum color contrast ratio thresholds`,
so the same functions prove the default theme clean and show that a broken theme is caught.
Tests live in tests/test_quality_*.py; the Node tools (axe-core, vnu.jar, Lighthouse, @netlify/config)
are pinned in tests/node/ and installed there by scripts/test (`npm ci`).
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import subprocess
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent.parent
TESTS = ROOT / "tests"
NODE_DIR = TESTS / "node"
NODE_MODULES = NODE_DIR / "node_modules"
VNU_JAR = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"
AXE_JS = NODE_MODULES / "axe-core" / "axe.min.js"
SCHEMAS = Path(__file__).resolve().parent / "schemas"
CHROME_PATH = "/usr/bin/chromium"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# Pages every theme must get right, in the order a reader meets them.
PAGE_KINDS = ("home", "post", "series", "tag", "questions", "question", "ask", "404")


def node_tools_problem() -> str | None:
    """Why the Node tools cannot run, or None."""
    if not shutil.which("node"):
        return "node is not installed; scripts/test needs Node.js (the machine's) for tests/node"
    if not (NODE_MODULES / ".package-lock.json").is_file():
        return "tests/node/node_modules is missing: run scripts/test (it runs `npm ci` in tests/node)"
    if not shutil.which("java"):
        return "java is not installed; the Nu Html Checker (vnu.jar) runs on the JVM"
    return None


# -- building -------------------------------------------------------------------------------------------


def build_into(site_root: Path, out: Path, now: datetime | None = None) -> Path:
    """Build `site_root` into `out` the way `giving build` does; fail on any error finding."""
    from generator.build import build
    from generator.fs import write_output
    from generator.site import BuildOptions

    result = build(site_root, BuildOptions(now=now or datetime.now(timezone.utc)))
    errors = [f.format() for f in result.findings if f.severity == "error"]
    assert not errors, "the site does not build:\n" + "\n".join(errors)
    write_output(out, result.outputs, site_root)
    return out


def html_pages(public: Path) -> list[str]:
    """Output paths of every HTML page, sorted (`index.html`, `about/index.html`, `404.html`, ...)."""
    return sorted(p.relative_to(public).as_posix() for p in public.rglob("*.html"))


def url_of(rel: str) -> str:
    """`about/index.html` -> `/about/`; `404.html` -> `/404.html`."""
    return "/" + (rel[: -len("index.html")] if rel.endswith("index.html") else rel)


def _first(public: Path, pattern: str, exclude: tuple[str, ...] = ()) -> str | None:
    for path in sorted(public.glob(pattern)):
        rel = path.relative_to(public).as_posix()
        if not any(re.search(x, rel) for x in exclude):
            return url_of(rel)
    return None


def discover_pages(public: Path) -> dict[str, str | None]:
    """One URL per page kind, picked from what the build produced (None when the site has no such page).

    The post is the richest one in the feed: a series part with a table of contents if there is one.
    """
    from urllib.parse import urlsplit

    posts = [urlsplit(item["url"]).path for item in json.loads((public / "feed.json").read_text("utf-8"))["items"]]

    def richness(url: str) -> int:
        html = (public / url.lstrip("/") / "index.html").read_text("utf-8")
        return sum(marker in html for marker in ('class="toc"', 'class="series-nav"', "<pre", "<img", "<form"))

    post = max(posts, key=richness) if posts else None
    return {
        "home": "/",
        "post": post,
        "series": _first(public, "series/*/index.html"),
        "tag": _first(public, "tags/*/index.html"),
        "questions": "/questions/" if (public / "questions/index.html").is_file() else None,
        "question": _first(public, "questions/*/index.html", exclude=(r"^questions/page/",)),
        "ask": "/ask/" if (public / "ask/index.html").is_file() else None,
        "404": "/this-page-does-not-exist/",
    }


# -- the Nu Html Checker ----------------------------------------------------------------------------------


def vnu_errors(public: Path, pages: list[str] | None = None) -> list[str]:
    """Every error of the Nu Html Checker over the pages (all HTML by default), in one JVM."""
    pages = pages if pages is not None else html_pages(public)
    if not pages:
        return []
    proc = subprocess.run(["java", "-Xss4m", "-jar", str(VNU_JAR), "--format", "json", "--exit-zero-always",
                           *pages], cwd=public, capture_output=True, text=True, timeout=300)
    output = proc.stderr or proc.stdout
    try:  # the JVM may print notes (JAVA_TOOL_OPTIONS, ...) before the report
        messages = json.loads(output[output.index('{"'):])["messages"]
    except (ValueError, KeyError):
        return [f"vnu did not report: exit {proc.returncode}: {proc.stderr[-2000:]}"]
    problems = []
    for m in messages:
        if m.get("type") == "error" or m.get("subType") == "fatal":
            where = m.get("url", "").split(str(public.resolve()) + "/")[-1].removeprefix("file:")
            line = f":{m['lastLine']}" if "lastLine" in m else ""
            problems.append(f"{url_of(where)} ({where}{line}): vnu error: {m.get('message', '').strip()} "
                            f"[{m.get('extract', '').strip()[:120]!r}]")
    return problems


# -- feeds and sitemap -------------------------------------------------------------------------------------


def atom_errors(path: Path, name: str) -> list[str]:
    """RFC 4287: the Relax NG grammar (Jing, inside vnu.jar), its Schematron rules, and feedparser."""
    import feedparser
    from lxml import etree

    problems = []
    proc = subprocess.run(["java", "-cp", str(VNU_JAR), "nu.validator.vendor.thaiopensource.relaxng.util.Driver",
                           "-c", str(SCHEMAS / "atom.rnc"), str(path)], capture_output=True, text=True, timeout=120)
    for line in (proc.stdout + proc.stderr).splitlines():
        if line.strip():
            problems.append(f"{name}: Atom schema (RFC 4287): {line.replace(str(path), name)}")
    if proc.returncode and not problems:
        problems.append(f"{name}: Atom schema check failed with exit {proc.returncode}")
    ns = {"a": "http://www.w3.org/2005/Atom"}
    try:
        root = etree.parse(str(path)).getroot()
    except etree.XMLSyntaxError as exc:
        return problems + [f"{name}: not well-formed XML: {exc}"]
    # The grammar's Schematron rules and the RFC's other MUSTs.
    feed_has_author = bool(root.findall("a:author", ns))
    for i, entry in enumerate(root.findall("a:entry", ns), 1):
        title = entry.findtext("a:title", "?", ns)
        if not feed_has_author and not entry.findall("a:author", ns):
            problems.append(f"{name}: entry {i} ({title}): atom:entry needs an atom:author when the feed has none")
        if entry.find("a:content", ns) is None and not entry.xpath("a:link[not(@rel) or @rel='alternate']",
                                                                        namespaces=ns):
            problems.append(f"{name}: entry {i} ({title}): atom:entry without atom:content needs an alternate link")
        if entry.find("a:content", ns) is not None and entry.find("a:content", ns).get("src") and \
                entry.find("a:summary", ns) is None:
            problems.append(f"{name}: entry {i} ({title}): out-of-line content needs atom:summary")
    for owner in [root, *root.findall("a:entry", ns)]:
        seen = set()
        for link in owner.xpath("a:link[not(@rel) or @rel='alternate']", namespaces=ns):
            key = (link.get("type"), link.get("hreflang"))
            if key in seen:
                problems.append(f"{name}: two alternate links with the same type and hreflang")
            seen.add(key)
        for el in owner.findall("a:id", ns):
            if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", (el.text or "").strip()):
                problems.append(f"{name}: atom:id {el.text!r} is not an absolute IRI")
    ids = [e.findtext("a:id", "", ns) for e in root.findall("a:entry", ns)]
    if len(ids) != len(set(ids)):
        problems.append(f"{name}: entries share an atom:id")
    parsed = feedparser.parse(path.read_bytes())
    if parsed.bozo:
        problems.append(f"{name}: feedparser: {parsed.bozo_exception}")
    return problems


def _absolute_url(value: Any) -> bool:
    return isinstance(value, str) and bool(re.match(r"^https?://[^/\s]+(/\S*)?$", value))


def _rfc3339(value: Any) -> bool:
    if not isinstance(value, str) or not re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$", value):
        return False
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def jsonfeed_errors(path: Path, name: str) -> list[str]:
    """JSON Feed 1.1: the spec's shape as a JSON Schema, plus its URL, date and id rules."""
    import jsonschema

    try:
        feed = json.loads(path.read_text("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return [f"{name}: not JSON: {exc}"]
    schema = json.loads((SCHEMAS / "jsonfeed-1.1.json").read_text("utf-8"))
    problems = [f"{name}: JSON Feed 1.1 at {'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}"
                for e in jsonschema.Draft202012Validator(schema).iter_errors(feed)]
    if problems:
        return problems
    for key in ("home_page_url", "feed_url", "next_url", "icon", "favicon"):
        if key in feed and not _absolute_url(feed[key]):
            problems.append(f"{name}: {key} {feed[key]!r} is not an absolute URL")
    ids = [item["id"] for item in feed["items"]]
    if len(ids) != len(set(ids)):
        problems.append(f"{name}: items share an id")
    for i, item in enumerate(feed["items"]):
        for key in ("url", "external_url", "image", "banner_image"):
            if key in item and not _absolute_url(item[key]):
                problems.append(f"{name}: items/{i}/{key} {item[key]!r} is not an absolute URL")
        for key in ("date_published", "date_modified"):
            if key in item and not _rfc3339(item[key]):
                problems.append(f"{name}: items/{i}/{key} {item[key]!r} is not an RFC 3339 date-time")
        if re.search(r'\s(?:href|src)="/(?!/)', item.get("content_html", "")):
            problems.append(f"{name}: items/{i}/content_html has root-relative links (feed readers need absolute)")
    return problems


def sitemap_errors(path: Path, public: Path, base_url: str) -> list[str]:
    """sitemap.xml against the Sitemap 0.9 schema, and every <loc> a page that exists under base_url."""
    from lxml import etree

    name = path.relative_to(public).as_posix()
    try:
        doc = etree.parse(str(path))
    except etree.XMLSyntaxError as exc:
        return [f"{name}: not well-formed XML: {exc}"]
    schema = etree.XMLSchema(etree.parse(str(SCHEMAS / "sitemap.xsd")))
    problems = [f"{name}:{e.line}: sitemap schema: {e.message}" for e in schema.error_log] \
        if not schema.validate(doc) else []
    locs = doc.getroot().xpath("//s:loc/text()", namespaces={"s": "http://www.sitemaps.org/schemas/sitemap/0.9"})
    if len(locs) != len(set(locs)):
        problems.append(f"{name}: a URL is listed twice")
    for loc in locs:
        if not loc.startswith(base_url.rstrip("/") + "/"):
            problems.append(f"{name}: {loc} is not under base_url {base_url}")
            continue
        rel = loc[len(base_url.rstrip("/")):].lstrip("/")
        target = public / rel
        if not (target.is_file() or (target / "index.html").is_file()):
            problems.append(f"{name}: {loc} is not a page of the site")
    return problems


# -- in the browser ----------------------------------------------------------------------------------------

# Collects what the page reports about CSP before any page script runs (init scripts are exempt from CSP).
CSP_LISTENER = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', e => window.__csp.push(
  {directive: e.effectiveDirective, blocked: e.blockedURI, source: e.sourceFile, line: e.lineNumber,
   sample: e.sample}));
"""


@functools.cache
def _axe_source() -> str:
    return AXE_JS.read_text("utf-8")


def axe_violations(page, label: str) -> list[str]:
    """axe-core at WCAG 2.1 AA on the loaded page; one line per violated rule naming its elements."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(_axe_source())  # evaluated through the DevTools protocol: the CSP does not apply
    result = page.evaluate("opts => axe.run(document, opts)",
                           {"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]})
    lines = []
    for v in result["violations"]:
        targets = "; ".join(" ".join(map(str, n["target"])) + (
            f" ({n['failureSummary'].splitlines()[-1].strip()})" if n.get("failureSummary") else "")
            for n in v["nodes"][:4])
        more = f" and {len(v['nodes']) - 4} more" if len(v["nodes"]) > 4 else ""
        lines.append(f"{label}: axe {v['id']} ({v['impact']}): {v['help']}: {targets}{more} <{v['helpUrl']}>")
    return lines


def csp_violations(page, label: str, console: list[str]) -> list[str]:
    """What the browser refused on this page because of the CSP: its violation events, else its console."""
    what = {"inline": "an inline resource", "eval": "eval()", "": "an inline resource"}
    lines = [f"{label}: CSP blocked {what.get(v['blocked'], v['blocked'])} (directive {v['directive']}"
             f"{', sample ' + repr(v['sample']) if v.get('sample') else ''})"
             for v in page.evaluate("window.__csp || []")]
    if not lines:
        lines = [f"{label}: CSP: {msg}" for msg in console if "Content Security Policy" in msg]
    return list(dict.fromkeys(lines))


def visit_with_csp(browser, base: str, paths: list[str],
                   **context_options) -> tuple[list[str], list[tuple[str, str, str]]]:
    """Open each page as served with Netlify's headers: (CSP problems, loads as (page, type, URL))."""
    context = browser.new_context(**context_options)
    context.add_init_script(CSP_LISTENER)
    page = context.new_page()
    console: list[str] = []
    loads: list[tuple[str, str, str]] = []
    current = {"path": ""}
    page.on("console", lambda msg: console.append(msg.text))
    page.on("request", lambda req: loads.append((current["path"], req.resource_type, req.url))
            if req.resource_type != "document" else None)
    problems: list[str] = []
    try:
        for path in paths:
            current["path"] = path
            console.clear()
            response = page.goto(base + path, wait_until="load")
            if not response.headers.get("content-security-policy"):
                problems.append(f"{path}: served without a Content-Security-Policy header")
            page.wait_for_timeout(20)  # let securitypolicyviolation events fire
            problems += csp_violations(page, path, console)
    finally:
        context.close()
    return problems, loads


def parse_csp(value: str) -> dict[str, list[str]]:
    policy: dict[str, list[str]] = {}
    for part in value.split(";"):
        tokens = part.split()
        if tokens:
            policy.setdefault(tokens[0].lower(), [t for t in tokens[1:]])
    return policy


FETCH_DIRECTIVE = {"stylesheet": "style-src", "script": "script-src", "image": "img-src", "font": "font-src",
                   "media": "media-src", "fetch": "connect-src", "xhr": "connect-src", "eventsource": "connect-src",
                   "websocket": "connect-src", "manifest": "manifest-src", "texttrack": "media-src"}
FETCH_DIRECTIVES = {"child-src", "connect-src", "font-src", "frame-src", "img-src", "manifest-src", "media-src",
                    "object-src", "prefetch-src", "script-src", "script-src-elem", "script-src-attr", "style-src",
                    "style-src-elem", "style-src-attr", "worker-src"}


def csp_needs(loads: list[tuple[str, str, str]], origin: str) -> dict[str, set[str]]:
    """{directive: sources} that the observed loads (page, resource type, URL) need."""
    needs: dict[str, set[str]] = {}
    for _page, kind, url in loads:
        directive = FETCH_DIRECTIVE.get(kind)
        if kind == "other" and re.search(r"\.(svg|png|ico|webp|avif|jpe?g|gif)$", url.split("?")[0]):
            directive = "img-src"  # the favicon: Chromium checks it against img-src
        if not directive:
            continue
        source = "'self'" if url.startswith(origin + "/") else (
            url.split(":", 1)[0] + ":" if re.match(r"^(data|blob):", url) else re.sub(r"^(\w+://[^/]+).*", r"\1", url))
        needs.setdefault(directive, set()).add(source)
    return needs


# Allowed although no page needs it, each for a reason: Lighthouse fetches robots.txt (and DevTools source
# maps) through the page, under its CSP; with no script on any page, 'self' here lets nothing else happen.
TOOLING_ALLOWANCES = {("connect-src", "'self'")}


def csp_excess(policy: dict[str, list[str]], needs: dict[str, set[str]], form_targets: set[str]) -> list[str]:
    """Sources the policy allows that nothing on the site uses ("allows what the pages load and nothing more")."""
    problems = []
    needs = {d: set(s) for d, s in needs.items()}
    for directive, source in TOOLING_ALLOWANCES:
        if directive in policy:
            needs.setdefault(directive, set()).add(source)
    default = policy.get("default-src")
    if default is None:
        problems.append("CSP has no default-src: everything not listed is allowed")
    elif default != ["'none'"]:
        used_by_default = {d for d in needs if d not in policy}
        if not used_by_default:
            problems.append(f"CSP default-src {' '.join(default)} allows loads no page makes; use 'none'")
    for directive, sources in policy.items():
        if directive not in FETCH_DIRECTIVES or sources == ["'none'"]:
            continue
        for source in sources:
            if source in ("'unsafe-inline'", "'unsafe-eval'", "*", "http:", "https:"):
                problems.append(f"CSP {directive} allows {source}")
            elif source not in needs.get(directive, set()):
                problems.append(f"CSP {directive} allows {source} but no page loads a {directive[:-4]} that needs it")
    for directive in ("object-src", "base-uri", "frame-ancestors", "form-action"):
        if directive not in policy:
            problems.append(f"CSP lacks {directive} (it does not fall back to default-src, or should be 'none')")
    if "form-action" in policy and not form_targets and policy["form-action"] != ["'none'"]:
        problems.append("CSP form-action allows targets but the site has no form")
    return problems


# Describes the focused element: where it is, whether it shows a focus indicator, whether it is in view.
FOCUS_STATE = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const s = getComputedStyle(el), r = el.getBoundingClientRect();
  const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2;
  const shadow = s.boxShadow && s.boxShadow !== 'none';
  const all = [...document.querySelectorAll('*')];
  return {index: all.indexOf(el), tag: el.tagName.toLowerCase(), id: el.id,
          text: (el.innerText || el.value || el.getAttribute('aria-label') || el.name || '').trim().slice(0, 60),
          visibleFocus: outline || shadow, outline: s.outlineStyle + ' ' + s.outlineWidth + ' ' + s.outlineColor,
          inView: r.width > 0 && r.height > 0 && r.bottom > 0 && r.right > 0 &&
                  r.top < innerHeight && r.left < innerWidth};
}"""

# Everything a keyboard user should reach with Tab, in document order.
TABBABLE = """() => {
  const sel = 'a[href], button:not([disabled]), input:not([disabled]):not([type=hidden]), select:not([disabled]),' +
              'textarea:not([disabled]), [tabindex], summary, [contenteditable=""], [contenteditable=true]';
  const all = [...document.querySelectorAll('*')];
  return [...document.querySelectorAll(sel)].filter(el => {
    if (el.tabIndex < 0) return false;
    if (el.closest('[hidden], [inert]')) return false;
    const s = getComputedStyle(el);
    return s.visibility !== 'hidden' && s.display !== 'none' && el.getClientRects().length > 0;
  }).map(el => ({index: all.indexOf(el), tag: el.tagName.toLowerCase(), id: el.id,
                 positive: el.tabIndex > 0}));
}"""


def keyboard_problems(page, label: str, max_tabs: int = 200) -> tuple[list[str], list[dict]]:
    """Tab through the page from the top: every stop shows focus and is in view, the order is the DOM's.

    Returns (problems, stops)."""
    expected = page.evaluate(TABBABLE)
    problems = [f"{label}: keyboard: positive tabindex on <{e['tag']}> {e['id']} reorders focus"
                for e in expected if e["positive"]]
    page.evaluate("() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); }")
    stops: list[dict] = []
    for _ in range(max_tabs):
        page.keyboard.press("Tab")
        state = page.evaluate(FOCUS_STATE)
        if state is None or (stops and state["index"] == stops[0]["index"]):
            break
        stops.append(state)
        name = f"<{state['tag']}> {state['text']!r}"
        if not state["visibleFocus"]:
            problems.append(f"{label}: keyboard: focus on {name} is not visible (outline {state['outline']})")
        if not state["inView"]:
            problems.append(f"{label}: keyboard: focused {name} is off screen")
    order = [s["index"] for s in stops]
    if order != sorted(order):
        problems.append(f"{label}: keyboard: focus order does not follow the page: "
                        + " -> ".join(f"<{s['tag']}> {s['text']!r}" for s in stops))
    missing = [e for e in expected if e["index"] not in set(order)]
    if missing:
        problems.append(f"{label}: keyboard: Tab never reaches " + ", ".join(f"<{e['tag']}> #{e['id']}"
                                                                              for e in missing[:5]))
    return problems, stops


# -- Netlify -----------------------------------------------------------------------------------------------


def form_problems(public: Path) -> list[str]:
    """Netlify Forms detection rules over every form in the output.

    Netlify finds a form at deploy time in the static HTML: it needs `data-netlify="true"` (or `netlify`),
    a `name` (the form's identity: one name, one set of fields, wherever it appears), `method="post"`, and
    a hidden `form-name` input equal to the name so submissions that bypass the parsed markup still land.
    A honeypot named by `data-netlify-honeypot` must exist as a field; the action must be a page of the site.
    """
    from bs4 import BeautifulSoup

    problems = []
    fields_by_name: dict[str, tuple[str, frozenset[str]]] = {}
    for rel in html_pages(public):
        soup = BeautifulSoup((public / rel).read_text("utf-8"), "html.parser")
        label = url_of(rel)
        for form in soup.find_all("form"):
            name = form.get("name")
            where = f"{label}: form {name or '(unnamed)'}"
            netlify = form.get("data-netlify") == "true" or form.has_attr("netlify")
            if not netlify:
                problems.append(f"{where}: Netlify Forms: no data-netlify=\"true\", so Netlify will not detect "
                                "it and a static site has nothing else to receive it")
                continue
            if not name:
                problems.append(f"{where}: Netlify Forms: a form needs a name attribute")
                continue
            if (form.get("method") or "get").lower() != "post":
                problems.append(f"{where}: Netlify Forms: method must be post")
            fields = form.find_all(["input", "textarea", "select", "button"])
            names = {f.get("name") for f in fields if f.get("name")}
            hidden = [f for f in fields if f.get("name") == "form-name"]
            if not hidden or hidden[0].get("type") != "hidden" or hidden[0].get("value") != name:
                problems.append(f"{where}: Netlify Forms: needs <input type=\"hidden\" name=\"form-name\" "
                                f"value=\"{name}\">")
            honeypot = form.get("data-netlify-honeypot")
            if not honeypot:
                problems.append(f"{where}: Netlify Forms: no data-netlify-honeypot (spam protection)")
            elif honeypot not in names:
                problems.append(f"{where}: Netlify Forms: honeypot field {honeypot!r} is not in the form")
            else:
                trap = next(f for f in fields if f.get("name") == honeypot)
                hidden_trap = trap.find_parent(attrs={"hidden": True}) or trap.has_attr("hidden") or \
                    "display:none" in (trap.find_parent("p") or trap).get("style", "").replace(" ", "")
                if not hidden_trap or trap.get("tabindex") != "-1":
                    problems.append(f"{where}: Netlify Forms: honeypot {honeypot!r} must be hidden and out of "
                                    "the tab order (tabindex=-1), or readers fill it and are dropped as spam")
            for f in fields:
                if f.name != "button" and f.get("type") not in ("hidden", "submit") and not f.get("name"):
                    problems.append(f"{where}: Netlify Forms: a field without a name is not submitted")
                if f.get("type") == "file" and form.get("enctype") != "multipart/form-data":
                    problems.append(f"{where}: Netlify Forms: file field needs enctype=multipart/form-data")
            action = form.get("action")
            if action:
                target = action.split("?")[0].split("#")[0]
                path = public / target.lstrip("/")
                if not target.startswith("/") or not ((path / "index.html").is_file() or path.is_file()):
                    problems.append(f"{where}: Netlify Forms: action {action!r} is not a page of the site")
            key = frozenset(names - {honeypot})
            if name in fields_by_name and fields_by_name[name][1] != key:
                problems.append(f"{where}: Netlify Forms: form name {name!r} is used on "
                                f"{fields_by_name[name][0]} with other fields; one name, one form")
            fields_by_name.setdefault(name, (label, key))
    return problems


NETLIFY_TOP = {"build", "context", "headers", "redirects", "functions", "edge_functions", "plugins", "dev",
               "images", "template"}
NETLIFY_BUILD = {"base", "publish", "command", "functions", "edge_functions", "ignore", "environment",
                 "processing"}
NETLIFY_CONTEXTS = {"production", "deploy-preview", "branch-deploy", "dev"}
NETLIFY_HEADER_RULE = {"for", "values"}
NETLIFY_REDIRECT = {"from", "to", "status", "force", "query", "conditions", "headers", "signed"}
HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
CSP_DIRECTIVES = FETCH_DIRECTIVES | {"default-src", "base-uri", "form-action", "frame-ancestors", "sandbox",
                                     "report-uri", "report-to", "upgrade-insecure-requests",
                                     "require-trusted-types-for", "trusted-types"}
REDIRECT_STATUS = {200, 301, 302, 303, 307, 308, 404, 410, 451}


def netlify_toml_problems(toml_path: Path, site_root: Path) -> list[str]:
    """A stricter reading of netlify.toml than Netlify's own (which keeps unknown keys and drops bad
    headers silently): known keys only, per context too; header rules well formed; the build publishes
    where giving writes; the Python version matches .python-version; the CSP parses."""
    import tomllib

    name = toml_path.name
    try:
        data = tomllib.loads(toml_path.read_text("utf-8"))
    except tomllib.TOMLDecodeError as exc:
        return [f"{name}: not TOML: {exc}"]
    problems = [f"{name}: unknown top-level key [{k}]" for k in data if k not in NETLIFY_TOP]

    def check_build(build: Any, where: str) -> None:
        if not isinstance(build, dict):
            problems.append(f"{name}: {where} must be a table")
            return
        for key, value in build.items():
            if key not in NETLIFY_BUILD:
                problems.append(f"{name}: unknown key {where}.{key}")
            elif key == "environment":
                if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
                    problems.append(f"{name}: {where}.environment must map names to strings")
            elif key in ("command", "publish", "base", "ignore") and not isinstance(value, str):
                problems.append(f"{name}: {where}.{key} must be a string")

    build = data.get("build", {})
    check_build(build, "build")
    for context, settings in data.get("context", {}).items():
        if context not in NETLIFY_CONTEXTS and not re.match(r"^[\w./-]+$", context):
            problems.append(f"{name}: context {context!r} is not a deploy context or branch name")
        check_build(settings, f"context.{context}")
        for key, value in (settings.items() if isinstance(settings, dict) else []):
            if key == "command" and "generator build" not in value:
                problems.append(f"{name}: context.{context}.command does not build the site: {value!r}")
    if build.get("publish") != "public":
        problems.append(f"{name}: build.publish is {build.get('publish')!r}, but giving builds into public/")
    if "generator build" not in build.get("command", "") and "giving build" not in build.get("command", ""):
        problems.append(f"{name}: build.command does not run giving: {build.get('command')!r}")
    pinned = (site_root / ".python-version")
    wanted = build.get("environment", {}).get("PYTHON_VERSION")
    if pinned.is_file() and wanted and pinned.read_text().strip() != wanted:
        problems.append(f"{name}: PYTHON_VERSION {wanted} differs from .python-version "
                        f"{pinned.read_text().strip()}")
    rules = data.get("headers", [])
    if not isinstance(rules, list):
        problems.append(f"{name}: headers must be an array of tables ([[headers]])")
        rules = []
    for i, rule in enumerate(rules, 1):
        where = f"{name}: [[headers]] #{i}"
        if not isinstance(rule, dict):
            problems.append(f"{where} is not a table")
            continue
        problems += [f"{where}: unknown key {k!r}" for k in rule if k not in NETLIFY_HEADER_RULE]
        if not isinstance(rule.get("for"), str) or not rule["for"].startswith("/"):
            problems.append(f"{where}: 'for' must be a path starting with / (got {rule.get('for')!r})")
        values = rule.get("values")
        if not isinstance(values, dict) or not values:
            problems.append(f"{where}: 'values' must be a non-empty table of header names to strings")
            continue
        for header, value in values.items():
            if not HEADER_NAME.match(header):
                problems.append(f"{where}: {header!r} is not a valid header name")
            if not isinstance(value, str) or "\n" in value:
                problems.append(f"{where}: {header} must be a one-line string")
            elif header.lower() == "content-security-policy":
                for directive in parse_csp(value):
                    if directive not in CSP_DIRECTIVES:
                        problems.append(f"{where}: unknown CSP directive {directive!r}")
    for i, rule in enumerate(data.get("redirects", []), 1):
        where = f"{name}: [[redirects]] #{i}"
        problems += [f"{where}: unknown key {k!r}" for k in rule if k not in NETLIFY_REDIRECT]
        if "from" not in rule or "to" not in rule:
            problems.append(f"{where}: needs from and to")
        if rule.get("status", 301) not in REDIRECT_STATUS:
            problems.append(f"{where}: status {rule.get('status')} is not one Netlify supports")
    return problems


def redirects_file_problems(public: Path) -> list[str]:
    """`_redirects` as giving writes it: `from to 301`, from a path to a page that exists, once each."""
    path = public / "_redirects"
    if not path.is_file():
        return []
    problems, seen = [], set()
    for n, line in enumerate(path.read_text("utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split()
        where = f"_redirects:{n}"
        if len(parts) != 3 or not parts[2].rstrip("!").isdigit():
            problems.append(f"{where}: expected 'from to status', got {line!r}")
            continue
        source, target, status = parts
        if int(status.rstrip("!")) not in REDIRECT_STATUS:
            problems.append(f"{where}: status {status} is not one Netlify supports")
        if not source.startswith("/"):
            problems.append(f"{where}: {source} is not a path")
        if source in seen:
            problems.append(f"{where}: {source} is redirected twice")
        seen.add(source)
        if target.startswith("/"):
            dest = public / target.lstrip("/")
            if not ((dest / "index.html").is_file() or dest.is_file()):
                problems.append(f"{where}: {source} redirects to {target}, which is not a page of the site")
        source_file = public / source.lstrip("/")
        if (source_file / "index.html").is_file() or source_file.is_file():
            problems.append(f"{where}: {source} is also a page, so Netlify serves it and ignores the redirect")
    return problems


def headers_file_problems(public: Path) -> list[str]:
    path = public / "_headers"
    if not path.is_file():
        return []
    problems, current = [], None
    for n, line in enumerate(path.read_text("utf-8").splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if not line[0].isspace():
            current = line.strip()
            if not current.startswith("/") and not current.startswith("http"):
                problems.append(f"_headers:{n}: {current!r} is not a path")
        elif current is None:
            problems.append(f"_headers:{n}: header before any path")
        elif ":" not in line or not HEADER_NAME.match(line.split(":", 1)[0].strip()):
            problems.append(f"_headers:{n}: expected 'Name: value', got {line.strip()!r}")
    return problems


def netlify_parser(site_root: Path, public: Path, work: Path,
                   contexts: tuple[str, ...] = ("production", "deploy-preview", "branch-deploy")) -> dict:
    """Netlify's own parser (@netlify/config, offline) over netlify.toml with `public` as the publish folder."""
    repo = work / "netlify-repo"
    repo.mkdir(parents=True, exist_ok=True)
    shutil.copy(site_root / "netlify.toml", repo / "netlify.toml")
    link = repo / "public"
    if not link.exists():
        link.symlink_to(public.resolve(), target_is_directory=True)
    proc = subprocess.run(["node", str(NODE_DIR / "netlify-config.mjs"), str(repo), *contexts],
                          capture_output=True, text=True, timeout=120, cwd=NODE_DIR)
    assert proc.returncode == 0, f"@netlify/config failed: {proc.stderr[-3000:]}"
    return json.loads(proc.stdout)


def lighthouse(urls: list[str]) -> dict:
    env = {**os.environ, "CHROME_PATH": os.environ.get("CHROME_PATH", CHROME_PATH)}
    proc = subprocess.run(["node", str(NODE_DIR / "lighthouse.mjs"), *urls], capture_output=True, text=True,
                          timeout=480, cwd=NODE_DIR, env=env)
    assert proc.returncode == 0, f"lighthouse failed (exit {proc.returncode}): {proc.stderr[-3000:]}"
    return json.loads(proc.stdout)
