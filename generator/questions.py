"""Reader questions: parse `content/questions/*.md` into `Question`s, attach the answered ones to the
`Site`, describe the pages that publish them, and bring submissions in from Netlify Forms.

One file per submission:

    ---
    asked_by: Slavica            # only written when the reader agreed to publication
    asked_at: 2026-03-20T10:00:00Z
    post: think-small            # slug of the post the form was on, when known
    status: pending              # pending | answered | spam | hidden
    consent: true                # the reader agreed that question and name may be published
    submission: 5f1c0a...        # the source's id, so a re-import adds nothing twice
    question: |
      Which tools should a beginner start with?
    ---
    The author's reply, in Markdown.

Trust: the reader's text and name are untrusted. They are written to YAML with the dumper (never by
string pasting); the question is rendered as Markdown without raw HTML or headings, its links get
rel="nofollow ugc noopener" and only http(s) targets survive (`markdown.render_untrusted`); the name
and the plain text reach templates only through Jinja's autoescape or `tojson`. E-mail addresses are
never written: the form's e-mail field is dropped, and anything shaped like an address in the text
(also escaped, entity-encoded or "(at)"-spelt ones) is replaced, on import, on parse and after
rendering. The author's reply is trusted Markdown, rendered like a post body.

Import never overwrites or deletes a file: new files are created with O_EXCL, and a submission whose id
is already in `content/questions/` is skipped. Spam is kept with `status: spam`.
"""

from __future__ import annotations

import hashlib
import io
import json
import posixpath
import re
import urllib.parse
from collections import defaultdict
from dataclasses import dataclass, field, replace
from functools import lru_cache
from datetime import datetime, timezone
from pathlib import Path
from types import MappingProxyType
from typing import Any, Callable, Iterable, Mapping
from zoneinfo import ZoneInfo

from slugify import slugify

from generator.config import Config
from generator.errors import Finding, error, warning
from generator.frontmatter import SLUG_RE, split, to_datetime
from generator.markdown import MARKER_RE, render_markdown, render_untrusted
from generator.model import Post, Question, Site, SourceFile

QUESTIONS_DIR = "content/questions/"
ASK_URL = "/ask/"
THANKS_URL = "/ask/thanks/"
QUESTIONS_URL = "/questions/"
FEED_URL = "/questions/feed.xml"
API_URL = "https://api.netlify.com/api/v1"
STATUSES = ("pending", "answered", "spam", "hidden")
FIELDS = ("title", "slug", "asked_by", "asked_at", "answered_at", "post", "status", "consent", "submission",
          "spam_reason", "question")
# An address, also when disguised so that Markdown or a browser would show it whole again: escaped
# (ana\@x.org), entity-encoded (ana&#64;x.org), split by emphasis or invisible characters, full-width,
# or spelt "ana (at) x (dot) org". The lookbehind keeps a long run of word characters linear.
_LOCAL = r"[\w.!#$%&'*+/=?^`{|}~-]"
_JUNK = r"[*_`~\\\u00ad\u200b-\u200f\u2060\ufeff]{0,4}"
_AT = (rf"{_JUNK}(?:@|\uff20|\ufe6b|&#0*64;?|&#x0*40;?|&commat;?|[ \t]@[ \t]"
       rf"|[ \t]?[(\[{{][ \t]*at[ \t]*[)\]}}][ \t]?){_JUNK}")
_DOT = (rf"{_JUNK}(?:\.|\uff0e|\u3002|&#0*46;?|&#x0*2e;?|&period;?"
        rf"|[ \t]?[(\[{{][ \t]*dot[ \t]*[)\]}}][ \t]?){_JUNK}")
_EMAIL = rf"(?<!{_LOCAL}){_LOCAL}+{_AT}[\w-]+(?:{_DOT}[\w-]+)+"


_compiled: list[re.Pattern[str]] = []


def _email_re() -> re.Pattern[str]:
    """`EMAIL_RE`, compiled on first use (~6 ms; a site without reader questions never needs it)."""
    if not _compiled:
        _compiled.append(re.compile(_EMAIL, re.IGNORECASE))
    return _compiled[0]


def __getattr__(name: str) -> Any:
    if name == "EMAIL_RE":
        return _email_re()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


EMAIL_REMOVED = "[e-mail removed]"
_URL_RE = re.compile(r"https?://|www\.|\[url[=\]]|<a\s", re.IGNORECASE)
_LINE_BREAKS = re.compile(r"\r\n|[\r\x85\u2028\u2029]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ufeff]")
_TRUE = {"yes", "on", "true", "1", "y", "checked", "agree", "agreed"}
LINK_STUFFING = 3  # this many links in one question is spam
MAX_QUESTION = 5000  # the textarea's maxlength: a longer question did not come through the form
_SAFE_ID = re.compile(r"[\w.:-]{1,80}")
_DATE_PREFIX = re.compile(r"^\d{4}-\d{2}-\d{2}-")
_EXTRA, _SPAM = "\0extra", "\0spam"  # keys no CSV header or JSON record can collide with by accident


