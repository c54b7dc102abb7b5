"""New things on disk: `giving init` (a starter site) and `giving new post`. Never overwrites a file."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from slugify import slugify

from generator.content import POSTS_DIR
from generator.errors import GivingError, error
from generator.frontmatter import split

SITE_TOML = '''# giving site configuration. Every key is documented in the README.
title = "{title}"
base_url = "https://example.org/"
author = "Your Name"
language = "en"
description = "Essays for the people who read them."
theme = "default"
permalink = "/{{slug}}/"
posts_per_page = 10
'''

FIRST_POST = '''---
title: "Hello, reader"
date: {today}
description: "Why this blog exists, and what you can ask here."
tags: [welcome]
---
This blog is written for you, the person reading it. Each essay tries to answer a question you might have.

What would you like to read about next? Ask, and the answer will appear here.
'''

ABOUT = '''---
title: "About"
description: "Who writes here, and for whom."
---
This site is about what its readers need. If a post helped you, or left you with a question, say so.
'''

# Netlify does not install pyproject dependencies by itself and pip's scripts may land off PATH, so the
# build installs requirements.txt and runs the module. Headers match the sample site's netlify.toml.
NETLIFY_TOML = '''[build]
  command = "pip install -r requirements.txt && python -m generator build"
  publish = "public"

[build.environment]
  PYTHON_VERSION = "3.11"

# Deploy previews show drafts, so an editor can read them before they go live.
[context.deploy-preview]
  command = "pip install -r requirements.txt && python -m generator build --drafts"

[[headers]]
  for = "/*"
  [headers.values]
    Content-Security-Policy = "default-src 'none'; img-src 'self'; style-src 'self'; script-src 'none'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'"
    X-Content-Type-Options = "nosniff"
    Referrer-Policy = "strict-origin-when-cross-origin"
    Permissions-Policy = "camera=(), microphone=(), geolocation=(), interest-cohort=()"
    X-Frame-Options = "DENY"

# Theme assets carry a content hash in their names, so they can be cached for a year.
[[headers]]
  for = "/assets/*"
  [headers.values]
    Cache-Control = "public, max-age=31536000, immutable"
'''

# The name "giving" on PyPI belongs to another project, so `pip install giving` on Netlify would install
# the wrong package. requirements.txt names where this copy of giving came from when that is a place
# Netlify can reach (a repository or a URL, from PEP 610's direct_url.json), else a line to fill in.
REQUIREMENTS = '''# What Netlify installs before it builds the site (netlify.toml runs `pip install -r requirements.txt`).
# "giving" on PyPI is another project: install giving from its repository or a release wheel URL,
# e.g. `giving @ git+https://github.com/OWNER/giving@v1.0.0`, pinned to the release you use.
{requirement}
'''
PLACEHOLDER = "giving @ git+https://github.com/OWNER/giving  # <- replace OWNER, or use the URL you installed from"


def giving_requirement() -> str | None:
    """A pip requirement for the installed giving that works on another machine, or None."""
    import json
    from importlib import metadata

    try:
        info = json.loads(metadata.distribution("giving").read_text("direct_url.json") or "null")
    except (metadata.PackageNotFoundError, ValueError):
        return None
    if not isinstance(info, dict) or not str(info.get("url", "")).startswith(("https://", "http://")):
        return None  # installed from PyPI (no direct URL) or from a local folder Netlify cannot see
    vcs = info.get("vcs_info")
    if isinstance(vcs, dict) and vcs.get("vcs") == "git":
        commit = vcs.get("commit_id", "")
        return f"giving @ git+{info['url']}" + (f"@{commit}" if commit else "")
    return f"giving @ {info['url']}"


GITIGNORE = "public/\n.giving-cache/\n__pycache__/\n"


def init_site(target: Path) -> list[Path]:
    """Write a starter site into `target`, which must be missing or empty."""
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise GivingError([error(f"{target} exists and is not empty; choose a new folder so nothing of yours "
                                 "is overwritten", str(target), 0, "init")])
    files = {
        "site.toml": SITE_TOML.format(title=target.name.replace('"', "") or "My essays"),
        "content/posts/hello-reader.md": FIRST_POST.format(today=date.today().isoformat()),
        "content/pages/about.md": ABOUT,
        "netlify.toml": NETLIFY_TOML,
        "requirements.txt": REQUIREMENTS.format(requirement=giving_requirement() or PLACEHOLDER),
        ".python-version": "3.11\n",
        ".gitignore": GITIGNORE,
    }
    written = []
    for rel, text in files.items():
        path = target / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")
        written.append(path)
    (target / "static").mkdir(exist_ok=True)
    (target / "templates").mkdir(exist_ok=True)
    return written


def _yaml_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def next_series_order(site_root: Path, series: str) -> int:
    """One more than the highest series_order already used by `series` (1 for a new series)."""

    highest = 0
    for path in (site_root / POSTS_DIR).rglob("*.md"):
        fm, problems = split(path.read_text("utf-8", errors="replace"), str(path))
        if problems:
            continue
        values = fm.values
        if slugify(str(values.get("series", ""))) == slugify(series) and isinstance(values.get("series_order"), int):
            highest = max(highest, values["series_order"])
    return highest + 1


def new_post(site_root: Path, title: str, series: str | None, today: date) -> Path:
    slug = slugify(title) or "untitled"
    path = site_root / POSTS_DIR / f"{slug}.md"
    if path.exists():
        raise GivingError([error(f"{path.relative_to(site_root)} already exists; choose another title",
                                 path.relative_to(site_root).as_posix(), 0, "new")])
    lines = ["---", f"title: {_yaml_string(title)}", f"date: {today.isoformat()}", "draft: true",
             'description: ""', "tags: []"]
    if series:
        lines += [f"series: {_yaml_string(series)}", f"series_order: {next_series_order(site_root, series)}"]
    lines += ["---", "Start with the reader: what do they want to know, and why now?", "",
              "End with a question for them.", ""]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines), "utf-8")
    return path
