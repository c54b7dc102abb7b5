"""Lighthouse (mobile profile, Debian chromium) scores the home page and a post at least 95 in performance,
accessibility, best practices and SEO. One Lighthouse run covers both pages: it is the slow check."""

from __future__ import annotations

import pytest

from tests.quality import lighthouse
from tests.quality.fixtures import node_tools, page_url, sample_public, served  # noqa: F401 (fixtures)

MINIMUM = 0.95


@pytest.mark.lighthouse
def test_lighthouse_scores_home_and_a_post_at_least_95(served, node_tools):
    urls = [page_url(served, "home"), page_url(served, "post")]
    report = lighthouse(urls)
    problems, scores = [], []
    for url in urls:
        result = report[url]
        path = url.replace(served.base, "")
        assert not result["runtimeError"], f"{path}: Lighthouse: {result['runtimeError']}"
        scores.append(f"{path}: " + ", ".join(f"{k} {round(v * 100)}" for k, v in result["scores"].items()))
        for category, score in result["scores"].items():
            if score is None or score < MINIMUM:
                why = "; ".join(f"{a['id']} ({a['title']}{', ' + a['displayValue'] if a['displayValue'] else ''})"
                                for a in result["failing"] if a["category"] == category)
                problems.append(f"{path}: Lighthouse {category} {score} < {MINIMUM}: {why}")
    print("\n".join(scores))
    assert not problems, "\n".join(problems + scores)