# -- settings --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Settings:
    """The `[questions]` table of site.toml (registered in config.SECTIONS)."""

    form_on_posts: bool = True
    form_name: str = "ask"
    honeypot: str = "bot-field"
    unanswered_days: int = 7
    per_page: int = 20
    site_id: str = ""


def settings(config: Config) -> Settings:
    table = config.section("questions")
    known = {k: table[k] for k in Settings.__slots__ if k in table}
    result = Settings(**known)
    return replace(result, per_page=max(1, result.per_page), unanswered_days=max(0, result.unanswered_days))


# -- plain text ------------------------------------------------------------------------------------------


def clean_text(text: str) -> str:
    """Reader text normalised for storage: one kind of line break, no control characters, no e-mail
    addresses, no trailing spaces, no leading or trailing blank lines."""
    text = _LINE_BREAKS.sub("\n", text)
    text = _CONTROL.sub("", text)
    text = redact(text)
    return "\n".join(line.rstrip() for line in text.split("\n")).strip("\n").strip()


def clean_name(name: str) -> str:
    """A reader's name on one line, at most 80 characters, with no e-mail address in it."""
    name = " ".join(_CONTROL.sub("", _LINE_BREAKS.sub(" ", name)).split())
    name = _email_re().sub("", name).strip(" ,;<>()[]")
    return name[:80].strip()


def redact(text: str) -> str:
    return _email_re().sub(EMAIL_REMOVED, text)


def reader_html(text: str) -> tuple[str, str]:
    """A reader's question (Markdown) -> (safe HTML, plain text), with no e-mail address in either."""
    return render_untrusted(text, redact)


def shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0]
    return cut.rstrip(",;:.") + "…"


def title_of(text: str) -> str:
    """A short plain-text title: the question's first sentence that ends in "?", else its first sentence."""
    flat = " ".join(text.split())
    sentences = re.split(r"(?<=[.?!])\s+", flat)
    asked = [s for s in sentences if s.endswith("?")]
    return shorten((asked or sentences or [""])[0], 100) or "A reader's question"


# -- parse -----------------------------------------------------------------------------------------------


def is_question_file(path: str) -> bool:
    return path.startswith(QUESTIONS_DIR)


def parse_question(source: SourceFile, config: Config) -> tuple[Question | None, list[Finding]]:
    """One question file -> a `Question`; findings name the file and line."""
    path = source.path
    try:
        text = source.data.decode("utf-8").removeprefix("\ufeff").replace("\r\n", "\n")
    except UnicodeDecodeError:
        return None, [error("not UTF-8; save the file as UTF-8", path, 1, "questions")]
    fm, findings = split(text, path)
    if findings:
        return None, [replace(f, rule="questions") for f in findings]
    values = fm.values
    line = lambda key: fm.lines.get(key, 1)  # noqa: E731
    findings = []
    for key in values:
        if str(key) not in FIELDS:
            import difflib  # only for a misspelt key

            close = difflib.get_close_matches(str(key), FIELDS, n=1, cutoff=0.6)
            hint = f'; did you mean "{close[0]}"?' if close else f"; known keys: {', '.join(FIELDS)}"
            findings.append(error(f'unknown question key "{key}"{hint}', path, line(str(key)), "questions"))
    tz = ZoneInfo(config.timezone)

    def text_of(key: str) -> str:
        value = values.get(key)
        if value is None:
            return ""
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
        if not isinstance(value, str):
            findings.append(error(f"{key} must be text", path, line(key), "questions"))
            return ""
        return value

    status = text_of("status") or "pending"
    if status not in STATUSES:
        findings.append(error(f'status "{status}" is not one of {", ".join(STATUSES)}', path, line("status"),
                              "questions"))
    asked_at = to_datetime(values.get("asked_at"), tz)
    if asked_at is None:
        what = "missing" if "asked_at" not in values else f'"{values.get("asked_at")}" is not a date'
        findings.append(error(f"asked_at {what}; use e.g. asked_at: 2026-03-20T10:00:00Z", path,
                              line("asked_at"), "questions"))
    answered_at = None
    if values.get("answered_at") is not None:
        answered_at = to_datetime(values["answered_at"], tz)
        if answered_at is None:
            findings.append(error(f'answered_at "{values["answered_at"]}" is not a date', path,
                                  line("answered_at"), "questions"))
    consent = values.get("consent", True)
    if not isinstance(consent, bool):
        findings.append(error(f"consent must be true or false, got {consent!r}", path, line("consent"),
                              "questions"))
    post = text_of("post").strip() or None
    if post is not None and not SLUG_RE.match(post):
        findings.append(error(f"post {post!r} is not a post's slug (lowercase letters, digits, hyphens)",
                              path, line("post"), "questions"))
    slug = text_of("slug").strip()
    if slug and not SLUG_RE.match(slug):
        findings.append(error(f"slug {slug!r} is not a slug; use lowercase letters, digits and hyphens",
                              path, line("slug"), "questions"))
    question = clean_text(text_of("question"))
    if not question and status != "spam":
        findings.append(error('missing "question"; the reader\'s question goes under question: |', path,
                              line("question"), "questions"))
    if findings:
        return None, findings

    stem = posixpath.splitext(posixpath.basename(path))[0]
    answer = render_markdown(fm.body, path, fm.body_line)
    text_html, text = reader_html(question)
    lines = dict(fm.lines)
    lines["body"] = fm.body_line
    return Question(
        source=path,
        slug=slug or slug_of(stem),
        title=shorten(text_of("title"), 160) or title_of(text),
        status=status,  # type: ignore[arg-type]
        asked_by=clean_name(text_of("asked_by")) if consent else "",
        asked_at=asked_at,  # type: ignore[arg-type]
        answered_at=answered_at,
        post=post,
        consent=bool(consent),
        submission=text_of("submission").strip(),
        text=text,
        text_html=text_html,
        answer_html=answer.html.strip(),
        answer_text="\n\n".join(p.text.strip() for p in answer.passages if p.text.strip()),
        answer_links=tuple((link.href, link.line) for link in (*answer.links, *answer.images)),
        lines=MappingProxyType(lines),
    ), []


