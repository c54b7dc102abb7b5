"""Bad input: each defect gives a finding naming file and line, all problems are listed, nothing is written."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import post


def messages(result) -> list[str]:
    return [f.format() for f in result.findings]


def errors(result) -> list[str]:
    return [f.format() for f in result.findings if f.severity == "error"]


def test_malformed_yaml_names_file_and_line(make_site, build_site):
    root = make_site({"content/posts/bad.md": '---\ntitle: "Open quote\ndate: 2026-01-01\n---\nBody\n'})
    result = build_site(root)
    assert result.outputs == {}
    [msg] = errors(result)
    assert msg.startswith("content/posts/bad.md:2: error: front matter is not valid YAML")
    assert msg.endswith("[front-matter]")


def test_missing_title_and_date_are_both_reported(make_site, build_site):
    root = make_site({"content/posts/empty.md": "---\ndescription: nothing\n---\nBody\n"})
    assert errors(build_site(root)) == [
        'content/posts/empty.md:1: error: missing "date"; add a line such as date: 2026-03-01 [front-matter]',
        'content/posts/empty.md:1: error: missing "title"; add a line such as title: "My essay" [front-matter]',
    ]


def test_bad_date_and_unknown_key_with_suggestion(make_site, build_site):
    root = make_site({"content/posts/x.md": "---\ntitle: X\ndate: tomorrow\ntagz: [a]\n---\nBody\n"})
    assert errors(build_site(root)) == [
        'content/posts/x.md:3: error: date "tomorrow" is not a date; use YYYY-MM-DD or YYYY-MM-DDTHH:MM [front-matter]',
        'content/posts/x.md:4: error: unknown front matter key "tagz"; did you mean "tags"? [front-matter]',
    ]


def test_no_front_matter_and_unclosed_front_matter(make_site, build_site):
    root = make_site({"content/posts/a.md": "Just text\n", "content/posts/b.md": "---\ntitle: B\n"})
    assert errors(build_site(root)) == [
        "content/posts/a.md:1: error: no front matter; start the file with ---, a title: line, and --- [front-matter]",
        "content/posts/b.md:1: error: front matter starts with --- but never ends; close it with a line of --- "
        "[front-matter]",
    ]


def test_non_utf8_file(make_site, build_site):
    root = make_site({"content/posts/latin1.md": "---\ntitle: Caf\xe9\ndate: 2026-01-01\n---\n".encode("latin-1")})
    assert errors(build_site(root)) == [
        "content/posts/latin1.md:2: error: not UTF-8 (byte 0xe9); save the file as UTF-8 [encoding]"
    ]


def test_duplicate_slugs_name_both_files(make_site, build_site):
    root = make_site({
        "content/posts/a.md": post("A", slug="same"),
        "content/posts/b.md": post("B", slug="same"),
    })
    found = errors(build_site(root))
    assert len(found) == 2
    assert found[0].startswith("content/posts/a.md:4: error: URL /same/ is used by content/posts/a.md, "
                               "content/posts/b.md")


def test_page_may_not_take_a_generated_url(make_site, build_site):
    root = make_site({"content/pages/tags.md": "---\ntitle: Tags\n---\nMine\n"})
    assert errors(build_site(root)) == [
        "content/pages/tags.md:1: error: URL /tags/ is reserved for the generator's own pages; set another slug "
        "[duplicate]"
    ]


def test_series_order_clash(make_site, build_site):
    root = make_site({
        "content/posts/a.md": post("A", series='"S"', series_order=1),
        "content/posts/b.md": post("B", date="2026-01-02", series='"S"', series_order=1),
    })
    found = errors(build_site(root))
    assert found == [
        f'content/posts/{n}.md:5: error: series "S" has two parts numbered 1 (content/posts/a.md, '
        f"content/posts/b.md); give each part its own series_order [series]" for n in "ab"
    ]


def test_link_to_missing_post_names_line(make_site, build_site):
    root = make_site({"content/posts/a.md": post("A", body="First line.\n\nSee [gone](gone.md) for more.\n")})
    assert errors(build_site(root)) == [
        "content/posts/a.md:7: error: links to content/posts/gone.md, which does not exist; check the file name "
        "[links]"
    ]


def test_link_to_draft_is_an_error_unless_drafts_are_built(make_site, build_site):
    root = make_site({
        "content/posts/a.md": post("A", body="See [soon](b.md).\n"),
        "content/posts/b.md": post("B", draft="true"),
    })
    assert "which is a draft or scheduled" in errors(build_site(root))[0]
    assert errors(build_site(root, drafts=True)) == []


def test_all_problems_are_listed_not_only_the_first(make_site, build_site):
    root = make_site({
        "content/posts/a.md": "---\ntitle: [\n---\n",
        "content/posts/b.md": "---\ntitle: B\n---\n",
        "content/posts/c.md": post("C", body="[x](nope.md)\n"),
    })
    paths = {f.location.path for f in build_site(root).findings}
    assert paths == {"content/posts/a.md", "content/posts/b.md", "content/posts/c.md"}
    root2 = make_site({"content/posts/d.md": post("D", body="[x](nope.md) [y](nah.md)\n")}, root=root.parent / "two")
    assert len(errors(build_site(root2))) == 2


def test_unknown_config_key_suggests_the_right_one(make_site, build_site):
    root = make_site({"site.toml": 'title = "T"\nbase_url = "https://x.org/"\nposts_per_pgae = 5\n'})
    assert errors(build_site(root)) == [
        'site.toml:3: error: unknown key "posts_per_pgae"; did you mean "posts_per_page"? [config]'
    ]


def test_config_wrong_type_and_bad_values(make_site, build_site):
    root = make_site({"site.toml": 'title = "T"\nbase_url = "example.org"\nposts_per_page = "ten"\n'
                                   'permalink = "/posts/"\n'})
    assert errors(build_site(root)) == [
        "site.toml:2: error: base_url must be an absolute http(s) URL such as \"https://example.org/\", "
        "got 'example.org' [config]",
        "site.toml:3: error: posts_per_page must be an integer, got 'ten' [config]",
        "site.toml:4: error: permalink must start with \"/\" and contain {slug} (allowed: {slug} {year} {month} "
        "{day}), got '/posts/' [config]",
    ]


def test_invalid_toml(make_site, build_site):
    root = make_site({"site.toml": 'title = "T"\nbase_url = \n'})
    [msg] = errors(build_site(root))
    assert msg.startswith("site.toml:2: error: not valid TOML")


def test_missing_template_names_it(make_site, build_site):
    root = make_site({
        "templates/post.html": '{% extends "nothere.html" %}',
        "content/posts/a.md": post("A"),
    })
    [msg] = errors(build_site(root))
    assert 'template "nothere.html" not found' in msg and msg.startswith("content/posts/a.md")


def test_template_error_names_template_file_and_line(make_site, build_site):
    root = make_site({
        "templates/post.html": '{% extends "base.html" %}\n{% block main %}\n<h1>{{ post.titel }}</h1>\n'
                               "{% endblock %}\n",
        "content/posts/a.md": post("A"),
    })
    [msg] = errors(build_site(root))
    assert msg.startswith("templates/post.html:3: error: while rendering /a/ (from content/posts/a.md): "
                          "UndefinedError:")
    assert "titel" in msg


def test_template_syntax_error_names_line(make_site, build_site):
    root = make_site({"templates/page.html": "{% extends 'base.html' %}\n{% block main %}\n{% if %}\n",
                      "content/pages/p.md": "---\ntitle: P\n---\nx\n"})
    [msg] = errors(build_site(root))
    assert msg.startswith("templates/page.html:3: error: template syntax:")


def test_missing_theme(make_site, build_site):
    root = make_site({"site.toml": 'title = "T"\nbase_url = "https://x.org/"\ntheme = "nope"\n'})
    assert errors(build_site(root)) == [
        'site.toml:3: error: theme "nope" not found; put it in themes/nope/ or use theme = "default" [theme]'
    ]


def test_missing_site_toml(tmp_path, build_site):
    [msg] = errors(build_site(tmp_path))
    assert msg.startswith("site.toml: error: no site.toml in")


def test_the_authors_redirects_and_robots_are_kept(make_site, build_site):
    """Nothing the author wrote is overwritten: own _redirects rules come first, aliases after them."""
    root = make_site({
        "content/posts/a.md": post("A", aliases='["/old-a/"]'),
        "static/_redirects": "/chat https://example.org/chat 302",
        "static/robots.txt": "User-agent: *\nDisallow: /drafts/\n",
    })
    result = build_site(root)
    assert errors(result) == []
    assert result.outputs["_redirects"] == b"/chat https://example.org/chat 302\n/old-a/ /a/ 301\n"
    assert result.outputs["robots.txt"] == b"User-agent: *\nDisallow: /drafts/\n"


def test_a_static_file_may_not_replace_a_generated_one(make_site, build_site):
    root = make_site({"content/posts/a.md": post("A"), "static/feed.xml": "<feed/>"})
    result = build_site(root)
    assert result.outputs == {}
    assert errors(result) == ["static/feed.xml: error: static/feed.xml would be replaced by the Atom feed giving "
                              "writes at /feed.xml; remove or rename it [duplicate]"]
