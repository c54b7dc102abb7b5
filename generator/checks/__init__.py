"""Editorial checks: a linter for essays, keeping every post about its reader.

Each rule lives in its own module and registers itself by id (see `registry`). Rules read only the
plain data a `Post` carries (`passages`, `links`, `images`, `toc`, `words`), never Markdown tokens;
`prose` interprets that data (whose voice, words, sentences, where in the source). `settings` reads
`[checks]` in site.toml, front matter `checks:` and `<!-- giving-disable rule -->` comments; `run`
applies them; `report` formats findings for terminals, JSON, GitHub annotations and SARIF.

Importing this package registers the `[checks]` table with `generator.config`, so a misspelt key in
it is reported like any other.
"""

from __future__ import annotations

from generator.checks import (alt_text, credit, headings, invitation, link_text, links, megaphone,  # noqa: F401
                              opening, reader_focus, readability, repeated_word, series, shouting)
from generator.checks.registry import RULES, CheckFinding, Rule
from generator.checks.run import Report, check_folder, finding_data, post_reports, post_stats, run_checks
from generator.checks.settings import schema
from generator.config import SECTIONS

SECTIONS.setdefault("checks", schema(list(RULES)))

__all__ = ["RULES", "CheckFinding", "Report", "Rule", "check_folder", "finding_data", "post_reports",
           "post_stats", "run_checks"]
