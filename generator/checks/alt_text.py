"""`alt-text`: every image needs a description for readers who cannot see it.

Flags an image without alt text, alt text that is only a file name or a placeholder ("image",
"screenshot"), and a front matter `image` (the social card) without `image_alt`.
"""

from __future__ import annotations

import re
from typing import Iterator

from generator.checks.prose import locate
from generator.checks.registry import CheckFinding, rule
from generator.checks.settings import Settings
from generator.model import Post

PLACEHOLDERS = frozenset("""image img picture pic photo photograph screenshot graphic figure diagram chart
icon logo banner untitled alt placeholder todo tbd""".split()) | {"screen shot", "alt text", "an image", "a photo"}
_FILENAME = re.compile(r"^[\w\-. ]+\.(?:png|jpe?g|gif|webp|avif|svg|bmp|tiff?)$|^(?:img|dsc|pxl|image)[_\- ]?\d+",
                       re.IGNORECASE)


@rule("alt-text", "An image without alt text, or with alt text that describes nothing.")
def alt_text(post: Post, settings: Settings) -> Iterator[CheckFinding]:
    for image in post.images:
        alt = " ".join(image.alt.split())
        line, col = locate(post, image.line, f"![{image.alt}]" if image.alt else "![")
        if not alt:
            yield alt_text.rule.at(post.source, line, col,
                                   f"image {image.src} has no alt text; describe what a reader who cannot "
                                   "see it would miss (![a chart of replies per week](...))", src=image.src)
        elif alt.lower() in PLACEHOLDERS or _FILENAME.match(alt):
            yield alt_text.rule.at(post.source, line, col,
                                   f'alt text "{alt}" of {image.src} describes nothing; say what the image shows',
                                   src=image.src)
    if post.image and not post.image_alt.strip():
        yield alt_text.rule.at(post.source, post.line_of("image"), 1,
                               "image has no image_alt; add one line describing the card image", src=post.image)
