"""`link-text`: link text that says nothing about where it leads ("click here", "this", "read more").

Screen-reader users often move from link to link, hearing only the link text; so does every skimming
reader. The text should name the destination (WCAG 2.4.4).
"""

from __future__ import annotations

import re
from typing import Iterator

from generator.checks.prose import locate
from generator.checks.registry import CheckFinding, rule
from generator.checks.settings import Settings
from generator.model import Post

VAGUE = frozenset({"here", "click here", "click", "this", "this link", "link", "this page", "this post",
                   "this article", "read more", "more", "learn more", "see more", "go", "continue",
                   "website", "this website", "url", "there", "details", "info", "click this link"})

_PUNCTUATION = re.compile(r"[^\w\s]")


@rule("link-text", "Link text that does not say where the link leads (\"click here\", \"read more\").")
def link_text(post: Post, settings: Settings) -> Iterator[CheckFinding]:
    images_on = {i.line for i in post.images}
    for link in post.links:
        text = " ".join(_PUNCTUATION.sub(" ", link.text).split()).lower()
        if not text and link.line in images_on:
            continue  # an image link: its alt text is its name (alt-text checks that)
        if not text:
            line, col = locate(post, link.line, "[](")
            yield link_text.rule.at(post.source, line, col,
                                    f"link to {link.href} has no text; name where it leads", href=link.href)
        elif text in VAGUE:
            line, col = locate(post, link.line, f"[{link.text}]")
            yield link_text.rule.at(post.source, line, col,
                                    f'link text "{link.text}" does not say where it leads; use the name of '
                                    "the page or what the reader will find there", href=link.href)