def slug_of(stem: str) -> str:
    """URL slug of a question file: its name without the date, so 2026-03-20-which-tools.md -> which-tools."""
    return slugify(_DATE_PREFIX.sub("", stem)) or slugify(stem) or "question"


def parse_questions(sources: Iterable[SourceFile], config: Config) -> tuple[list[Question], list[Finding]]:
    """Every question file under content/questions/; other files there are private and reported."""
    questions: list[Question] = []
    findings: list[Finding] = []
    for source in sources:
        if not source.path.endswith(".md"):
            findings.append(warning("not published, and not a question file: content/questions/ holds only "
                                    "<date>-<slug>.md files; keep exports (they hold e-mail addresses) out "
                                    "of the repository", source.path, 0, "questions"))
            continue
        question, problems = parse_question(source, config)
        findings += problems
        if question:
            questions.append(question)
    return questions, findings


def unanswered(questions: Iterable[Question], config: Config, now: datetime) -> list[Finding]:
    """The `unanswered` check: a warning for each pending question older than `unanswered_days`."""
    days = settings(config).unanswered_days
    findings = []
    if not days:
        return findings
    for q in questions:
        waited = (now - q.asked_at).days
        if q.status == "pending" and waited > days:
            findings.append(warning(f"{_ago(waited)} a reader asked this and is still waiting; write the reply "
                                    "and set status: answered (or hidden if you answered privately, spam if it "
                                    "is spam)", q.source, q.line_of("status") if "status" in q.lines else 1,
                                    "unanswered"))
    return findings


def _ago(days: int) -> str:
    return f"{days} day{'s' * (days != 1)} ago"


# -- assemble --------------------------------------------------------------------------------------------


def attach(site: Site, questions: Iterable[Question], posts: Iterable[Post]) -> tuple[Site, list[Finding]]:
    """The site with its published questions: answered, agreed to, with a reply; linked to their posts."""
    findings: list[Finding] = []
    live = {p.slug: p.source for p in site.posts}
    known = {p.slug for p in posts if p.kind == "post"}
    url_of = {source: p.url for source, p in site.by_source.items()}
    published: list[Question] = []
    for q in questions:
        if q.post and q.post not in known and q.status != "spam":
            import difflib

            close = difflib.get_close_matches(q.post, sorted(known), n=1, cutoff=0.6)
            hint = f'; did you mean "{close[0]}"?' if close else ""
            findings.append(warning(f'post "{q.post}" is not the slug of any post{hint}', q.source,
                                    q.line_of("post"), "questions"))
        if q.status != "answered":
            continue
        if not q.consent:
            findings.append(warning("answered, but the reader did not agree to publication, so it is not "
                                    "published; set consent: true if they agreed since, or status: hidden if "
                                    "you answered privately", q.source, q.line_of("consent"), "questions"))
            continue
        if not q.answer_html:
            findings.append(warning("status is answered but there is no reply; write it below the front matter",
                                    q.source, q.line_of("status"), "questions"))
            continue
        html = _resolve_markers(q, url_of, site, findings)
        published.append(replace(q, answer_html=html, url=f"{QUESTIONS_URL}{q.slug}/",
                                 post_source=live.get(q.post or "")))
    by_slug: dict[str, list[Question]] = defaultdict(list)
    for q in published:
        by_slug[q.slug].append(q)
    for slug, group in by_slug.items():
        if len(group) > 1:
            for q in group:
                findings.append(error(f"/questions/{slug}/ is used by {', '.join(x.source for x in group)}; "
                                      "give each its own slug", q.source, q.line_of("slug"), "duplicate"))
    published.sort(key=lambda q: (q.published, q.source), reverse=True)
    by_post: dict[str, list[Question]] = defaultdict(list)
    for q in published:
        if q.post_source:
            by_post[q.post_source].append(q)
    return replace(site, questions=tuple(published),
                   questions_by_post=MappingProxyType({k: tuple(v) for k, v in by_post.items()})), findings


