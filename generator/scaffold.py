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

NETLIFY_TOML = '''[build]
  command = "pip install giving && python -m generator build"
  publish = "public"

[build.environment]
  PYTHON_VERSION = "3.11"

[context.deploy-preview]
  command = "pip install giving && python -m generator build --drafts"
'''

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
