"""Incremental builds equal clean builds, byte for byte, after any sequence of edits.

Hypothesis applies random edits, renames, deletions, new posts, draft toggles and theme changes to a
small site; after every step an incremental build (through the build cache, written over the previous
output folder) must give exactly the files and findings of a clean build from nothing.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st

from generator.build import build
from generator.fs import write_output
from generator.site import BuildOptions

from conftest import NOW, SITE_TOML, files_in, post

OPTIONS = BuildOptions(now=NOW)
SLUGS = ["alpha", "beta", "gamma", "delta", "epsilon"]
WORDS = ["You", "read", "this", "essay", "and", "we", "think", "about", "readers", "slowly", "every", "day"]


def initial(root: Path) -> None:
    files = {
        "site.toml": SITE_TOML,
        "content/posts/alpha.md": post("Alpha", "2026-01-01", "Hello you. See [beta](beta.md).\n", tags="[one, two]"),
        "content/posts/beta.md": post("Beta", "2026-01-02", "A second essay for you.\n", series="Walk",
                                      series_order=1),
        "content/posts/gamma.md": post("Gamma", "2026-01-03", "Third. What do you think?\n", series="Walk",
                                       series_order=2, tags="[two]"),
        "content/pages/about.md": "---\ntitle: About\n---\nAbout this blog, for you.\n",
        "static/notes.txt": "plain file\n",
    }
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")


def posts_in(root: Path) -> list[Path]:
    return sorted((root / "content" / "posts").glob("*.md"))


# One edit: (kind, index into the current posts, a few words, a number)
edits = st.tuples(
    st.sampled_from(["body", "title", "rename", "delete", "new", "draft", "future", "link", "static", "template",
                     "config", "broken"]),
    st.integers(0, 10), st.lists(st.sampled_from(WORDS), min_size=1, max_size=8), st.integers(1, 28),
)


def apply(root: Path, edit: tuple) -> None:
    kind, index, words, day = edit
    posts = posts_in(root)
    text = " ".join(words).capitalize() + ".\n"
    target = posts[index % len(posts)] if posts else None
    if kind == "new" or target is None:
        slug = f"{SLUGS[index % len(SLUGS)]}-{day}"
        (root / "content/posts" / f"{slug}.md").write_text(post(slug.title(), f"2026-02-{day:02d}", text,
                                                                tags=f"[{words[0].lower()}]"), "utf-8")
    elif kind == "body":
        target.write_text(target.read_text("utf-8") + "\n" + text, "utf-8")
    elif kind == "title":
        source = target.read_text("utf-8").split("\n")
        source[1] = f'title: "{text.strip()}"'
        target.write_text("\n".join(source), "utf-8")
    elif kind == "rename":
        target.rename(target.with_name(f"renamed-{day}-{target.name}"))
    elif kind == "delete":
        target.unlink()
    elif kind == "draft":
        source = target.read_text("utf-8")
        source = source.replace("draft: true\n", "") if "draft: true" in source else \
            source.replace("---\n", "---\ndraft: true\n", 1)
        target.write_text(source, "utf-8")
    elif kind == "future":  # published on a day after NOW: left out until then
        source = target.read_text("utf-8").split("\n")
        source[2] = f"date: 2026-{6 + day % 2:02d}-{day:02d}"
        target.write_text("\n".join(source), "utf-8")
    elif kind == "link":  # may point at a post that no longer exists: then the build fails, alike
        other = posts[(index + 1) % len(posts)]
        target.write_text(target.read_text("utf-8") + f"\nSee [{words[0]}]({other.name}).\n", "utf-8")
    elif kind == "static":
        (root / "static" / f"file-{day % 3}.txt").write_text(text, "utf-8")
    elif kind == "template":
        templates = root / "templates"
        templates.mkdir(exist_ok=True)
        (templates / "404.html").write_text(f"<!doctype html><title>{text.strip()}</title>\n", "utf-8")
    elif kind == "config":
        config = root / "site.toml"
        config.write_text(SITE_TOML.replace("A blog for tests.", text.strip()), "utf-8")
    elif kind == "broken":
        target.write_text("---\ntitle: [unclosed\n---\nBody.\n", "utf-8")


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(edits, min_size=1, max_size=5))
def test_incremental_build_equals_clean_build(steps):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "site"
        initial(root)
        out = root / "public"
        for edit in [None, *steps]:
            if edit:
                apply(root, edit)
            quick = build(root, OPTIONS, site_needed=False)  # the CLI's path: may reuse everything
            warm = build(root, OPTIONS)
            clean = build(root, OPTIONS, cache=False)
            assert dict(quick.outputs) == dict(clean.outputs)
            assert dict(warm.outputs) == dict(clean.outputs)
            assert quick.findings == clean.findings == warm.findings
            if clean.outputs:
                write_output(out, quick.outputs, root)
                assert files_in(out) == dict(clean.outputs)


def test_unchanged_site_is_neither_parsed_nor_rendered_again(make_site, monkeypatch):
    root = make_site({"content/posts/a.md": post("A"), "content/posts/b.md": post("B", "2026-01-02")})
    first = build(root, OPTIONS, site_needed=False)

    def refuse(*args, **kwargs):
        raise AssertionError("should have come from the cache")

    monkeypatch.setattr("generator.content.render_markdown", refuse)
    monkeypatch.setattr("generator.render.render", refuse)
    again = build(root, OPTIONS, site_needed=False)
    assert dict(again.outputs) == dict(first.outputs) and again.findings == first.findings
    again = build(root, OPTIONS)  # with the site: parses come from the cache, the outputs too
    assert dict(again.outputs) == dict(first.outputs) and again.site is not None


def test_one_edit_parses_only_that_file(make_site, monkeypatch):
    root = make_site({"content/posts/a.md": post("A"), "content/posts/b.md": post("B", "2026-01-02")})
    build(root, OPTIONS)
    import generator.content as content

    seen = []
    original = content.render_markdown
    monkeypatch.setattr(content, "render_markdown", lambda body, source, *a: seen.append(source) or
                        original(body, source, *a))
    (root / "content/posts/b.md").write_text(post("B", "2026-01-02", "Changed for you.\n"), "utf-8")
    result = build(root, OPTIONS)
    assert seen == ["content/posts/b.md"]
    assert dict(result.outputs) == dict(build(root, OPTIONS, cache=False).outputs)


def test_a_scheduled_post_is_published_when_it_comes_due(make_site):
    from datetime import timedelta

    root = make_site({"content/posts/now.md": post("Now", "2026-05-01"),
                      "content/posts/later.md": post("Later", "2026-06-03")})  # NOW is 2026-06-01
    before = build(root, OPTIONS, site_needed=False)
    assert not any("later" in path for path in before.outputs)
    after_options = BuildOptions(now=NOW + timedelta(days=3))
    after = build(root, after_options, site_needed=False)
    assert any("later" in path for path in after.outputs)
    assert dict(after.outputs) == dict(build(root, after_options, cache=False).outputs)


def test_waiting_questions_are_counted_on_the_day_of_each_build(make_site):
    from datetime import timedelta

    root = make_site({"content/posts/a.md": post("A", "2026-05-01"),
                      "content/questions/q.md": "---\nasked_at: 2026-05-30T10:00:00Z\nstatus: pending\n"
                                                "question: |\n  Why do you write?\n---\n"})
    for days in (0, 0, 40, 40, 80):
        options = BuildOptions(now=NOW + timedelta(days=days))
        quick, clean = build(root, options, site_needed=False), build(root, options, cache=False)
        assert quick.findings == clean.findings and dict(quick.outputs) == dict(clean.outputs)
    assert any(f.rule == "unanswered" for f in clean.findings)