def _resolve_markers(q: Question, url_of: Mapping[str, str], site: Site, findings: list[Finding]) -> str:
    """Internal links in the reply (to posts, pages or files) as URLs, like a post's links."""
    lines = {posixpath.normpath(posixpath.join(posixpath.dirname(q.source), href.split("#")[0])): line
             for href, line in q.answer_links}

    def target(match: re.Match) -> str:
        path, _, fragment = match.group(1).partition("#")
        suffix = f"#{fragment}" if fragment else ""
        if path in url_of:
            return url_of[path] + suffix
        for prefix in ("content/", "static/"):
            if path.startswith(prefix) and path[len(prefix):] in site.assets:
                return "/" + path[len(prefix):] + suffix
        findings.append(error(f"the reply links to {path}, which does not exist or is not published", q.source,
                              lines.get(path, q.line_of("body")), "links"))
        return "#"

    return MARKER_RE.sub(target, q.answer_html)


# -- pages -----------------------------------------------------------------------------------------------


def question_pages(site: Site, absolutize: Callable[[str, str], str]) -> list[tuple[str, str, dict[str, Any]]]:
    """(template, url, context) of every page this feature adds: /ask/ (unless a page owns that URL),
    /ask/thanks/, /questions/ and its pages, one page per published question, and the answers feed."""
    cfg = site.config
    per = settings(cfg).per_page
    result: list[tuple[str, str, dict[str, Any]]] = []
    if _generates_ask(site):
        result.append(("ask.html", ASK_URL, {"page": None, "title": "Ask a question",
                                             "description": f"Send a question to {cfg.author or cfg.title}."}))
    result.append(("ask_thanks.html", THANKS_URL, {"title": "Thank you for your question"}))
    questions = site.questions
    total = max(1, -(-len(questions) // per))
    for n in range(1, total + 1):
        url = QUESTIONS_URL if n == 1 else f"{QUESTIONS_URL}page/{n}/"
        pagination = {
            "number": n,
            "total": total,
            "prev_url": None if n == 1 else (QUESTIONS_URL if n == 2 else f"{QUESTIONS_URL}page/{n - 1}/"),
            "next_url": f"{QUESTIONS_URL}page/{n + 1}/" if n < total else None,
        }
        result.append(("questions.html", url, {
            "title": "Readers asked" if n == 1 else f"Readers asked: page {n}",
            "description": f"Questions readers asked {cfg.author or cfg.title}, and the answers.",
            "questions": questions[(n - 1) * per: n * per], "pagination": pagination}))
    for q in questions:
        post = site.post(q.post_source) if q.post_source else None
        result.append(("question.html", q.url, {"title": q.title, "description": shorten(q.text, 160),
                                                "question": q, "post": post, "json_ld": qa_page(q, cfg)}))
    entries = [{"question": q, "post": site.post(q.post_source) if q.post_source else None,
                "content": absolutize(f"<blockquote>{q.text_html}</blockquote>\n{q.answer_html}", cfg.base_url)}
               for q in questions[: cfg.feed_items]]
    result.append(("questions_feed.xml", FEED_URL, {
        "entries": entries, "updated": max((q.published for q in questions), default=None)}))
    return result


def qa_page(q: Question, cfg: Config) -> dict[str, Any]:
    """schema.org QAPage JSON-LD; templates emit it with `tojson`, which escapes <, > and &."""
    answered = q.answered_at or q.asked_at
    return {
        "@context": "https://schema.org",
        "@type": "QAPage",
        "url": cfg.absolute(q.url),
        "inLanguage": cfg.language,
        "mainEntity": {
            "@type": "Question",
            "name": q.title,
            "text": q.text,
            "answerCount": 1,
            "dateCreated": q.asked_at.isoformat(),
            "author": {"@type": "Person", "name": q.asked_by or "A reader"},
            "acceptedAnswer": {
                "@type": "Answer",
                "text": q.answer_text,
                "dateCreated": answered.isoformat(),
                "url": cfg.absolute(q.url) + "#answer",
                "author": {"@type": "Person", "name": cfg.author or cfg.title},
            },
        },
    }


def sitemap_rows(site: Site) -> list[tuple[str, datetime | None]]:
    rows: list[tuple[str, datetime | None]] = [(q.url, q.published) for q in site.questions]
    rows.append((QUESTIONS_URL, site.questions[0].published if site.questions else None))
    if _generates_ask(site):
        rows.append((ASK_URL, None))
    return rows


def _generates_ask(site: Site) -> bool:
    """The generator writes /ask/ unless a page (whose text becomes the intro) or a post has that URL."""
    return not any(p.url == ASK_URL for p in (*site.pages, *site.posts))


# -- import ----------------------------------------------------------------------------------------------


class QuestionsError(Exception):
    """Import or pull cannot go on (unreadable file, refused token, unreachable API); the message says why."""


@dataclass(frozen=True, slots=True)
class Submission:
    """One form submission, already cleaned: no e-mail, name only with consent."""

    id: str
    created_at: datetime
    name: str
    question: str
    post: str | None
    consent: bool
    spam_reason: str = ""


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What importing a Netlify Forms export wrote and skipped."""

    written: tuple[str, ...] = ()  # site-relative paths of new files
    already: int = 0  # submissions already in content/questions/
    other_forms: int = 0  # submissions of another form, ignored
    spam: int = 0  # of the written ones
    problems: tuple[str, ...] = ()  # "row 3: ...; skipped"


def _norm_key(key: Any) -> str:
    return re.sub(r"[\s-]+", "_", str(key).strip().strip(":").strip().lower())


def _flat(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(_flat(v) for v in value)
    if isinstance(value, (dict, bool)):
        return ""
    return str(value)


def submission_from(record: Mapping[str, Any], cfg: Settings, spam: bool = False) -> Submission:
    """A Netlify record (API JSON, or a CSV row as a dict) -> `Submission`; ValueError says what is wrong."""
    fields: dict[str, str] = {}
    for key, value in record.items():
        if key != "data":
            fields[_norm_key(key)] = _flat(value)
    data = record.get("data")
    if data is not None and not isinstance(data, dict):
        raise ValueError('"data" is not an object')
    for key, value in (data or {}).items():
        fields[_norm_key(key)] = _flat(value)
    created = fields.get("created_at") or fields.get("date") or fields.get("submitted_at") or ""
    if not created:
        raise ValueError("no created_at date")
    try:
        when = datetime.fromisoformat(created.strip().replace("Z", "+00:00").replace(" UTC", "+00:00"))
    except ValueError:
        raise ValueError(f"created_at {redact(created[:40])!r} is not a date") from None  # CI logs are public too
    when = (when if when.tzinfo else when.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)
    if not any(k in fields for k in ("question", "message")):
        raise ValueError('no "question" field')
    raw = fields.get("question") or fields.get("message") or ""
    question = clean_text(raw[: MAX_QUESTION * 4])  # a runaway field is cut before any work on it
    too_long = len(_LINE_BREAKS.sub("\n", raw).strip()) > MAX_QUESTION
    if too_long:
        question = shorten(question, MAX_QUESTION)
    consent = fields.get("consent", "").strip().lower() in _TRUE
    name = fields.get("name") or " ".join(filter(None, (fields.get("first_name"), fields.get("last_name"))))
    post = fields.get("post", "").strip().lower()
    ident = (fields.get("id") or fields.get("submission_id") or "").strip()
    if ident and not _SAFE_ID.fullmatch(ident):  # an id is written to the file: never free text
        ident = "sha256-" + hashlib.sha256(ident.encode()).hexdigest()[:24]
    if not ident:  # a CSV without ids: a stable id from what the reader sent (not from our cleaning of it)
        sent = _LINE_BREAKS.sub("\n", raw).strip()
        ident = "sha256-" + hashlib.sha256(f"{when.isoformat()}\0{sent}".encode()).hexdigest()[:24]
    reason = "marked as spam by Netlify" if spam or fields.get("state") == "spam" else ""
    if not reason and fields.get(_norm_key(cfg.honeypot), "").strip():
        reason = "honeypot field filled in"
    if not reason and not question:
        reason = "empty question"
    if not reason and len(_URL_RE.findall(question)) >= LINK_STUFFING:
        reason = "link stuffing"
    if not reason and too_long:
        reason = f"longer than the form allows ({MAX_QUESTION} characters); cut"
    return Submission(id=ident, created_at=when, name=clean_name(name) if consent else "", question=question,
                      post=post if len(post) <= 200 and SLUG_RE.match(post) else None, consent=consent,
                      spam_reason=reason)


def parse_export(text: str, cfg: Settings, suffix: str = "") -> tuple[list[Submission], list[str], int]:
    """Netlify's CSV export or the submissions API's JSON -> (submissions, problems, other forms)."""
    text = text.removeprefix("\ufeff")
    if suffix.lower() == ".json" or text.lstrip().startswith(("[", "{")):
        return _parse_json(text, cfg)
    return _parse_csv(text, cfg)


def _parse_json(text: str, cfg: Settings) -> tuple[list[Submission], list[str], int]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise QuestionsError(f"not valid JSON (line {exc.lineno}): {exc.msg}") from None
    if isinstance(data, dict):
        data = data.get("submissions", data.get("data"))
    if not isinstance(data, list):
        raise QuestionsError("JSON must be a list of submissions, as the Netlify API returns")
    return _records(((f"record {n}", r) for n, r in enumerate(data, 1)), cfg)


def _parse_csv(text: str, cfg: Settings) -> tuple[list[Submission], list[str], int]:
    import csv

    reader = csv.DictReader(io.StringIO(text, newline=""), restkey=_EXTRA)
    try:
        header = reader.fieldnames or []
    except csv.Error as exc:
        raise QuestionsError(f"not a CSV file: {exc}") from None
    if not any(_norm_key(h) in ("question", "message") for h in header):
        raise QuestionsError('the CSV has no "question" column; is it the export of the ask form?')

    def rows():
        number = 1
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                number += 1
                yield f"row {number}", ValueError(f"unreadable CSV: {exc}")
                continue
            number += 1
            if _EXTRA in row:
                cells = len(header) + len(row[_EXTRA])
                yield f"row {number}", ValueError(f"{cells} cells for {len(header)} columns")
            elif None in row.values():
                yield f"row {number}", ValueError(f"fewer cells than the {len(header)} columns")
            else:
                yield f"row {number}", row

    return _records(rows(), cfg)


def _records(items: Iterable[tuple[str, Any]], cfg: Settings) -> tuple[list[Submission], list[str], int]:
    subs: list[Submission] = []
    problems: list[str] = []
    other = 0
    for where, record in items:
        if isinstance(record, Exception):
            problems.append(f"{where}: {record}; skipped")
            continue
        if not isinstance(record, dict):
            problems.append(f"{where}: not an object; skipped")
            continue
        form = record.get("form_name")
        if isinstance(form, str) and form and form != cfg.form_name:
            other += 1
            continue
        spam = bool(record.pop(_SPAM, False))
        try:
            subs.append(submission_from(record, cfg, spam))
        except ValueError as exc:
            problems.append(f"{where}: {exc}; skipped")
    return subs, problems, other


class _Block(str):
    """Text the dumper writes as a `|` block even on one line: the question, which the author reads."""


@lru_cache(maxsize=1)
def _dumper() -> type:
    """PyYAML's safe dumper, writing multi-line text and the question as `|` blocks (PyYAML falls back to
    quoting what a block cannot hold). Made on first use: a build never writes a question file."""
    import yaml

    class Dumper(yaml.SafeDumper):
        pass

    Dumper.add_representer(str, lambda d, v: d.represent_scalar("tag:yaml.org,2002:str", v,
                                                                style="|" if "\n" in v else None))
    Dumper.add_representer(_Block, lambda d, v: d.represent_scalar("tag:yaml.org,2002:str", str(v), style="|"))
    return Dumper


_REPLY_HINT = ("# To answer: write the reply below the closing --- in Markdown, then set status: answered\n"
               "# and answered_at: (today's date).\n")


def question_file(sub: Submission) -> str:
    """The text of a new question file. Values go through the YAML dumper, so no text can break out."""
    values: dict[str, Any] = {}
    if sub.name and sub.consent:
        values["asked_by"] = sub.name
    values["asked_at"] = sub.created_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    if sub.post:
        values["post"] = sub.post
    values["status"] = "spam" if sub.spam_reason else "pending"
    if sub.spam_reason:
        values["spam_reason"] = sub.spam_reason
    values["consent"] = sub.consent
    values["submission"] = sub.id
    values["question"] = _Block(sub.question)
    import yaml

    front = yaml.dump(values, Dumper=_dumper(), sort_keys=False, allow_unicode=True, width=100)
    return f"---\n{front}{'' if sub.spam_reason else _REPLY_HINT}---\n"


def existing_submissions(folder: Path) -> set[str]:
    """Submission ids already in content/questions/, read leniently so a hand-edited file still counts."""
    ids = set()
    if not folder.is_dir():
        return ids
    for path in folder.glob("*.md"):
        text = path.read_text("utf-8", errors="replace")
        fm, problems = split(text.replace("\r\n", "\n"), path.name)
        value = fm.values.get("submission") if not problems else None
        if value is None:
            match = re.search(r"^submission:[ \t]*['\"]?([^'\"\n#]+?)['\"]?[ \t]*(?:#.*)?$", text, re.MULTILINE)
            value = match.group(1) if match else None
        if value is not None:
            ids.add(str(value).strip())
    return ids


def write_questions(site_root: Path, subs: Iterable[Submission], config: Config,
                    report: ImportReport | None = None) -> ImportReport:
    """Create one file per new submission; never touches an existing file."""
    report = report or ImportReport()
    written: list[str] = []
    problems = list(report.problems)
    already = spam = 0
    folder = site_root / QUESTIONS_DIR
    seen = existing_submissions(folder)
    taken = {slug_of(p.stem) for p in folder.glob("*.md")} if folder.is_dir() else set()
    tz = ZoneInfo(config.timezone)
    for sub in sorted(subs, key=lambda s: (s.created_at, s.id)):
        if sub.id in seen:
            already += 1
            continue
        day = sub.created_at.astimezone(tz).strftime("%Y-%m-%d")
        stem = f"{day}-{slugify(sub.question, max_length=48, word_boundary=True) or 'question'}"
        if sub.spam_reason:
            stem = f"{day}-spam"
        folder.mkdir(parents=True, exist_ok=True)
        text = question_file(sub).encode("utf-8")
        for n in range(1, 1000):
            name = f"{stem}.md" if n == 1 else f"{stem}-{n}.md"
            if slug_of(name[:-3]) in taken:  # each question gets its own URL, whatever its date
                continue
            try:
                with open(folder / name, "xb") as out:  # exclusive: never overwrite
                    out.write(text)
            except FileExistsError:
                continue
            break
        else:  # pragma: no cover - a thousand files of one day and slug
            problems.append(f"submission {sub.id}: no free file name for {stem}; skipped")
            continue
        seen.add(sub.id)
        taken.add(slug_of(name[:-3]))
        written.append(QUESTIONS_DIR + name)
        spam += bool(sub.spam_reason)
    return replace(report, written=report.written + tuple(written), already=report.already + already,
                   spam=report.spam + spam, problems=tuple(problems))


def import_file(site_root: Path, export: Path, config: Config) -> ImportReport:
    """`giving questions import FILE`."""
    try:
        text = export.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise QuestionsError(f"cannot read {export}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise QuestionsError(f"{export} is not UTF-8 text") from None
    subs, problems, other = parse_export(text, settings(config), export.suffix)
    return write_questions(site_root, subs, config, ImportReport(problems=tuple(problems), other_forms=other))


# -- pull (the Netlify API) ----------------------------------------------------------------------------


def _same_origin_redirects():
    """A redirect handler that follows redirects only within the API's origin; the token is never sent
    elsewhere. (urllib.request loads http.client, email and ssl: only `questions pull` needs them, so
    they are imported here and not by every build.)"""
    import urllib.request

    class SameOriginRedirects(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, req, fp, code, msg, headers, newurl):
            if _origin(newurl) != _origin(req.full_url):
                raise QuestionsError(f"the API redirected to another site ({_origin(newurl)}); not following it")
            return super().redirect_request(req, fp, code, msg, headers, newurl)

    return SameOriginRedirects()


def _origin(url: str) -> tuple[str, str]:
    parts = urllib.parse.urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


def _next_link(header: str | None) -> str | None:
    """The rel="next" target of an HTTP Link header."""
    for part in (header or "").split(","):
        match = re.match(r'\s*<([^>]*)>(.*)', part)
        if match and re.search(r'rel="?([^";]*\s)?next(\s[^";]*)?"?', match.group(2)):
            return match.group(1)
    return None


class NetlifyClient:
    """The three calls `pull` needs, with the token in an Authorization header and paging followed."""

    PER_PAGE = 100
    MAX_PAGES = 1000

    def __init__(self, token: str, api_url: str = API_URL, timeout: float = 30.0):
        self.token = token
        self.api_url = api_url.rstrip("/")
        self.timeout = timeout
        import urllib.request

        self.opener = urllib.request.build_opener(_same_origin_redirects())

    def get(self, url: str) -> tuple[Any, str | None]:
        import urllib.error
        import urllib.request

        request = urllib.request.Request(url, headers={"Accept": "application/json",
                                                       "User-Agent": "giving (questions pull)"})
        request.add_unredirected_header("Authorization", f"Bearer {self.token}")
        try:
            with self.opener.open(request, timeout=self.timeout) as response:
                body = response.read()
                link = response.headers.get("Link")
        except urllib.error.HTTPError as exc:
            raise QuestionsError(self._explain(exc.code, url)) from None
        except urllib.error.URLError as exc:
            raise QuestionsError(f"cannot reach {self.api_url}: {exc.reason}") from None
        except (TimeoutError, OSError) as exc:
            raise QuestionsError(f"cannot reach {self.api_url}: {exc}") from None
        try:
            return json.loads(body.decode("utf-8")), link
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise QuestionsError(f"{url} did not answer with JSON") from None

    def _explain(self, status: int, url: str) -> str:
        path = urllib.parse.urlsplit(url).path
        if status in (401, 403):
            return (f"Netlify refused the token (HTTP {status}); check NETLIFY_AUTH_TOKEN (a personal access "
                    "token from User settings > Applications)")
        if status == 404:
            return f"not found (HTTP 404) at {path}; check the site id ([questions] site_id or NETLIFY_SITE_ID)"
        if status == 429:
            return "Netlify is rate limiting (HTTP 429); wait a minute and pull again"
        return f"Netlify answered HTTP {status} for {path}; try again later"

    def pages(self, path: str, query: Mapping[str, str] | None = None) -> Iterable[Any]:
        """Every item of a paged list: follows rel="next" links (same origin only), else ?page=N."""
        params = {**(query or {}), "per_page": str(self.PER_PAGE)}
        url: str | None = f"{self.api_url}{path}?{urllib.parse.urlencode({**params, 'page': '1'})}"
        visited = set()
        page = 1
        previous = None
        while url and url not in visited and len(visited) < self.MAX_PAGES:
            visited.add(url)
            data, link = self.get(url)
            if not isinstance(data, list):
                raise QuestionsError(f"{urllib.parse.urlsplit(url).path} did not answer with a list")
            if data == previous:  # an API that ignores ?page= would repeat itself forever
                return
            previous = data
            yield from data
            following = _next_link(link)
            if following:
                following = urllib.parse.urljoin(url, following)
                if _origin(following) != _origin(self.api_url):
                    raise QuestionsError(f"the API's next page is on another site ({following}); not following")
                url = following
            elif link is None and len(data) >= self.PER_PAGE:
                page += 1
                url = f"{self.api_url}{path}?{urllib.parse.urlencode({**params, 'page': str(page)})}"
            else:
                url = None

    def submissions(self, site_id: str, form_name: str) -> Iterable[tuple[Any, bool]]:
        """(record, is_spam) for every submission of the form named `form_name`, verified and spam."""
        quoted = urllib.parse.quote(site_id, safe="")
        forms = [f for f in self.pages(f"/sites/{quoted}/forms") if isinstance(f, dict)]
        form = next((f for f in forms if f.get("name") == form_name), None)
        if form is None:
            names = ", ".join(sorted(str(f.get("name")) for f in forms)) or "none"
            raise QuestionsError(f'the site has no form named "{form_name}" (forms: {names}); deploy the site '
                                 "once so Netlify detects the form")
        form_id = urllib.parse.quote(str(form.get("id", "")), safe="")
        for record in self.pages(f"/forms/{form_id}/submissions"):
            yield record, False
        for record in self.pages(f"/forms/{form_id}/submissions", {"state": "spam"}):
            yield record, True


def pull(site_root: Path, config: Config, token: str, site_id: str = "", api_url: str = API_URL) -> ImportReport:
    """`giving questions pull`: fetch the form's submissions from Netlify and import the new ones."""
    cfg = settings(config)
    site_id = site_id or cfg.site_id
    if not token:
        raise QuestionsError("NETLIFY_AUTH_TOKEN is not set; create a personal access token in Netlify "
                             "(User settings > Applications) and export it")
    if not site_id:
        raise QuestionsError("no Netlify site id; set site_id under [questions] in site.toml or NETLIFY_SITE_ID")
    client = NetlifyClient(token, api_url)
    items = []
    for n, (record, spam) in enumerate(client.submissions(site_id, cfg.form_name), 1):
        if isinstance(record, dict):
            record = {**record, _SPAM: spam}
        items.append((f"record {n}", record))
    subs, problems, other = _records(items, cfg)
    return write_questions(site_root, subs, config, ImportReport(problems=tuple(problems), other_forms=other))


# -- list ------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Waiting:
    """A row of `giving questions list`: a question with one of the asked statuses, and its age in days."""

    path: str
    status: str
    days: int
    post: str | None
    title: str


def waiting(site_root: Path, config: Config, now: datetime, statuses: Iterable[str] = ("pending",)
            ) -> tuple[list[Waiting], list[Finding]]:
    """Questions with one of `statuses`, oldest first, with their age in days (for `questions list`)."""
    folder = site_root / QUESTIONS_DIR
    sources = [SourceFile(p.relative_to(site_root).as_posix(), p.read_bytes())
               for p in sorted(folder.glob("*.md"))] if folder.is_dir() else []
    questions, findings = parse_questions(sources, config)
    wanted = set(statuses)
    rows = [Waiting(q.source, q.status, max(0, (now - q.asked_at).days), q.post, q.title)
            for q in sorted(questions, key=lambda q: (q.asked_at, q.source)) if q.status in wanted]
    return rows, findings

