"""`series`: a series whose numbering has gaps or disagrees with its dates, and a part whose slug no
longer matches its file name with no alias for the old URL.

Two parts with one number, and parts without numbers, are already reported by `site.assemble`.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import replace
from typing import Iterator

from slugify import slugify

from generator.checks.registry import CheckFinding, rule
from generator.checks.settings import Settings
from generator.model import Site
from generator.site import post_url

_PREFIX = re.compile(r"^(?:\d{4}-\d{2}-\d{2}-|\d+[-_. ])")


@rule("series", "A series with gaps or date clashes in its order; a renamed part without an alias.",
      scope="site")
def series(site: Site, settings: dict[str, Settings]) -> Iterator[CheckFinding]:
    for s in site.series:
        parts = [site.post(src) for src in s.parts]
        parts = [p for p in parts if p.source in settings and settings[p.source].enabled("series")]
        numbered = [p for p in parts if p.series_order is not None]
        expected = 1
        for part in numbered:
            if part.series_order > expected:
                missing = (f"part {expected}" if part.series_order == expected + 1
                           else f"parts {expected} to {part.series_order - 1}")
                yield series.rule.at(part.source, part.line_of("series_order"), 1,
                                     f'series "{s.name}" has no {missing} before this part {part.series_order}; '
                                     "readers will look for it: renumber the parts or publish the missing one",
                                     series=s.name, missing=expected)
            expected = part.series_order + 1
        for before, after in zip(numbered, numbered[1:]):
            if before.date and after.date and after.date < before.date:
                yield series.rule.at(after.source, after.line_of("date"), 1,
                                     f'part {after.series_order} of "{s.name}" is dated before part '
                                     f"{before.series_order} ({before.source}); readers of the feed will meet "
                                     "them out of order", series=s.name)
        for part in parts:
            if "slug" not in part.lines:
                continue
            stem = posixpath.splitext(posixpath.basename(part.source))[0]
            old = slugify(_PREFIX.sub("", stem))
            if not old or old == part.slug:
                continue
            old_url = post_url(replace(part, slug=old), site.config)
            if old_url in part.aliases or old_url.rstrip("/") in part.aliases:
                continue
            yield series.rule.at(part.source, part.line_of("slug"), 1,
                                 f'slug "{part.slug}" differs from the file name ("{old}"); if this part was '
                                 f"published at {old_url}, add aliases: [\"{old_url}\"] so links to it keep "
                                 "working, or rename the file", series=s.name, old_url=old_url)
